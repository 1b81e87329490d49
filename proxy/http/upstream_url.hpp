// --upstream URL: where an app that liveproxy does not start listens (http:// or https://).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace liveproxy {

struct upstream_url {
  bool tls = false;
  std::string host;       ///< a name or an address, without brackets
  std::uint16_t port = 0;
  std::string authority;  ///< host[:port] as a Host header names it (brackets kept, default port left out)
  /// "http://127.0.0.1:8000" as the user would recognise it.
  std::string text() const { return (tls ? "https://" : "http://") + authority; }
};

/// Parses "http://host[:port][/]" or "https://...". A path, query, user info or another scheme is refused
/// with std::invalid_argument saying why (liveproxy forwards each request's own path unchanged).
upstream_url parse_upstream_url(std::string_view text);

}  // namespace liveproxy
