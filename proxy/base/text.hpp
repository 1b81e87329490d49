// Small text helpers used across liveproxy, written once.
#pragma once

#include <string>
#include <string_view>

namespace liveproxy {

/// ASCII lower case (HTTP field names, host names, schemes, CSP directives); other bytes unchanged. Not the
/// locale's tolower: a Turkish locale must not turn 'I' into a dotless 'ı'.
inline char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower_ascii(c);
  return out;
}

}  // namespace liveproxy
