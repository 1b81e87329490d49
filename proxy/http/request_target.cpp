// Host and request target; see request_target.hpp.
#include "proxy/http/request_target.hpp"

#include "proxy/base/text.hpp"

namespace liveproxy {

std::string normalize_request_target(http::request_header<>& req) {
  std::size_t hosts = 0;
  for (auto it = req.find(http::field::host); it != req.end() && it->name() == http::field::host; ++it) ++hosts;
  if (hosts > 1) return "more than one Host field";
  const std::string_view target = req.target();
  const auto scheme_end = target.find("://");
  if (!target.starts_with("/") && scheme_end != std::string_view::npos &&
      target.find_first_of("/?#") > scheme_end) {
    const auto scheme = lower_ascii(target.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") return "a request target with the scheme '" + scheme + "'";
    const auto rest = target.substr(scheme_end + 3);
    const auto path_at = rest.find_first_of("/?");
    const auto authority = rest.substr(0, path_at);
    if (authority.empty() || authority.find('@') != std::string_view::npos)
      return "an absolute request target without a host, or with user information";
    std::string origin_form = "/";
    if (path_at != std::string_view::npos) {
      const auto path = rest.substr(path_at);
      // "http://host?q" has an empty path: "/?q".
      if (path.front() == '?') origin_form.append(path);
      else origin_form.assign(path.begin(), path.end());
    }
    req.set(http::field::host, authority);
    req.target(origin_form);
    return {};
  }
  if (hosts == 0 && req.version() >= 11) return "an HTTP/1.1 request without a Host field";
  return {};
}

}  // namespace liveproxy
