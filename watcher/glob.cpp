// Git-style wildcard matching, after git's wildmatch.c (WM_PATHNAME semantics).
#include "watcher/glob.hpp"

#include <cctype>
#include <cstring>

namespace liveproxy::watcher {
namespace {

bool class_matches(std::string_view name, unsigned char c) {
  if (name == "alnum") return std::isalnum(c) != 0;
  if (name == "alpha") return std::isalpha(c) != 0;
  if (name == "blank") return c == ' ' || c == '\t';
  if (name == "cntrl") return std::iscntrl(c) != 0;
  if (name == "digit") return std::isdigit(c) != 0;
  if (name == "graph") return std::isgraph(c) != 0;
  if (name == "lower") return std::islower(c) != 0;
  if (name == "print") return std::isprint(c) != 0;
  if (name == "punct") return std::ispunct(c) != 0;
  if (name == "space") return std::isspace(c) != 0;
  if (name == "upper") return std::isupper(c) != 0;
  if (name == "xdigit") return std::isxdigit(c) != 0;
  return false;
}

// Matches a bracket expression starting just after '['. On success sets `end` to the index after ']'.
// Returns false with end == npos when the bracket is unterminated (then it can never match).
bool bracket_matches(std::string_view p, std::size_t i, unsigned char c, std::size_t& end) {
  bool negate = false;
  if (i < p.size() && (p[i] == '!' || p[i] == '^')) {
    negate = true;
    ++i;
  }
  bool matched = false;
  bool first = true;
  unsigned char prev = 0;
  for (; i < p.size(); ++i) {
    unsigned char pc = static_cast<unsigned char>(p[i]);
    if (pc == ']' && !first) {
      end = i + 1;
      return matched != negate;
    }
    first = false;
    if (pc == '\\' && i + 1 < p.size()) {
      pc = static_cast<unsigned char>(p[++i]);
      if (pc == c) matched = true;
      prev = pc;
    } else if (pc == '-' && prev != 0 && i + 1 < p.size() && p[i + 1] != ']') {
      unsigned char hi = static_cast<unsigned char>(p[++i]);
      if (hi == '\\' && i + 1 < p.size()) hi = static_cast<unsigned char>(p[++i]);
      if (prev <= c && c <= hi) matched = true;
      prev = 0;
    } else if (pc == '[' && i + 1 < p.size() && p[i + 1] == ':') {
      const auto close = p.find(":]", i + 2);
      if (close == std::string_view::npos) {
        if (c == '[') matched = true;
        prev = pc;
        continue;
      }
      if (class_matches(p.substr(i + 2, close - i - 2), c)) matched = true;
      i = close + 1;
      prev = 0;
    } else {
      if (pc == c) matched = true;
      prev = pc;
    }
  }
  end = std::string_view::npos;
  return false;
}

// As git's dowild(), a failure says how far back a retry could help: not at all once the text ran out
// (abort_all: a later start for an enclosing '*' only leaves less text), or only for an enclosing "**" once a
// single '*' met a '/'. The star loops stop on these, so many stars cannot backtrack exponentially (a pattern
// such as "**/x*a*a*a*a*a*a*a*a*b" in a .gitignore hung the watcher on a long path).
enum class result { match, no_match, abort_all, abort_to_double_star };

result match(std::string_view p, std::size_t pi, std::string_view t, std::size_t ti) {
  for (; pi < p.size(); ++pi, ++ti) {
    const char pc = p[pi];
    if (ti >= t.size() && pc != '*') return result::abort_all;
    switch (pc) {
      case '\\':
        // A trailing backslash matches nothing, as in git.
        if (++pi >= p.size()) return result::no_match;
        if (t[ti] != p[pi]) return result::no_match;
        break;
      case '?':
        if (t[ti] == '/') return result::no_match;
        break;
      case '*': {
        bool match_slash = false;
        const std::size_t star = pi;
        while (pi + 1 < p.size() && p[pi + 1] == '*') ++pi;
        if (pi > star) {
          // "**" only spans directories when it is a whole path component.
          const bool starts_component = star == 0 || p[star - 1] == '/';
          const bool ends_component = pi + 1 == p.size() || p[pi + 1] == '/';
          if (starts_component && ends_component) {
            match_slash = true;
            // "**/" also matches zero directories.
            if (pi + 1 < p.size() && match(p, pi + 2, t, ti) == result::match) return result::match;
          }
        }
        ++pi;
        if (pi == p.size())
          return match_slash || t.find('/', ti) == std::string_view::npos ? result::match : result::no_match;
        for (;; ++ti) {
          const result r = match(p, pi, t, ti);
          if (r != result::no_match && (!match_slash || r != result::abort_to_double_star)) return r;
          if (ti == t.size()) return result::abort_all;
          if (!match_slash && t[ti] == '/') return result::abort_to_double_star;
        }
      }
      case '[': {
        std::size_t end = 0;
        const bool ok = bracket_matches(p, pi + 1, static_cast<unsigned char>(t[ti]), end);
        if (end == std::string_view::npos || !ok || t[ti] == '/') return result::no_match;
        pi = end - 1;
        break;
      }
      default:
        if (t[ti] != pc) return result::no_match;
        break;
    }
  }
  return ti == t.size() ? result::match : result::no_match;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) noexcept {
  return match(pattern, 0, text, 0) == result::match;
}

}  // namespace liveproxy::watcher
