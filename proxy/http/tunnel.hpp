// Byte tunnel between the browser and the app after an upgrade (the app's own WebSockets).
#pragma once

#include "proxy/net.hpp"

namespace liveproxy {

/// Copies both ways until either side closes. Bytes already buffered on either side go first.
awaitable<void> run_tunnel(beast::tcp_stream& client, beast::flat_buffer& client_buf, beast::tcp_stream& app,
                           beast::flat_buffer& app_buf);

}  // namespace liveproxy
