// glob_match: any pattern against any path ends quickly without a crash, and patterns made from a path by git's
// rules (escaping, '?', '*', "[c]", "**" over whole directories) match that path.
// Input: a pattern, a newline, a path. The pattern's bytes also steer how the derived patterns are made.
#include "watcher/glob.hpp"

#include "fuzz/fuzz_input.hpp"

#include <string>
#include <string_view>

using liveproxy::watcher::glob_match;

namespace {

bool special(char c) { return c == '*' || c == '?' || c == '[' || c == '\\'; }

std::string escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (special(c)) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

/// A pattern that must match path: each character kept, or replaced by '?', '*', "[c]" (never for '/'), and
/// whole directories replaced by "**". `steer` chooses which, byte by byte.
std::string wildcarded(std::string_view path, std::string_view steer) {
  std::string out;
  std::size_t k = 0;
  bool star = false;  // the last thing written is a '*' standing for characters
  const auto next = [&]() -> unsigned { return steer.empty() ? 0u : static_cast<unsigned char>(steer[k++ % steer.size()]); };
  for (std::size_t i = 0; i < path.size();) {
    const char c = path[i];
    const unsigned how = next() % 6;
    const bool component_start = i == 0 || path[i - 1] == '/';
    if (how == 5 && component_start) {
      // "**" for one or more whole directories: only where a '/' follows them.
      std::size_t end = i;
      for (unsigned dirs = next() % 3 + 1; dirs > 0; --dirs) {
        const auto slash = path.find('/', end);
        if (slash == std::string_view::npos) break;
        end = slash + 1;
      }
      if (end > i) {
        out += "**/";
        i = end;
        star = false;
        continue;
      }
    }
    if (c == '/' || how == 0 || how == 5) {
      if (special(c)) out.push_back('\\');
      out.push_back(c);
    } else if (how == 1) {
      out.push_back('?');
    } else if (how == 2) {
      // Consecutive replaced characters share one '*' (two would be "**", a different pattern).
      if (!star) out.push_back('*');
    } else if (how == 3) {
      const bool escape = c == ']' || c == '!' || c == '^' || c == '\\' || c == '-';
      out += std::string(escape ? "[\\" : "[") + c + "]";
    } else {
      out += c == 'a' ? "[!b]" : "[!a]";
    }
    star = how == 2 && c != '/';
    ++i;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  liveproxy::fuzz::input in(data, size);
  const std::string_view pattern = in.until('\n');
  const std::string_view path = in.rest();

  // Any pattern, any text: an answer (in bounded time: libFuzzer's -timeout), no crash.
  glob_match(pattern, path);
  glob_match(path, pattern);

  FUZZ_CHECK(glob_match("**", path));
  FUZZ_CHECK(glob_match(escaped(path), path));
  FUZZ_CHECK(!glob_match(escaped(path), std::string(path) + "x"));
  if (!path.empty()) FUZZ_CHECK(!glob_match(escaped(path.substr(1)), path));
  const std::string derived = wildcarded(path, pattern);
  FUZZ_CHECK(glob_match(derived, path));
  // "**/" also matches no directory at all.
  FUZZ_CHECK(glob_match("**/" + derived, path));
  return 0;
}
