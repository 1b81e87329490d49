// The inotify backend's state, shared by its source files (events, missing roots, rename pairing).
// Internal to watcher/: only the inotify backend's .cpp files include it.
#pragma once

#include "watcher/backend.hpp"
#include "watcher/poll_scan.hpp"
#include "watcher/watch_map.hpp"
#include "watcher/watch_tree.hpp"

#include <sys/inotify.h>

// GCC 12 at -O2 reports a false "potential null pointer dereference" inside Asio's epoll reactor.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace liveproxy::watcher {

/// Recursive inotify watching. Shared with its coroutine and timers so that a completion arriving
/// after stop() finds live memory; after stop() the sink is never called.
class inotify_state : public std::enable_shared_from_this<inotify_state> {
 public:
  inotify_state(boost::asio::any_io_executor ex, std::shared_ptr<watch_tree> tree, event_sink& sink,
                std::chrono::milliseconds fallback_interval);

  void start();
  /// Reads what the kernel has queued now (the fd is non-blocking), polls the polled subtrees, and flushes.
  void read_now();
  void stop();
  void watch_extra_files(const std::vector<std::filesystem::path>& files);
  /// "inotify", and how many directories are polled for lack of watches, if any.
  std::string name() const;

 private:
  using clock = std::chrono::steady_clock;

  // Is the root-relative path dir itself or inside it? ("" is the root, which holds everything.)
  static bool at_or_under(const std::string& path, const std::string& dir);

  // A root that was deleted or moved away is waited for: through a watch on its parent while the
  // parent exists (parent_wd), else by a cheap existence check every fallback_interval_.
  struct root_state {
    int wd = -1;  // the root's own watch; -1 while missing (or polled for lack of watches)
    bool missing = false;
    int parent_wd = -1;
  };

  // A directory seen leaving (IN_MOVED_FROM) whose IN_MOVED_TO has not been seen yet.
  struct pending_move {
    std::vector<int> wds;  // its watches and those below it, taken when it left
    std::size_t root = 0;
    std::string rel;
    std::string abs;
    clock::time_point deadline;
    bool extended = false;  // given one more window because the kernel had more events ready
  };

  // inotify_backend.cpp: reading and dispatching events, watching trees, fallbacks.
  boost::asio::awaitable<void> read_loop(std::shared_ptr<inotify_state> self);
  void process(const char* data, std::size_t n);
  void handle(int wd, std::uint32_t mask, std::uint32_t cookie, std::string_view name);
  void handle_dir(const watch_map::dir& d, std::uint32_t mask, std::uint32_t cookie, std::string_view name);
  void say(std::string text);
  void emit(std::string path, std::string rel, file_event ev);
  void remember_created(const std::string& abs);
  std::optional<file_event> event_kind(const std::string& abs, std::uint32_t mask);
  void add_tree(std::size_t root, const std::string& rel, bool report);
  int add_watch(const std::string& abs);
  void poll_instead(std::size_t root, const std::string& rel, bool report);
  bool is_polled(std::size_t root, const std::string& rel) const;
  void unpoll(std::size_t root, const std::string& rel, bool report);
  void schedule_poll();
  void remember(int wd, std::size_t root, const std::string& rel, std::string abs);
  void drop_subtree(const std::string& abs);
  void unwatch(int wd);
  bool watch_failed(const std::string& abs, int err);
  void overflow();

  // inotify_rules.cpp: the watches follow .gitignore edits.
  void rules_changed(std::size_t root, const std::string& dir_rel);
  void rewatch(std::size_t root, const std::string& dir_rel);

  // inotify_roots.cpp: a watch root deleted or moved away, and back.
  void root_gone(std::size_t i);
  void wait_for_root(std::size_t i);
  void parent_event(int wd, std::uint32_t mask, std::string_view name);
  void release_parent(std::size_t i);
  void root_back(std::size_t i);
  void schedule_root_check();

  // inotify_moves.cpp: IN_MOVED_FROM / IN_MOVED_TO pairs of directories.
  void dir_moved_from(std::size_t root, const std::string& rel, const std::string& abs, std::uint32_t cookie);
  void dir_moved_to(std::size_t root, const std::string& rel, const std::string& abs, std::uint32_t cookie);
  void moved_out_of_tree(std::uint32_t cookie);
  void settle_moves(bool all);
  void schedule_move_check();

  boost::asio::posix::stream_descriptor stream_;
  boost::asio::steady_timer poll_timer_;  // armed only while some directory is polled: idle means no wake-ups
  boost::asio::steady_timer root_timer_;  // armed only while a missing root has no parent to watch
  boost::asio::steady_timer move_timer_;  // armed only while a directory move waits for its other half
  bool poll_timer_armed_ = false;
  bool root_timer_armed_ = false;
  bool move_timer_armed_ = false;
  std::shared_ptr<watch_tree> tree_;
  event_sink* sink_;  // null once stopped
  std::chrono::milliseconds fallback_interval_;
  std::vector<poll_scan> polled_;  // each for a subtree; none inside another
  int watch_cap_ = 0;
  std::vector<char> buffer_;
  watch_map watches_;
  std::vector<root_state> roots_;
  std::unordered_map<int, std::unordered_set<std::size_t>> parent_waiters_;  // parent wd → missing roots
  std::unordered_map<std::uint32_t, pending_move> moves_;                    // by cookie
  bool warned_enospc_ = false;
  // A file created and not yet written and closed: since when, and whether an event of it was reported.
  struct fresh_file {
    clock::time_point since;
    bool reported = false;
  };
  std::unordered_map<std::string, fresh_file> fresh_;  // by absolute path
};

}  // namespace liveproxy::watcher
