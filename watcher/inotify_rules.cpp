// inotify: after a .gitignore edit, directories ignored now lose their watches and directories no
// longer ignored get theirs, so every backend ignores a file under a newly ignored directory.
#include "watcher/inotify_state.hpp"

#include <algorithm>
#include <utility>

namespace liveproxy::watcher {

void inotify_state::rules_changed(std::size_t root, const std::string& dir_rel) {
  // Listing a directory reads its .gitignore: one changed with this one (a checkout) is met during
  // the walk, and its own event will then find nothing new. So walk again until no rules change.
  // Bounded, in case .gitignore files keep being rewritten meanwhile.
  for (int pass = 0; pass < 4; ++pass) {
    const std::uint64_t before = tree_->rules_generation();
    rewatch(root, dir_rel);
    if (tree_->rules_generation() == before) return;
  }
}

void inotify_state::rewatch(std::size_t root, const std::string& dir_rel) {
  const std::string abs = tree_->abs_path(root, dir_rel);
  const auto in_tree = [&](const std::string& a) {
    const watch_map::dir* d = watches_.find_path(a);
    return d != nullptr && d->root == static_cast<int>(root);
  };
  // The rules of dir_rel reach only below it. Parents first, so that a dropped directory takes its
  // subtree along and what is below it is not looked at again.
  std::vector<std::pair<std::string, std::string>> watched;  // (rel, abs)
  for (const int wd : watches_.subtree(abs))
    if (const watch_map::dir* d = watches_.find(wd); d != nullptr && d->root == static_cast<int>(root))
      watched.emplace_back(d->rel, d->abs);
  std::sort(watched.begin(), watched.end());
  std::vector<std::string> kept;
  for (const auto& [r, a] : watched) {
    if (!in_tree(a)) continue;  // went with a directory above it
    if (r != dir_rel && tree_->ignored(root, r, true)) {
      drop_subtree(a);
      continue;
    }
    kept.push_back(r);
  }
  // Polled subtrees that are ignored now go without a last scan: their files are out of sight, not gone.
  std::erase_if(polled_, [&](const poll_scan& p) {
    return p.root() == root && p.dir_rel() != dir_rel && at_or_under(p.dir_rel(), dir_rel) &&
           tree_->ignored_path(root, p.dir_rel(), true);
  });
  // Directories no longer ignored: watched from now on. Their files did not change, so they are not
  // reported (the polling backend cannot tell them from new files, and does).
  std::vector<watch_tree::entry> entries;
  for (const auto& r : kept) {
    if (tree_->list(root, r, entries)) continue;
    for (const auto& e : entries) {
      if (e.type != watch_tree::entry_type::dir) continue;
      std::string child = join_rel(r, e.name);
      if (in_tree(tree_->abs_path(root, child)) || is_polled(root, child)) continue;
      add_tree(root, child, false);
    }
  }
}

}  // namespace liveproxy::watcher
