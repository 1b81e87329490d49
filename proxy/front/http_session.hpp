// One browser connection: read requests, answer our own endpoints, forward the rest to the app.
#pragma once

#include "proxy/base/net.hpp"
#include "proxy/front/proxy_context.hpp"
#include "proxy/http/client_stream.hpp"

namespace liveproxy {

/// Serves one accepted connection until it closes, plain or (its handshake done) TLS. Owns the stream.
awaitable<void> run_http_session(client_stream stream, proxy_context& ctx);

}  // namespace liveproxy
