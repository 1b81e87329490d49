// The tag liveproxy injects into pages: its token differs at every start, so tests find it by its shape.
#pragma once

#include <cstddef>
#include <regex>
#include <string>

namespace liveproxy::test {

/// <script src="/__liveproxy/client.js" data-token="<32 hex digits>"></script>
inline const std::regex& injected_tag() {
  static const std::regex re(R"(<script src="/__liveproxy/client\.js" data-token="[0-9a-f]{32}"></script>)");
  return re;
}

/// How many injected tags the body has.
inline std::size_t count_injected(const std::string& body) {
  return static_cast<std::size_t>(
      std::distance(std::sregex_iterator(body.begin(), body.end(), injected_tag()), std::sregex_iterator()));
}

/// Where the first injected tag starts, or npos.
inline std::size_t find_injected(const std::string& body) {
  std::smatch m;
  return std::regex_search(body, m, injected_tag()) ? static_cast<std::size_t>(m.position(0)) : std::string::npos;
}

/// The body without its first injected tag.
inline std::string without_injected(std::string body) {
  std::smatch m;
  if (std::regex_search(body, m, injected_tag())) body.erase(static_cast<std::size_t>(m.position(0)), m.length(0));
  return body;
}

/// The token the page's tag carries, or empty.
inline std::string token_in(const std::string& body) {
  static const std::regex re(R"re(data-token="([0-9a-f]{32})")re");
  std::smatch m;
  return std::regex_search(body, m, re) ? m[1].str() : std::string();
}

}  // namespace liveproxy::test
