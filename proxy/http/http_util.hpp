// Header rewriting shared by the request and response paths.
#pragma once

#include "proxy/base/net.hpp"

#include <string_view>

namespace liveproxy {

/// Removes hop-by-hop headers (RFC 9110 §7.6.1), including those named in Connection, except Host,
/// Content-Length and Transfer-Encoding: naming them in Connection must not unframe or unroute a message.
void strip_hop_by_hop(http::fields& f, bool keep_upgrade = false);

/// Decides whether an app response gets our script: HTML with a body, not opted out, not a download.
/// The caller still checks that its Content-Encoding is one it can decode.
bool wants_injection(const http::response_header<>& res, http::verb method);

/// True if the response's Content-Encoding is absent or identity.
bool is_identity_encoded(const http::response_header<>& res);

/// Case-insensitive "does this comma-separated header contain token".
bool header_has_token(std::string_view value, std::string_view token);

/// A request target without its query and fragment.
inline std::string_view path_of(std::string_view target) {
  const auto q = target.find_first_of("?#");
  return q == std::string_view::npos ? target : target.substr(0, q);
}

/// The header by which an app (or user) opts a response out of injection.
inline constexpr std::string_view no_inject_header = "X-Liveproxy-No-Inject";

/// Says whether the connection stays open, in the words the browser's HTTP version needs: our responses are
/// HTTP/1.1 messages, and an HTTP/1.0 client keeps the connection only when told "Connection: keep-alive".
template <class Body, class Fields>
void set_keep_alive(http::message<false, Body, Fields>& m, bool keep, unsigned client_version) {
  m.keep_alive(keep);
  if (keep && client_version < 11) m.set(http::field::connection, "keep-alive");
}

}  // namespace liveproxy
