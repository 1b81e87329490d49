// Recursive watching with inotify: a watch per directory, new directories scanned as they appear.
#include "watcher/inotify_backend.hpp"

#include "watcher/inotify_state.hpp"

#include <sys/stat.h>
#include <unistd.h>

// GCC 12 at -O2 reports a false "potential null pointer dereference" inside Asio's epoll reactor.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace liveproxy::watcher {
namespace {

namespace net = boost::asio;

// What a directory watch listens for. IN_CREATE matters for directories (watch them) and symlinks
// (no close follows); regular files are reported on IN_CLOSE_WRITE so nobody reads a half-written file.
constexpr std::uint32_t dir_mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB |
                                   IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

// Room for a few thousand events per read; one read is one flush to the debouncer.
constexpr std::size_t read_buffer_size = 64 * 1024;

// How many created files may wait for their close, and for how long they count as created: a
// temporary file is renamed away microseconds after it is written, well within the batch it is in.
constexpr std::size_t max_fresh = 4096;
constexpr std::chrono::seconds fresh_window{2};

std::string max_user_watches() {
  std::ifstream in("/proc/sys/fs/inotify/max_user_watches");
  std::string v;
  if (!(in >> v)) v = "unknown";
  return v;
}

bool is_symlink(const std::string& abs) {
  struct stat st {};
  return ::lstat(abs.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

}  // namespace

inotify_state::inotify_state(net::any_io_executor ex, std::shared_ptr<watch_tree> tree, event_sink& sink,
                             std::chrono::milliseconds fallback_interval)
    : stream_(ex),
      poll_timer_(ex),
      root_timer_(ex),
      move_timer_(ex),
      tree_(std::move(tree)),
      sink_(&sink),
      fallback_interval_(fallback_interval),
      roots_(tree_->size()) {}

void inotify_state::start() {
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

void inotify_state::stop() {
  sink_ = nullptr;
  poll_timer_.cancel();
  root_timer_.cancel();
  move_timer_.cancel();
  boost::system::error_code ec;
  stream_.close(ec);
}

bool inotify_state::at_or_under(const std::string& path, const std::string& dir) {
  return dir.empty() || path == dir || (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

std::string inotify_state::name() const {
  if (polled_.empty()) return "inotify";
  return "inotify, polling " + std::to_string(polled_.size()) + (polled_.size() == 1 ? " directory" : " directories");
}

void inotify_state::watch_extra_files(const std::vector<std::filesystem::path>& files) {
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
    watches_.remember_extra(wd, dir, abs.filename().string());
  }
}

// `self` keeps this object alive while a read is in flight.
net::awaitable<void> inotify_state::read_loop([[maybe_unused]] std::shared_ptr<inotify_state> self) {
  for (;;) {
    auto [ec, n] = co_await stream_.async_read_some(net::buffer(buffer_), net::as_tuple(net::use_awaitable));
    if (sink_ == nullptr) co_return;
    if (ec) {
      say("inotify read failed: " + ec.message() + "; file watching stopped");
      co_return;
    }
    process(buffer_.data(), n);
    if (sink_ == nullptr) co_return;
    if (!moves_.empty()) schedule_move_check();
    sink_->on_flush();
  }
}

void inotify_state::read_now() {
  // A write(2) queues its event before it returns: whatever a client wrote before asking is in the queue now.
  // The read loop's own read is waiting for readiness, not reading, so this one does not race it.
  std::vector<char> chunk(read_buffer_size);
  for (;;) {
    if (sink_ == nullptr) return;
    const auto n = ::read(stream_.native_handle(), chunk.data(), chunk.size());
    if (n <= 0) break;
    process(chunk.data(), static_cast<std::size_t>(n));
  }
  for (auto& p : polled_)
    p.rescan(*tree_, [&](const std::string& path, const std::string& rel, file_event ev) { emit(path, rel, ev); });
  if (sink_ == nullptr) return;
  if (!moves_.empty()) schedule_move_check();
  sink_->on_flush();
}

// Handles the n bytes of events in data.
void inotify_state::process(const char* data, std::size_t n) {
  for (std::size_t off = 0; off + sizeof(inotify_event) <= n && sink_ != nullptr;) {
    inotify_event ev{};
    // The buffer is bytes: copy the header out rather than casting an unaligned pointer.
    std::memcpy(&ev, data + off, sizeof ev);
    std::string_view name(data + off + sizeof ev, ev.len);
    name = name.substr(0, name.find('\0'));
    off += sizeof ev + ev.len;
    handle(ev.wd, ev.mask, ev.cookie, name);
  }
}

void inotify_state::say(std::string text) {
  if (sink_ != nullptr) sink_->on_message(std::move(text));
}

void inotify_state::emit(std::string path, std::string rel, file_event ev) {
  if (sink_ != nullptr) sink_->on_change(std::move(path), std::move(rel), ev);
}

void inotify_state::remember_created(const std::string& abs) {
  // Bounded: names created and never written and closed (hard links, mknod) would otherwise pile up.
  if (fresh_.size() >= max_fresh) fresh_.clear();
  fresh_[abs] = fresh_file{clock::now(), false};
}

// A file made by creat() or open(O_CREAT) counts as created until it is closed after writing, with
// the events in between (sed's fchmod of its temporary file): the debouncer can then leave out a
// temporary renamed away before its batch is due. One renamed away or deleted before anything was
// reported of it is nothing to report. A rename onto a name is a change of that name.
std::optional<file_event> inotify_state::event_kind(const std::string& abs, std::uint32_t mask) {
  const auto it = fresh_.find(abs);
  const bool fresh = it != fresh_.end() && clock::now() - it->second.since < fresh_window;
  if (mask & (IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)) {
    const bool unreported = fresh && !it->second.reported;
    if (it != fresh_.end()) fresh_.erase(it);
    if (mask & IN_MOVED_TO) return file_event::changed;
    if (unreported) return std::nullopt;
    return file_event::removed;
  }
  if (it == fresh_.end()) return file_event::changed;
  if (!fresh || (mask & IN_CLOSE_WRITE)) {
    fresh_.erase(it);
  } else {
    it->second.reported = true;
  }
  return fresh ? file_event::created : file_event::changed;
}

void inotify_state::handle(int wd, std::uint32_t mask, std::uint32_t cookie, std::string_view name) {
  if (mask & IN_Q_OVERFLOW) {
    overflow();
    return;
  }
  if (parent_waiters_.contains(wd)) parent_event(wd, mask, name);
  const watch_map::dir* found = watches_.find(wd);
  if (found == nullptr) return;
  const int owner = found->root;
  const bool is_root = owner >= 0 && roots_[static_cast<std::size_t>(owner)].wd == wd;
  if (mask & IN_IGNORED) {
    // Removed by the kernel (deleted, unmounted) without a DELETE_SELF we acted on.
    if (is_root) root_gone(static_cast<std::size_t>(owner));
    watches_.forget(wd);
    return;
  }
  if (name.empty()) {
    if ((mask & (IN_DELETE_SELF | IN_MOVE_SELF)) && is_root) root_gone(static_cast<std::size_t>(owner));
    return;
  }
  // Copied: what follows may add or drop watches.
  const watch_map::dir d = *found;
  if (mask & IN_ISDIR) {
    handle_dir(d, mask, cookie, name);
    return;
  }
  const std::string abs = d.abs + "/" + std::string(name);
  if (d.root >= 0) {
    const auto root = static_cast<std::size_t>(d.root);
    std::string rel = join_rel(d.rel, name);
    if (name == ".gitignore") {
      // The rules of this directory and everything below it: what is watched follows them.
      if (tree_->reload_gitignore(root, d.rel)) rules_changed(root, d.rel);
      return;
    }
    if (!tree_->ignored(root, rel, false)) {
      if (!(mask & IN_CREATE)) {
        // A rename reports both names: the old one on IN_MOVED_FROM, the new one on IN_MOVED_TO.
        if (const auto ev = event_kind(abs, mask)) emit(abs, std::move(rel), *ev);
      } else if (is_symlink(abs)) {
        emit(abs, std::move(rel), file_event::created);  // no close follows
      } else {
        remember_created(abs);  // reported once written and closed
      }
      return;
    }
  }
  if ((mask & ~IN_CREATE) && d.extra_names.contains(std::string(name))) {
    if (const auto ev = event_kind(abs, mask)) emit(abs, abs, *ev);
  }
}

void inotify_state::handle_dir(const watch_map::dir& d, std::uint32_t mask, std::uint32_t cookie,
                               std::string_view name) {
  const std::string abs = d.abs + "/" + std::string(name);
  if (d.root < 0) {
    // Arrived in a directory we only watch for extra files: out of the tree, as far as we are concerned.
    if (mask & IN_MOVED_TO) moved_out_of_tree(cookie);
    return;
  }
  const auto root = static_cast<std::size_t>(d.root);
  const std::string rel = join_rel(d.rel, name);
  if (mask & IN_DELETE) {
    drop_subtree(abs);
    // Its watched files were reported as they were deleted; the polled ones are now. The directory
    // itself is no change.
    unpoll(root, rel, true);
    return;
  }
  if (mask & IN_MOVED_FROM) {
    dir_moved_from(root, rel, abs, cookie);
    // Polled, it has no watches to carry over: its files are gone from here (and, moved within the
    // tree, found at the new place).
    unpoll(root, rel, true);
  } else if (mask & IN_MOVED_TO) {
    dir_moved_to(root, rel, abs, cookie);
  } else if ((mask & IN_CREATE) && !tree_->ignored(root, rel, true)) {
    add_tree(root, rel, true);
  } else if ((mask & IN_ATTRIB) && !watches_.contains_path(abs) && !tree_->ignored(root, rel, true) &&
             !is_polled(root, rel)) {
    // An unwatched directory whose permissions changed may be readable now.
    add_tree(root, rel, true);
  }
}

// Watches rel and every directory below it that is not ignored; with report, the files found are
// reported too (they may have been created before the watch existed).
void inotify_state::add_tree(std::size_t root, const std::string& rel, bool report) {
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
    // Polled for lack of a watch until now (watches were freed): the watch takes over, and what is
    // below it is watched or polled on its own.
    std::erase_if(polled_, [&](const poll_scan& p) { return p.root() == root && p.dir_rel() == dir; });
    if (tree_->list(root, dir, entries)) continue;
    for (const auto& e : entries) {
      std::string child = join_rel(dir, e.name);
      if (e.type == watch_tree::entry_type::dir) {
        stack.push_back(std::move(child));
      } else if (report && e.name != ".gitignore" &&
                 (e.type == watch_tree::entry_type::file || e.type == watch_tree::entry_type::symlink)) {
        std::string path = tree_->abs_path(root, child);
        emit(std::move(path), std::move(child), file_event::created);
      }
    }
  }
}

int inotify_state::add_watch(const std::string& abs) {
  if (watch_cap_ > 0 && static_cast<int>(watches_.size()) >= watch_cap_ && !watches_.contains_path(abs)) {
    errno = ENOSPC;
    return -1;
  }
  return ::inotify_add_watch(stream_.native_handle(), abs.c_str(), dir_mask);
}

// A directory that could not get a watch is polled, with everything below it.
void inotify_state::poll_instead(std::size_t root, const std::string& rel, bool report) {
  // Already polled, itself or with a directory above it: every overflow's rescan meets the watch
  // limit again for the same directories.
  if (is_polled(root, rel)) return;
  // What was polled below it is covered now.
  std::erase_if(polled_, [&](const poll_scan& p) { return p.root() == root && at_or_under(p.dir_rel(), rel); });
  polled_.emplace_back(root, rel);
  polled_.back().rescan(
      *tree_, [this](const std::string& path, const std::string& r, file_event ev) { emit(path, r, ev); }, report);
  schedule_poll();
}

bool inotify_state::is_polled(std::size_t root, const std::string& rel) const {
  return std::any_of(polled_.begin(), polled_.end(),
                     [&](const poll_scan& p) { return p.root() == root && at_or_under(rel, p.dir_rel()); });
}

// Stops polling rel and what is below it (deleted, moved away or ignored now); with report, one last
// scan first reports its files as gone.
void inotify_state::unpoll(std::size_t root, const std::string& rel, bool report) {
  const auto going = [&](const poll_scan& p) { return p.root() == root && at_or_under(p.dir_rel(), rel); };
  if (report) {
    for (auto& p : polled_)
      if (going(p))
        p.rescan(*tree_, [this](const std::string& path, const std::string& r, file_event ev) { emit(path, r, ev); });
  }
  std::erase_if(polled_, going);
}

void inotify_state::schedule_poll() {
  if (poll_timer_armed_ || polled_.empty()) return;
  poll_timer_armed_ = true;
  poll_timer_.expires_after(fallback_interval_);
  poll_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    const auto self = weak.lock();
    if (!self) return;
    self->poll_timer_armed_ = false;
    if (ec || self->sink_ == nullptr) return;
    for (auto& p : self->polled_) {
      p.rescan(*self->tree_,
               [&](const std::string& path, const std::string& rel, file_event ev) { self->emit(path, rel, ev); });
    }
    if (self->sink_ == nullptr) return;
    // Gone without an event we acted on (lost in an overflow): its files were reported by the scan.
    // A polled root stays: the scan sees it come back.
    std::erase_if(self->polled_, [](const poll_scan& p) { return p.missing() && !p.dir_rel().empty(); });
    self->sink_->on_flush();
    if (self->sink_ != nullptr) self->schedule_poll();
  });
}

void inotify_state::remember(int wd, std::size_t root, const std::string& rel, std::string abs) {
  if (rel.empty()) roots_[root].wd = wd;
  // Back in the tree before its move out was settled: the watch is in use again, not to be dropped.
  for (auto& entry : moves_) std::erase(entry.second.wds, wd);
  watches_.remember(wd, root, rel, std::move(abs));
}

// Removes the watches of a directory and everything below it.
void inotify_state::drop_subtree(const std::string& abs) {
  for (const int wd : watches_.subtree(abs)) unwatch(wd);
}

// Removes one directory's watch, unless it is kept for extra files or a missing root's parent.
void inotify_state::unwatch(int wd) {
  if (watch_map::dir* d = watches_.find(wd); d != nullptr && !d->extra_names.empty()) {
    d->root = -1;
    return;
  }
  if (!parent_waiters_.contains(wd)) ::inotify_rm_watch(stream_.native_handle(), wd);
  watches_.forget(wd);
}

// Says what went wrong (once per kind or directory); true when the directory should be polled instead.
bool inotify_state::watch_failed(const std::string& abs, int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return false;  // gone again before we got to it: nothing to watch
    case ENOSPC:
      if (!warned_enospc_) {
        warned_enospc_ = true;
        // Said once, not per directory: a big tree would otherwise print thousands of lines.
        const std::string limit = max_user_watches();
        const long current = std::atol(limit.c_str());
        say("inotify watch limit reached (fs.inotify.max_user_watches = " + limit +
            "): the directories that could not be watched are polled every " +
            std::to_string(fallback_interval_.count()) +
            " ms instead; raise the limit with: sudo sysctl fs.inotify.max_user_watches=" +
            std::to_string(std::max(524288L, 2 * current)));
      }
      return true;
    default:
      // EACCES and the like: said once per directory, like an unreadable directory when polling.
      tree_->unreadable(abs, err);
      return false;
  }
}

void inotify_state::overflow() {
  // A move's other half may have been lost: whatever waits is taken as gone, and the rescan below
  // watches whatever is in the tree now.
  settle_moves(true);
  for (std::size_t i = 0; i < tree_->size(); ++i) {
    if (roots_[i].missing) continue;
    // The event saying the root went away may have been among the lost ones.
    struct stat st {};
    if (::stat(tree_->root(i).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      root_gone(i);
      continue;
    }
    add_tree(i, "", false);
  }
  if (sink_ != nullptr) sink_->on_overflow();
}

namespace {

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
  std::string name() const override { return state_->name(); }
  void read_now() override { state_->read_now(); }

 private:
  std::shared_ptr<inotify_state> state_;
};

}  // namespace

std::unique_ptr<backend> make_inotify_backend(net::any_io_executor ex, std::shared_ptr<watch_tree> tree,
                                              event_sink& sink, std::chrono::milliseconds fallback_interval) {
  return std::make_unique<inotify_backend>(std::move(ex), std::move(tree), sink, fallback_interval);
}

}  // namespace liveproxy::watcher
