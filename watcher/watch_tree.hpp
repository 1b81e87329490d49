// The watched roots with their ignore rules, and the directory listing every backend walks with.
#pragma once

#include "watcher/ignore_rules.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <vector>

namespace liveproxy::watcher {

/// Roots (canonical, de-nested) and one ignore_rules per root, shared by the backends.
class watch_tree {
 public:
  enum class entry_type : std::uint8_t { file, dir, symlink, other };
  struct entry {
    std::string name;
    entry_type type;
  };

  /// Where notices about the tree go (one line each, no prefix).
  using notice_fn = std::function<void(const std::string&)>;

  /// Canonicalizes the roots, drops duplicates and roots inside other roots; throws std::runtime_error
  /// naming the root when one is missing or not a directory.
  watch_tree(const std::vector<std::filesystem::path>& roots, const std::vector<std::string>& extra_ignores,
             notice_fn notice = {});

  std::size_t size() const { return roots_.size(); }
  /// Absolute path of root i, without a trailing '/'.
  const std::string& root(std::size_t i) const { return roots_[i].path; }
  /// Absolute path of rel (which may be "") under root i.
  std::string abs_path(std::size_t i, std::string_view rel) const;

  /// Is this entry of root i ignored (its parent directories taken as not ignored)?
  bool ignored(std::size_t i, std::string_view rel, bool is_dir) const;
  /// Is this path of root i ignored, also because a directory above it is?
  bool ignored_path(std::size_t i, std::string_view rel, bool is_dir) const;
  /// Is abs inside a root and not ignored there, so that watching the roots covers it?
  bool covers(const std::string& abs) const;
  /// The --ignore globs.
  const std::vector<std::string>& extra_ignores() const { return extra_ignores_; }
  /// The negated patterns of root i (--ignore and the .gitignore files read so far).
  std::vector<std::string> negations(std::size_t i) const { return roots_[i].rules.negations(); }
  /// Lists dir_rel of root i into out: (re)loads the directory's .gitignore first, then keeps the
  /// entries that are not ignored. Symlinks are reported as such, never followed. A directory that
  /// exists but cannot be read is reported (see unreadable()).
  std::error_code list(std::size_t i, std::string_view dir_rel, std::vector<entry>& out);
  /// Says once per directory that abs could not be read or watched and why, until it can be again.
  void unreadable(const std::string& abs, int err);
  /// Re-reads <dir_rel>/.gitignore of root i (dropping its rules if the file is gone). Returns
  /// whether the rules changed.
  bool reload_gitignore(std::size_t i, std::string_view dir_rel);
  /// Counts the .gitignore changes met so far (also while listing): a walk that must see every rule
  /// change compares it before and after.
  std::uint64_t rules_generation() const { return rules_generation_; }
  /// A directory moved from from_rel of root from to to_rel of root to: its .gitignore rules (and
  /// those below it) move along, without reading anything again.
  void moved(std::size_t from, std::string_view from_rel, std::size_t to, std::string_view to_rel);

 private:
  struct root_entry {
    std::string path;
    ignore_rules rules;
  };
  std::vector<root_entry> roots_;
  std::vector<std::string> extra_ignores_;
  notice_fn notice_;
  std::unordered_set<std::string> unreadable_;  // already named, by absolute path
  std::uint64_t rules_generation_ = 0;

  bool counted(bool changed) {
    if (changed) ++rules_generation_;
    return changed;
  }
};

/// "dir/name", or "name" when dir is empty.
std::string join_rel(std::string_view dir, std::string_view name);

}  // namespace liveproxy::watcher
