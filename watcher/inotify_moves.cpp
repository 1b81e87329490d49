// inotify: directory renames paired by cookie, so a move within the tree re-paths its watches in place.
#include "watcher/inotify_state.hpp"

#include <sys/ioctl.h>

#include <algorithm>

namespace liveproxy::watcher {
namespace {

// The kernel queues IN_MOVED_FROM and IN_MOVED_TO one after the other, but a read can end between
// them; the other half is then the next read, microseconds later. Beyond this, it is not coming.
constexpr std::chrono::milliseconds pair_window{20};

}  // namespace

void inotify_state::dir_moved_from(std::size_t root, const std::string& rel, const std::string& abs,
                                   std::uint32_t cookie) {
  // Its files were not enumerated, so the directory itself stands for them.
  if (!tree_->ignored(root, rel, true)) emit(abs, rel, file_event::removed);
  auto wds = watches_.subtree(abs);
  if (wds.empty()) return;  // an ignored directory: nothing to carry over
  moves_[cookie] = pending_move{std::move(wds), root, rel, abs, clock::now() + pair_window, false};
}

void inotify_state::dir_moved_to(std::size_t root, const std::string& rel, const std::string& abs,
                                 std::uint32_t cookie) {
  const bool ignored = tree_->ignored(root, rel, true);
  const auto it = moves_.find(cookie);
  if (it == moves_.end()) {
    // Moved in from outside (or from an unwatched directory): its content is new to us.
    if (!ignored) add_tree(root, rel, true);
    return;
  }
  pending_move m = std::move(it->second);
  moves_.erase(it);
  if (ignored) {
    for (const int wd : m.wds) unwatch(wd);
    return;
  }
  // The same inodes, so the same watches: only their paths change. No rescan, no lost events.
  watches_.move(m.wds, m.abs, abs, root, rel);
  tree_->moved(m.root, m.rel, root, rel);
  emit(abs, rel, file_event::changed);
  // What was watched at the old place may be ignored at the new one (anchored or nested rules):
  // parents first, so that dropping one drops its subtree once.
  std::vector<std::pair<std::string, std::string>> moved;  // (rel, abs)
  for (const int wd : m.wds)
    if (const watch_map::dir* d = watches_.find(wd); d != nullptr && d->root == static_cast<int>(root))
      moved.emplace_back(d->rel, d->abs);
  std::sort(moved.begin(), moved.end());
  std::string dropped;
  for (const auto& [r, a] : moved) {
    if (!dropped.empty() && r.starts_with(dropped + "/")) continue;
    if (r != rel && tree_->ignored(root, r, true)) {
      drop_subtree(a);
      dropped = r;
    }
  }
}

void inotify_state::moved_out_of_tree(std::uint32_t cookie) {
  const auto it = moves_.find(cookie);
  if (it == moves_.end()) return;
  for (const int wd : it->second.wds) unwatch(wd);
  moves_.erase(it);
}

// Directories whose IN_MOVED_TO did not come in time left the tree: their watches go.
void inotify_state::settle_moves(bool all) {
  const auto now = clock::now();
  int queued = 0;
  // Events the kernel already holds may contain the other halves: they get one more window.
  if (!all) ::ioctl(stream_.native_handle(), FIONREAD, &queued);
  std::vector<std::uint32_t> gone;
  for (auto& [cookie, m] : moves_) {
    if (!all && m.deadline > now) continue;
    if (!all && queued > 0 && !m.extended) {
      m.extended = true;
      m.deadline = now + pair_window;
      continue;
    }
    gone.push_back(cookie);
  }
  for (const auto cookie : gone) moved_out_of_tree(cookie);
}

void inotify_state::schedule_move_check() {
  if (move_timer_armed_ || moves_.empty()) return;
  const auto next = std::min_element(moves_.begin(), moves_.end(), [](const auto& a, const auto& b) {
                      return a.second.deadline < b.second.deadline;
                    })->second.deadline;
  move_timer_armed_ = true;
  move_timer_.expires_at(next);
  move_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    const auto self = weak.lock();
    if (!self) return;
    self->move_timer_armed_ = false;
    if (ec || self->sink_ == nullptr) return;
    self->settle_moves(false);
    self->schedule_move_check();
  });
}

}  // namespace liveproxy::watcher
