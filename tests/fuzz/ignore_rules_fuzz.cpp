// ignore_rules and path_pattern with any .gitignore text and paths: the fast paths of path_pattern agree with
// glob_match, the last matching line wins, deeper .gitignore files and --ignore globs take precedence as in git,
// and a directory watchman is told to leave out is one the rules ignore anyway.
// Input: one byte of options, the .gitignore text, a NUL byte, then paths separated by newlines.
#include "watcher/glob.hpp"
#include "watcher/ignore_rules.hpp"
#include "watcher/path_pattern.hpp"
#include "watcher/watchman_protocol.hpp"

#include "fuzz/fuzz_input.hpp"

#include <string>
#include <string_view>
#include <vector>

using liveproxy::watcher::glob_match;
using liveproxy::watcher::ignore_rules;
using liveproxy::watcher::path_pattern;

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  liveproxy::fuzz::input in(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  while (!in.empty()) out.push_back(in.until('\n'));
  return out;
}

/// A relative path as the watcher produces them: non-empty names joined by '/', no line breaks.
bool plausible_path(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.back() == '/' || p.find("//") != std::string_view::npos) return false;
  return p.find_first_of(std::string_view("\n\r\0", 3)) == std::string_view::npos;
}

/// A .gitignore line that matches exactly this path, relative to the .gitignore's directory.
std::string exact_line(std::string_view rel) {
  std::string out = "/";
  for (const char c : rel) {
    if (c == '*' || c == '?' || c == '[' || c == '\\' || c == ' ' || c == '!' || c == '#') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string_view basename_of(std::string_view p) {
  const auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

std::string_view dirname_of(std::string_view p) {
  const auto slash = p.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : p.substr(0, slash);
}

/// What path_pattern means, said with glob_match alone (path_pattern.hpp): its fast paths must agree.
bool pattern_means(std::string_view glob, std::string_view rel, bool is_dir) {
  bool dir_only = false;
  if (!glob.empty() && glob.back() == '/') {
    dir_only = true;
    glob.remove_suffix(1);
  }
  const bool anchored = glob.find('/') != std::string_view::npos;
  if (!glob.empty() && glob.front() == '/') glob.remove_prefix(1);
  if (dir_only && !is_dir) return false;
  return glob_match(glob, anchored ? rel : basename_of(rel));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  liveproxy::fuzz::input in(data, size);
  const auto options = in.byte();
  const bool with_defaults = options & 1;
  const std::string_view text = in.until('\0');
  const auto lines = lines_of(text);
  std::vector<std::string_view> paths;
  for (const auto p : lines_of(in.rest()))
    if (plausible_path(p)) paths.push_back(p);
  if (paths.size() > 16) paths.resize(16);

  ignore_rules rules(with_defaults);
  const bool has_rules = rules.set_gitignore("", text);
  FUZZ_CHECK(!rules.set_gitignore("", text));  // the same text again changes nothing
  FUZZ_CHECK(has_rules == !rules.gitignore_dirs_under("").empty());

  // The same lines as --ignore globs, for the watchman exclusion below.
  ignore_rules as_extra(true);
  std::vector<std::string> globs(lines.begin(), lines.end());
  as_extra.add_extra(globs);
  const auto excluded =
      liveproxy::watcher::watchman::excluded_dir_names(ignore_rules::default_patterns(), globs, as_extra.negations());

  for (const auto path : paths) {
    for (const bool is_dir : {false, true}) {
      const bool ignored = rules.ignored(path, is_dir);
      // A path ignored by itself is ignored with its parents taken into account too.
      if (ignored) FUZZ_CHECK(rules.ignored_path(path, is_dir));
      for (std::size_t i = 0; i < lines.size() && i < 64; ++i) {
        const auto line = lines[i];
        const path_pattern pattern(line);
        FUZZ_CHECK(pattern.matches(path, is_dir) == pattern_means(line, path, is_dir));
      }
    }

    // The last matching line wins: an exact line appended ignores the path, its negation re-includes it.
    ignore_rules last(with_defaults);
    last.set_gitignore("", std::string(text) + "\n" + exact_line(path));
    FUZZ_CHECK(last.ignored(path, false));
    last.set_gitignore("", std::string(text) + "\n" + exact_line(path) + "\n!" + exact_line(path));
    FUZZ_CHECK(!last.ignored(path, false));
    // The .gitignore next to the path wins over the root's, and --ignore wins over both.
    if (!dirname_of(path).empty()) {
      last.set_gitignore(dirname_of(path), exact_line(basename_of(path)));
      FUZZ_CHECK(last.ignored(path, false));
    }
    last.add_extra({"!" + exact_line(path)});
    FUZZ_CHECK(!last.ignored(path, false));

    // watchman never reports what is under an excluded directory: our rules must ignore it there too.
    for (const auto& name : excluded) {
      const auto dir = dirname_of(path);
      const std::string under = dir.empty() ? name : std::string(dir) + "/" + name;
      FUZZ_CHECK(as_extra.ignored_path(under, true));
    }
  }
  return 0;
}
