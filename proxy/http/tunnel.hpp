// Byte tunnel between the browser and the app after an upgrade (the app's own WebSockets).
#pragma once

#include "proxy/http/app_pool.hpp"
#include "proxy/http/client_stream.hpp"
#include "proxy/base/net.hpp"

namespace liveproxy {

/// Copies both ways until either side closes or nothing moves for limits::tunnel_idle_timeout. Bytes already
/// buffered on either side go first. Both connections are closed when it returns.
awaitable<void> run_tunnel(client_stream& client, beast::flat_buffer& client_buf, app_connection& app,
                           beast::flat_buffer& app_buf);

}  // namespace liveproxy
