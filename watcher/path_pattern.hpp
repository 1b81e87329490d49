// One gitignore-style path pattern, compiled once and matched against many relative paths.
#pragma once

#include <string>
#include <string_view>

namespace liveproxy::watcher {

/// A gitignore-style glob (without the leading '!'): "name" matches a basename at any depth,
/// a pattern with a '/' before its end is anchored to the base directory ("/x", "a/b", "a/**/b"),
/// a trailing '/' restricts it to directories.
class path_pattern {
 public:
  explicit path_pattern(std::string_view glob);

  /// Does the entry itself (relative to the pattern's base, '/'-separated) match?
  bool matches(std::string_view rel_path, bool is_dir) const;
  /// Does the entry, or any directory above it, match? ("static/" matches "static/js/app.js".)
  bool matches_under(std::string_view rel_path, bool is_dir) const;

  const std::string& glob() const { return source_; }
  bool dir_only() const { return dir_only_; }
  bool anchored() const { return anchored_; }

 private:
  // Most real patterns are "*.ext", "name" or "prefix*": these skip the general matcher.
  enum class kind { literal, suffix, prefix, general };

  std::string source_;   // as written, for messages
  std::string glob_;     // without the leading/trailing '/' markers
  std::string fixed_;    // the literal part for the fast kinds
  kind kind_ = kind::general;
  bool anchored_ = false;
  bool dir_only_ = false;
};

}  // namespace liveproxy::watcher
