// The app's response back to the browser: passed through (spliced when large), re-framed, or injected.
#pragma once

#include "proxy/front/client_connection.hpp"

#include <string_view>

namespace liveproxy {

/// Relays the response whose header ex holds; `host` is the browser's Host (for CSP sources).
awaitable<next_step> relay_response(client_connection& s, upstream_exchange& ex, http::verb method, bool client_keep,
                                    unsigned client_version, std::string_view host);

}  // namespace liveproxy
