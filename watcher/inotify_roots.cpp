// inotify: a watch root deleted or moved away is reported, waited for cheaply, and watched again.
#include "watcher/inotify_state.hpp"

#include <sys/stat.h>

#include <algorithm>

namespace liveproxy::watcher {
namespace {

// What a parent watch listens for while a root is missing: the root's name (re)appearing, and the
// parent itself going away. IN_MASK_ADD: the parent may already be watched for extra files.
constexpr std::uint32_t parent_mask =
    IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_MASK_ADD;

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

// Its watches go (a moved root would go on reporting under the old name), and we wait for it.
void inotify_state::root_gone(std::size_t i) {
  auto& r = roots_[i];
  if (r.missing) return;
  r.missing = true;
  r.wd = -1;
  for (const int wd : watches_.of_root(i)) unwatch(wd);
  std::erase_if(polled_, [&](const poll_scan& p) { return p.root() == i; });
  say("watch root " + tree_->root(i) + " is gone; watching for it to come back");
  wait_for_root(i);
}

// Watches the parent for the root's name, or falls back to the timer when the parent is gone too.
void inotify_state::wait_for_root(std::size_t i) {
  auto& r = roots_[i];
  if (is_directory(tree_->root(i))) {
    root_back(i);
    return;
  }
  if (r.parent_wd < 0) {
    const std::string parent = std::filesystem::path(tree_->root(i)).parent_path().string();
    const int wd = ::inotify_add_watch(stream_.native_handle(), parent.c_str(), parent_mask);
    if (wd >= 0) {
      r.parent_wd = wd;
      parent_waiters_[wd].insert(i);
    }
  }
  if (r.parent_wd < 0) {
    schedule_root_check();
    return;
  }
  // Watch first, look second: a root created in between is not missed.
  if (is_directory(tree_->root(i))) root_back(i);
}

void inotify_state::parent_event(int wd, std::uint32_t mask, std::string_view name) {
  // Copied: root_back() and release_parent() change the set.
  const std::unordered_set<std::size_t> waiting = parent_waiters_[wd];
  if (mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
    // The parent is gone too: look for the root (and its parent) on the timer instead.
    for (const std::size_t i : waiting) release_parent(i);
    schedule_root_check();
    return;
  }
  if (!(mask & (IN_CREATE | IN_MOVED_TO)) || !(mask & IN_ISDIR)) return;
  for (const std::size_t i : waiting) {
    if (std::filesystem::path(tree_->root(i)).filename() == name) root_back(i);
  }
}

void inotify_state::release_parent(std::size_t i) {
  auto& r = roots_[i];
  if (r.parent_wd < 0) return;
  const auto it = parent_waiters_.find(r.parent_wd);
  if (it != parent_waiters_.end()) {
    it->second.erase(i);
    if (it->second.empty()) {
      // A parent that also holds extra files keeps its watch (its mask only grew).
      if (watches_.find(r.parent_wd) == nullptr) ::inotify_rm_watch(stream_.native_handle(), r.parent_wd);
      parent_waiters_.erase(it);
    }
  }
  r.parent_wd = -1;
}

void inotify_state::root_back(std::size_t i) {
  auto& r = roots_[i];
  release_parent(i);
  r.missing = false;
  // Everything in it is new to us: reported, like the files of a directory moved in.
  add_tree(i, "", true);
  const bool polled = std::any_of(polled_.begin(), polled_.end(),
                                  [&](const poll_scan& p) { return p.root() == i && p.dir_rel().empty(); });
  if (r.wd < 0 && !polled) {
    // Gone again before we could watch it.
    r.missing = true;
    schedule_root_check();
    return;
  }
  say("watch root " + tree_->root(i) + " is back; watching it again");
}

void inotify_state::schedule_root_check() {
  if (root_timer_armed_) return;
  root_timer_armed_ = true;
  root_timer_.expires_after(fallback_interval_);
  root_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    const auto self = weak.lock();
    if (!self) return;
    self->root_timer_armed_ = false;
    if (ec || self->sink_ == nullptr) return;
    for (std::size_t i = 0; i < self->roots_.size(); ++i) {
      if (self->roots_[i].missing && self->roots_[i].parent_wd < 0) self->wait_for_root(i);
    }
    if (self->sink_ != nullptr) self->sink_->on_flush();
  });
}

}  // namespace liveproxy::watcher
