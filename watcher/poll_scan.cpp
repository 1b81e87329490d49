// Subtree walk with lstat and the comparison with the previous walk.
#include "watcher/poll_scan.hpp"

#include <sys/stat.h>

#include <vector>

namespace liveproxy::watcher {

void poll_scan::rescan(watch_tree& tree, const on_change_fn& on_change, bool report_first) {
  std::unordered_map<std::string, file_state> now;
  now.reserve(files_.size());
  std::vector<std::string> stack{dir_rel_};
  std::vector<watch_tree::entry> entries;
  bool top = true;
  missing_ = false;
  while (!stack.empty()) {
    const std::string dir = std::move(stack.back());
    stack.pop_back();
    if (tree.list(root_, dir, entries)) {
      if (top) missing_ = true;
      top = false;
      continue;
    }
    top = false;
    for (const auto& e : entries) {
      std::string rel = join_rel(dir, e.name);
      if (e.type == watch_tree::entry_type::dir) {
        stack.push_back(std::move(rel));
        continue;
      }
      // Rules are read, not reported: they change what is watched, not the app.
      if (e.name == ".gitignore") continue;
      struct stat st {};
      if (::lstat(tree.abs_path(root_, rel).c_str(), &st) != 0) continue;
      now.emplace(std::move(rel),
                  file_state{static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                             static_cast<std::int64_t>(st.st_size), static_cast<std::uint64_t>(st.st_ino)});
    }
  }
  if (!scanned_ && report_first) {
    for (const auto& entry : now) on_change(tree.abs_path(root_, entry.first), entry.first, file_event::created);
  } else if (scanned_) {
    for (const auto& [rel, state] : now) {
      const auto it = files_.find(rel);
      if (it == files_.end()) {
        on_change(tree.abs_path(root_, rel), rel, file_event::created);
      } else if (!(it->second == state)) {
        on_change(tree.abs_path(root_, rel), rel, file_event::changed);
      }
    }
    for (const auto& [rel, state] : files_) {
      // Out of sight because a directory above it is ignored now (a .gitignore edit): not a change.
      if (!now.contains(rel) && !tree.ignored_path(root_, rel, false))
        on_change(tree.abs_path(root_, rel), rel, file_event::removed);
    }
  }
  scanned_ = true;
  files_ = std::move(now);
}

}  // namespace liveproxy::watcher
