// --serve DIR: answers a request from the served folder (files, listings, redirects, conditional and range
// requests), pages with our script, large files by sendfile(2).
#pragma once

#include "proxy/front/client_connection.hpp"

namespace liveproxy {

/// Answers the request `parser` holds (its header read, no body expected) from s.ctx->serve.
awaitable<next_step> serve_static(client_connection& s, request_parser& parser);

}  // namespace liveproxy
