// Redirects that name the app's private address (Location: http://127.0.0.1:41873/next, built by an app from
// its own PORT) would take the browser past liveproxy: rewritten to the origin the browser used.
#pragma once

#include "proxy/base/net.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// The app's own origin, as an app may spell it in a URL.
struct app_origin {
  bool tls = false;  ///< https://
  std::uint16_t port = 0;
  /// Lower-case host names that mean the app (without brackets): its host, and for a loopback app also
  /// 127.0.0.1, localhost, ::1 and 0.0.0.0 (apps print their bind address).
  std::vector<std::string> hosts;
};

/// The origin of an app listening on host:port; loopback and wildcard spellings included when local.
app_origin make_app_origin(bool tls, std::string_view host, std::uint16_t port);

/// `url` with the app's origin replaced by `browser_origin` ("http://localhost:3000"), or nullopt when the
/// URL names anything else (another host or port, a relative path): those stay as they are.
std::optional<std::string> rewrite_app_url(std::string_view url, const app_origin& app, std::string_view browser_origin);

/// Rewrites Location, Content-Location and the URL of Refresh ("5; url=...") where they name the app.
void rewrite_app_urls(http::fields& res, const app_origin& app, std::string_view browser_origin);

}  // namespace liveproxy
