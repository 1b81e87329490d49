// One browser connection: read requests, answer our own endpoints, forward the rest to the app.
#pragma once

#include "proxy/base/net.hpp"
#include "proxy/front/proxy_context.hpp"

namespace liveproxy {

/// Serves one accepted connection until it closes. Owns the socket.
awaitable<void> run_http_session(tcp_socket socket, proxy_context& ctx);

}  // namespace liveproxy
