// Recursive watching with inotify: a watch per directory, new directories scanned as they appear.
#include "watcher/inotify_backend.hpp"

#include "watcher/poll_scan.hpp"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

// GCC 12 at -O2 reports a false "potential null pointer dereference" inside Asio's epoll reactor.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace liveproxy::watcher {
namespace {

namespace net = boost::asio;

// What a directory watch listens for. IN_CREATE matters for directories (watch them) and symlinks
// (no close follows); regular files are reported on IN_CLOSE_WRITE so nobody reads a half-written file.
constexpr std::uint32_t dir_mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB |
                                   IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

// Room for a few thousand events per read; one read is one flush to the debouncer.
constexpr std::size_t read_buffer_size = 64 * 1024;

std::string max_user_watches() {
  std::ifstream in("/proc/sys/fs/inotify/max_user_watches");
  std::string v;
  if (!(in >> v)) v = "unknown";
  return v;
}

// Shared with the read coroutine so that a completion arriving after stop() finds live memory.
class inotify_state : public std::enable_shared_from_this<inotify_state> {
 public:
  inotify_state(net::any_io_executor ex, std::shared_ptr<watch_tree> tree, event_sink& sink,
                std::chrono::milliseconds fallback_interval)
      : stream_(ex),
        poll_timer_(ex),
        root_timer_(ex),
        tree_(std::move(tree)),
        sink_(&sink),
        fallback_interval_(fallback_interval),
        roots_(tree_->size()) {}

  void start() {
    // Test seam: pretend the kernel's watch limit is this low, to exercise the ENOSPC path without
    // lowering the (system-wide) sysctl.
    if (const char* cap = std::getenv("LIVEPROXY_TEST_MAX_INOTIFY_WATCHES")) watch_cap_ = std::atoi(cap);
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) throw std::runtime_error(std::string("inotify_init1: ") + std::strerror(errno));
    stream_.assign(fd);
    for (std::size_t i = 0; i < tree_->size(); ++i) add_tree(i, "", false);
    buffer_.resize(read_buffer_size);
    net::co_spawn(stream_.get_executor(), read_loop(shared_from_this()), net::detached);
  }

  void stop() {
    sink_ = nullptr;
    poll_timer_.cancel();
    root_timer_.cancel();
    boost::system::error_code ec;
    stream_.close(ec);
  }

  void watch_extra_files(const std::vector<std::filesystem::path>& files) {
    if (!stream_.is_open()) return;
    for (const auto& f : files) {
      std::error_code ec;
      const auto abs = std::filesystem::weakly_canonical(std::filesystem::absolute(f, ec), ec);
      if (ec || !abs.has_parent_path()) continue;
      const std::string dir = abs.parent_path().string();
      const int wd = ::inotify_add_watch(stream_.native_handle(), dir.c_str(), dir_mask);
      if (wd < 0) {
        say("cannot watch " + abs.string() + ": " + std::strerror(errno));
        continue;
      }
      auto [it, inserted] = by_wd_.try_emplace(wd);
      if (inserted) {
        it->second.abs = dir;
        by_abs_[dir] = wd;
      }
      it->second.extra_names.insert(abs.filename().string());
    }
  }

 private:
  struct dir_watch {
    int root = -1;  // -1: only here for extra files
    std::string rel;
    std::string abs;
    std::unordered_set<std::string> extra_names;
  };

  // A root that was deleted or moved away is waited for: through a watch on its parent while the
  // parent exists (parent_wd), else by a cheap existence check every fallback_interval_.
  struct root_state {
    int wd = -1;  // the root's own watch, -1 while missing (or polled for lack of watches)
    bool missing = false;
    int parent_wd = -1;
  };

  // What a parent watch listens for while a root is missing: the root's name (re)appearing, and
  // the parent itself going away.
  static constexpr std::uint32_t parent_mask =
      IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_MASK_ADD;

  // `self` keeps this object alive while a read is in flight.
  net::awaitable<void> read_loop([[maybe_unused]] std::shared_ptr<inotify_state> self) {
    for (;;) {
      auto [ec, n] = co_await stream_.async_read_some(net::buffer(buffer_), net::as_tuple(net::use_awaitable));
      if (sink_ == nullptr) co_return;
      if (ec) {
        say("inotify read failed: " + ec.message() + "; file watching stopped");
        co_return;
      }
      process(n);
      if (sink_ == nullptr) co_return;
      sink_->on_flush();
    }
  }

  // Handles the n bytes of events in buffer_.
  void process(std::size_t n) {
    for (std::size_t off = 0; off + sizeof(inotify_event) <= n && sink_ != nullptr;) {
      inotify_event ev{};
      // The buffer is bytes: copy the header out rather than casting an unaligned pointer.
      std::memcpy(&ev, buffer_.data() + off, sizeof ev);
      std::string_view name(buffer_.data() + off + sizeof ev, ev.len);
      name = name.substr(0, name.find('\0'));
      off += sizeof ev + ev.len;
      handle(ev.wd, ev.mask, name);
    }
  }

  void say(std::string text) {
    if (sink_ != nullptr) sink_->on_message(std::move(text));
  }

  void emit(std::string path, std::string rel) {
    if (sink_ != nullptr) sink_->on_change(std::move(path), std::move(rel));
  }

  void handle(int wd, std::uint32_t mask, std::string_view name) {
    if (mask & IN_Q_OVERFLOW) {
      overflow();
      return;
    }
    if (parent_waiters_.contains(wd)) parent_event(wd, mask, name);
    const auto it = by_wd_.find(wd);
    if (it == by_wd_.end()) return;
    const int owner = it->second.root;
    const bool is_root = owner >= 0 && roots_[static_cast<std::size_t>(owner)].wd == wd;
    if (mask & IN_IGNORED) {
      // Removed by the kernel (deleted, unmounted) without a DELETE_SELF we acted on.
      if (is_root) root_gone(static_cast<std::size_t>(owner));
      forget(wd);
      return;
    }
    if (name.empty()) {
      if ((mask & (IN_DELETE_SELF | IN_MOVE_SELF)) && is_root) root_gone(static_cast<std::size_t>(owner));
      return;
    }
    // Copied: add_tree() below may rehash by_wd_.
    const dir_watch d = it->second;
    const bool is_dir = (mask & IN_ISDIR) != 0;
    const std::string abs = d.abs + "/" + std::string(name);
    bool reported = false;
    if (d.root >= 0) {
      const auto root = static_cast<std::size_t>(d.root);
      std::string rel = join_rel(d.rel, name);
      if (is_dir) {
        // Gone or moved away: its watches are stale (a move within the tree is re-added on IN_MOVED_TO).
        if (mask & (IN_MOVED_FROM | IN_DELETE)) drop_subtree(abs);
        if (!tree_->ignored(root, rel, true)) {
          // Its files were not enumerated, so the directory itself stands for them.
          if (mask & IN_MOVED_FROM) emit(abs, rel);
          if (mask & (IN_CREATE | IN_MOVED_TO)) add_tree(root, rel, true);
        }
        return;
      }
      if (name == ".gitignore") {
        // Rules for entries seen from now on; existing watches stay as they are.
        tree_->reload_gitignore(root, d.rel);
        return;
      }
      if (!tree_->ignored(root, rel, false) && (!(mask & IN_CREATE) || is_symlink(abs))) {
        emit(abs, std::move(rel));
        reported = true;
      }
    }
    if (!reported && !is_dir && (mask & ~IN_CREATE) && d.extra_names.contains(std::string(name))) emit(abs, abs);
  }

  static bool is_symlink(const std::string& abs) {
    struct stat st {};
    return ::lstat(abs.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
  }

  // Watches rel and every directory below it that is not ignored; with report, the files found are
  // reported too (they may have been created before the watch existed).
  void add_tree(std::size_t root, const std::string& rel, bool report) {
    std::vector<std::string> stack{rel};
    std::vector<watch_tree::entry> entries;
    while (!stack.empty()) {
      const std::string dir = std::move(stack.back());
      stack.pop_back();
      std::string abs = tree_->abs_path(root, dir);
      // Watch first, list second: nothing created in between is missed (duplicates are de-duplicated).
      const int wd = add_watch(abs);
      if (wd < 0) {
        if (watch_failed(abs, errno)) poll_instead(root, dir, report);
        continue;
      }
      remember(wd, root, dir, std::move(abs));
      if (tree_->list(root, dir, entries)) continue;
      for (const auto& e : entries) {
        std::string child = join_rel(dir, e.name);
        if (e.type == watch_tree::entry_type::dir) {
          stack.push_back(std::move(child));
        } else if (report && e.name != ".gitignore" &&
                   (e.type == watch_tree::entry_type::file || e.type == watch_tree::entry_type::symlink)) {
          std::string path = tree_->abs_path(root, child);
          emit(std::move(path), std::move(child));
        }
      }
    }
  }

  int add_watch(const std::string& abs) {
    if (watch_cap_ > 0 && static_cast<int>(by_wd_.size()) >= watch_cap_ && !by_abs_.contains(abs)) {
      errno = ENOSPC;
      return -1;
    }
    return ::inotify_add_watch(stream_.native_handle(), abs.c_str(), dir_mask);
  }

  // A directory that could not get a watch is polled, with everything below it.
  void poll_instead(std::size_t root, const std::string& rel, bool report) {
    polled_.emplace_back(root, rel);
    polled_.back().rescan(
        *tree_, [this](const std::string& path, const std::string& r) { emit(path, r); }, report);
    if (polled_.size() == 1) schedule_poll();
  }

  void schedule_poll() {
    poll_timer_.expires_after(fallback_interval_);
    poll_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      const auto self = weak.lock();
      if (ec || !self || self->sink_ == nullptr) return;
      for (auto& p : self->polled_) {
        p.rescan(*self->tree_, [&](const std::string& path, const std::string& rel) { self->emit(path, rel); });
      }
      if (self->sink_ == nullptr) return;
      self->sink_->on_flush();
      if (self->sink_ != nullptr) self->schedule_poll();
    });
  }

  void remember(int wd, std::size_t root, const std::string& rel, std::string abs) {
    if (rel.empty()) roots_[root].wd = wd;
    auto& d = by_wd_[wd];
    // The same inode seen under a new name (a directory moved within the tree) keeps its wd.
    if (!d.abs.empty() && d.abs != abs) by_abs_.erase(d.abs);
    d.root = static_cast<int>(root);
    d.rel = rel;
    by_abs_[abs] = wd;
    d.abs = std::move(abs);
  }

  void forget(int wd) {
    const auto it = by_wd_.find(wd);
    if (it == by_wd_.end()) return;
    const auto p = by_abs_.find(it->second.abs);
    if (p != by_abs_.end() && p->second == wd) by_abs_.erase(p);
    by_wd_.erase(it);
  }

  // Removes the watches of a directory and everything below it.
  void drop_subtree(const std::string& abs) {
    const std::string prefix = abs + "/";
    std::vector<int> wds;
    for (auto it = by_abs_.lower_bound(abs); it != by_abs_.end(); ++it) {
      if (it->first != abs && !it->first.starts_with(prefix)) break;
      wds.push_back(it->second);
    }
    for (const int wd : wds) unwatch(wd);
  }

  // Removes one directory's watch, unless it is kept for extra files or a missing root's parent.
  void unwatch(int wd) {
    if (const auto it = by_wd_.find(wd); it != by_wd_.end() && !it->second.extra_names.empty()) {
      it->second.root = -1;
      return;
    }
    if (!parent_waiters_.contains(wd)) ::inotify_rm_watch(stream_.native_handle(), wd);
    forget(wd);
  }

  // Says what went wrong (once per kind); true when the directory should be polled instead.
  bool watch_failed(const std::string& abs, int err) {
    switch (err) {
      case ENOENT:
      case ENOTDIR:
        return false;  // gone again before we got to it: nothing to watch
      case ENOSPC:
        if (!warned_enospc_) {
          warned_enospc_ = true;
          say("inotify watch limit reached at " + abs + " (fs.inotify.max_user_watches = " + max_user_watches() +
              "); polling the directories that could not be watched every " +
              std::to_string(fallback_interval_.count()) +
              " ms. Raise the limit with: sudo sysctl fs.inotify.max_user_watches=524288");
        }
        return true;
      case EACCES:
        if (!warned_eacces_) {
          warned_eacces_ = true;
          say("skipping " + abs + ": permission denied (further such directories are skipped silently)");
        }
        return false;
      default:
        say("cannot watch " + abs + ": " + std::strerror(err));
        return false;
    }
  }

  void overflow() {
    // Events were dropped by the kernel: rescan so new directories get watches, and tell the consumer.
    for (std::size_t i = 0; i < tree_->size(); ++i) {
      if (roots_[i].missing) continue;
      // The event saying the root went away may have been among the lost ones.
      if (!is_directory(tree_->root(i))) {
        root_gone(i);
        continue;
      }
      add_tree(i, "", false);
    }
    if (sink_ != nullptr) sink_->on_overflow();
  }

  static bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  // The root was deleted or moved away: its watches go (a moved root would report under the old
  // name), and we wait for it to come back.
  void root_gone(std::size_t i) {
    auto& r = roots_[i];
    if (r.missing) return;
    r.missing = true;
    r.wd = -1;
    std::vector<int> wds;
    for (const auto& [wd, d] : by_wd_)
      if (d.root == static_cast<int>(i)) wds.push_back(wd);
    for (const int wd : wds) unwatch(wd);
    std::erase_if(polled_, [&](const poll_scan& p) { return p.root() == i; });
    say("watch root " + tree_->root(i) + " is gone; watching for it to come back");
    wait_for_root(i);
  }

  // Watches the parent for the root's name, or falls back to the timer when the parent is gone too.
  void wait_for_root(std::size_t i) {
    auto& r = roots_[i];
    if (is_directory(tree_->root(i))) {
      root_back(i);
      return;
    }
    const std::string parent = std::filesystem::path(tree_->root(i)).parent_path().string();
    if (r.parent_wd < 0) {
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

  void parent_event(int wd, std::uint32_t mask, std::string_view name) {
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

  void release_parent(std::size_t i) {
    auto& r = roots_[i];
    if (r.parent_wd < 0) return;
    const auto it = parent_waiters_.find(r.parent_wd);
    if (it != parent_waiters_.end()) {
      it->second.erase(i);
      if (it->second.empty()) {
        // A parent that also holds extra files keeps its watch (its mask only grew).
        if (!by_wd_.contains(r.parent_wd)) ::inotify_rm_watch(stream_.native_handle(), r.parent_wd);
        parent_waiters_.erase(it);
      }
    }
    r.parent_wd = -1;
  }

  void root_back(std::size_t i) {
    auto& r = roots_[i];
    release_parent(i);
    r.missing = false;
    // Everything in it is new to us: reported, like the files of a directory moved in.
    add_tree(i, "", true);
    const bool polled =
        std::any_of(polled_.begin(), polled_.end(), [&](const poll_scan& p) { return p.root() == i && p.dir_rel().empty(); });
    if (r.wd < 0 && !polled) {
      // Gone again before we could watch it.
      r.missing = true;
      schedule_root_check();
      return;
    }
    say("watch root " + tree_->root(i) + " is back; watching it again");
  }

  // Armed only while some missing root has no parent to watch: idle otherwise.
  void schedule_root_check() {
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

  net::posix::stream_descriptor stream_;
  net::steady_timer poll_timer_;  // armed only while some directory is polled: idle means no wake-ups
  net::steady_timer root_timer_;  // armed only while a missing root has no parent to watch
  bool root_timer_armed_ = false;
  std::shared_ptr<watch_tree> tree_;
  event_sink* sink_;  // null once stopped
  std::chrono::milliseconds fallback_interval_;
  std::vector<poll_scan> polled_;
  int watch_cap_ = 0;
  std::vector<char> buffer_;
  std::unordered_map<int, dir_watch> by_wd_;
  std::map<std::string, int> by_abs_;  // ordered, so a subtree is a contiguous range
  std::vector<root_state> roots_;
  std::unordered_map<int, std::unordered_set<std::size_t>> parent_waiters_;  // parent wd → missing roots
  bool warned_enospc_ = false;
  bool warned_eacces_ = false;
};

class inotify_backend final : public backend {
 public:
  inotify_backend(net::any_io_executor ex, std::shared_ptr<watch_tree> tree, event_sink& sink,
                  std::chrono::milliseconds fallback_interval)
      : state_(std::make_shared<inotify_state>(std::move(ex), std::move(tree), sink, fallback_interval)) {}
  ~inotify_backend() override { stop(); }
  inotify_backend(const inotify_backend&) = delete;
  inotify_backend& operator=(const inotify_backend&) = delete;

  void start() override { state_->start(); }
  void stop() override { state_->stop(); }
  void watch_extra_files(const std::vector<std::filesystem::path>& files) override {
    state_->watch_extra_files(files);
  }
  std::string name() const override { return "inotify"; }

 private:
  std::shared_ptr<inotify_state> state_;
};

}  // namespace

std::unique_ptr<backend> make_inotify_backend(net::any_io_executor ex, std::shared_ptr<watch_tree> tree,
                                              event_sink& sink, std::chrono::milliseconds fallback_interval) {
  return std::make_unique<inotify_backend>(std::move(ex), std::move(tree), sink, fallback_interval);
}

}  // namespace liveproxy::watcher
