// The file watcher as the proxy sees it: roots in, classified debounced batches out, on one io_context.
#pragma once

#include "watcher/change.hpp"
#include "watcher/classifier.hpp"
#include "watcher/debouncer.hpp"
#include "watcher/tree_summary.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <filesystem>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace liveproxy::watcher {

/// How often the polling backend scans: when polling is asked for without an interval (--poll,
/// "backend": "poll"), and when inotify is unavailable.
inline constexpr std::chrono::milliseconds default_poll_interval{500};

/// How to watch. Defaults are what a web developer expects.
struct options {
  std::vector<std::filesystem::path> roots;  ///< directories to watch recursively
  std::vector<std::string> extra_ignores;    ///< user --ignore globs (gitignore syntax)
  /// Poll instead of inotify, at this interval (--poll [MS]).
  std::optional<std::chrono::milliseconds> poll_interval;
  /// Watch through the watchman service (--watchman); when it cannot be used, say why and use inotify.
  bool use_watchman = false;
  /// watchman's socket; empty: $WATCHMAN_SOCK, else asked from `watchman get-sockname`.
  std::string watchman_socket;
  /// What each change means, first match wins; empty: classifier::default_rules(). Plain data, so
  /// the proxy can pick the set for a JavaScript app and a config file can supply its own.
  std::vector<classifier::rule> rules;
  /// Quiet time after the last event before a restart batch is delivered.
  std::chrono::milliseconds restart_settle{debouncer::default_restart_settle};
  /// ...for a batch of one file written whole (an editor's save).
  std::chrono::milliseconds quick_settle{debouncer::default_quick_settle};
  /// Browser-only batches go out on the leading edge; later events of the same burst are coalesced for this long.
  std::chrono::milliseconds browser_coalesce{debouncer::default_browser_coalesce};
  /// Called with true as soon as code changes arrive (each read of events that brings some), before their
  /// settle time: the app may be restarted early on that. `paths` names the code files written or created in
  /// that read; it is empty when there were too many to name, or only deletions and renames away (often the
  /// first half of an editor's save), or lost events. Their batch follows through the batch callback once
  /// settled; if instead they all turn out to be temporary files, this is called with false.
  std::function<void(bool restart_pending, const std::vector<std::string>& paths)> on_restart_pending;
  /// Where notices go (watch limit reached, unreadable directory, deleted root, backend fallback): one
  /// line each, without a prefix, on the watcher's executor. Unset: "liveproxy: <text>" on stderr.
  std::function<void(const std::string&)> on_message;
};

/// Watches the roots and calls on_batch with each debounced, classified batch.
/// Runs on the given executor; construct, then start(). Not thread-safe: use from that executor only.
class watcher {
 public:
  using callback = std::function<void(const batch&)>;

  watcher(boost::asio::any_io_executor ex, options opts, callback on_batch);
  ~watcher();
  watcher(const watcher&) = delete;
  watcher& operator=(const watcher&) = delete;

  /// Sets up the watches (throws std::runtime_error with a clear message on failure).
  void start();
  /// Stops watching; no callback is made after this returns.
  void stop();
  /// Also watch these files (e.g. files named in a crash traceback), even outside the roots.
  void watch_extra_files(const std::vector<std::filesystem::path>& files);
  /// Takes in what has happened to the files up to now (see backend::read_now): batches that are due go out
  /// before it returns; the others are pending.
  void read_now();
  /// Changes taken in so far (ignored paths not counted; lost events count as one).
  std::uint64_t changes_seen() const;
  /// How many of changes_seen() have been handed out in batches (or turned out to be temporary files): all of
  /// them once nothing is pending.
  std::uint64_t changes_delivered() const;
  /// Which backend is in use, e.g. "inotify" or "poll (500 ms)".
  std::string backend_name() const;
  /// Directories and files watched under each root (a directory walk: for a status page, not per change).
  std::vector<root_summary> summary() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liveproxy::watcher
