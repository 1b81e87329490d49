// Which paths under a root are not watched: built-in defaults, .gitignore files and --ignore globs.
#pragma once

#include "watcher/path_pattern.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace liveproxy::watcher {

/// Ignore rules for one watch root, with git's semantics. Pure: callers read the .gitignore files.
/// Precedence, highest first: extra (--ignore) globs, then .gitignore files from the deepest directory
/// up to the root, then the built-in defaults. Within one source the last matching line wins, so
/// "!keep.log" in a .gitignore can re-include a default-ignored file.
class ignore_rules {
 public:
  /// The built-in defaults, in gitignore syntax.
  static const std::vector<std::string>& default_patterns();

  /// Starts with the built-in defaults unless told otherwise.
  explicit ignore_rules(bool with_defaults = true);

  /// Adds root-relative globs in gitignore syntax that win over everything else.
  void add_extra(const std::vector<std::string>& globs);
  /// Sets (or replaces) the rules of the .gitignore file in dir_rel ("" for the root) from its text.
  /// Returns whether that changed anything (false when the text is the one already in use).
  bool set_gitignore(std::string_view dir_rel, std::string_view text);
  /// Forgets the .gitignore of dir_rel (it was deleted). Returns whether it had rules.
  bool remove_gitignore(std::string_view dir_rel);
  /// The directories at or below dir_rel ("" for all) that have .gitignore rules.
  std::vector<std::string> gitignore_dirs_under(std::string_view dir_rel) const;
  /// A directory was renamed: the .gitignore rules of from_dir and of everything below it now apply at to_dir.
  void move_gitignores(std::string_view from_dir, std::string_view to_dir);

  /// The patterns of every negation ("!pattern" lines of --ignore and .gitignore files), without the '!'.
  std::vector<std::string> negations() const;

  /// Is this entry ignored, taking its parent directories as not ignored? (What a recursive walk needs.)
  bool ignored(std::string_view rel_path, bool is_dir) const;
  /// Is this path ignored, including because a directory above it is? (Git: a file under an
  /// ignored directory cannot be re-included.)
  bool ignored_path(std::string_view rel_path, bool is_dir) const;

 private:
  struct rule {
    path_pattern pattern;
    bool negate = false;
  };
  struct rule_set {
    std::vector<rule> rules;
    std::string text;  // as read, to tell a rewrite with the same rules from a change
    /// true = ignored, false = re-included, nullopt = no line matched. rel_path is relative to the set's base.
    std::optional<bool> decide(std::string_view rel_path, bool is_dir) const;
    void add_line(std::string_view line);
  };

  rule_set defaults_;
  rule_set extra_;
  std::unordered_map<std::string, rule_set> gitignores_;  // keyed by the directory holding the file
};

}  // namespace liveproxy::watcher
