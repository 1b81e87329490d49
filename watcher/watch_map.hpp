// The inotify backend's directory watches: watch descriptor to path and back, kept right across moves.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace liveproxy::watcher {

/// Which directory each watch descriptor stands for. Pure bookkeeping, no system calls, so moves of
/// whole subtrees can be tested without a kernel.
class watch_map {
 public:
  struct dir {
    int root = -1;  ///< index of the watch root; -1: only watched for extra files
    std::string rel;  ///< relative to the root ("" for the root itself)
    std::string abs;
    std::unordered_set<std::string> extra_names;  ///< extra files watched in this directory
  };

  /// The directory of wd, or null.
  const dir* find(int wd) const;
  dir* find(int wd);
  bool contains_path(const std::string& abs) const { return by_abs_.contains(abs); }
  /// The directory watched at abs, or null.
  const dir* find_path(const std::string& abs) const;
  std::size_t size() const { return by_wd_.size(); }

  /// Records that wd watches abs (rel under root). The same wd under a new path (the kernel
  /// recognised the inode) is re-pathed.
  void remember(int wd, std::size_t root, std::string rel, std::string abs);
  /// Records an extra file name in the directory abs watched by wd.
  void remember_extra(int wd, const std::string& abs, std::string name);
  /// Forgets wd.
  void forget(int wd);

  /// The watches of abs and every directory below it, abs first.
  std::vector<int> subtree(const std::string& abs) const;
  /// The watches belonging to a root.
  std::vector<int> of_root(std::size_t root) const;
  /// The directory that was at from_abs is now at to_abs (rel to_rel under to_root): re-paths the
  /// watches in wds (from subtree(from_abs), taken before the move) in place.
  void move(const std::vector<int>& wds, const std::string& from_abs, const std::string& to_abs, std::size_t to_root,
            const std::string& to_rel);

 private:
  std::unordered_map<int, dir> by_wd_;
  std::map<std::string, int> by_abs_;  // ordered, so a subtree is a contiguous range
};

}  // namespace liveproxy::watcher
