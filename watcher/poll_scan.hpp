// A stat snapshot of a subtree and the diff between two scans: the heart of polling.
#pragma once

#include "watcher/file_event.hpp"
#include "watcher/watch_tree.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

namespace liveproxy::watcher {

/// Remembers (mtime, size, inode) of every file under one directory of one root, and on each
/// rescan reports the files that appeared, changed or disappeared. Also used by the inotify
/// backend for directories it could not get a watch on.
class poll_scan {
 public:
  using on_change_fn = std::function<void(const std::string& path, const std::string& rel_path, file_event ev)>;

  poll_scan(std::size_t root, std::string dir_rel) : root_(root), dir_rel_(std::move(dir_rel)) {}

  /// Walks the subtree (skipping ignored entries, not following symlinks) and calls on_change for
  /// each difference from the previous scan: created, changed or removed. The first scan only
  /// records, unless report_first (for a directory that just appeared: everything in it is created).
  void rescan(watch_tree& tree, const on_change_fn& on_change, bool report_first = false);

  std::size_t root() const { return root_; }
  const std::string& dir_rel() const { return dir_rel_; }
  std::size_t file_count() const { return files_.size(); }
  /// Did the last scan fail to open the top directory (e.g. it was deleted)?
  bool missing() const { return missing_; }

 private:
  struct file_state {
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;
    std::uint64_t inode = 0;
    bool operator==(const file_state&) const = default;
  };

  std::size_t root_;
  std::string dir_rel_;
  std::unordered_map<std::string, file_state> files_;  // by root-relative path
  bool scanned_ = false;
  bool missing_ = false;
};

}  // namespace liveproxy::watcher
