// How often a piece of text occurs in a test's captured output or page.
#pragma once

#include <string>
#include <string_view>

namespace liveproxy::test {

/// Occurrences of needle in text, overlapping ones included.
inline std::size_t count_of(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace liveproxy::test
