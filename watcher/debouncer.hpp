// Turns a stream of classified changes into batches: leading edge for the browser, settle time for restarts.
#pragma once

#include "watcher/change.hpp"
#include "watcher/file_event.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace liveproxy::watcher {

/// The debounce policy as a pure state machine: fed changes with their time, asked what is due.
/// No I/O and no clock of its own, so tests step it with a fake clock.
///
/// - A burst starts with a change when nothing is pending and the previous burst has been quiet for
///   browser_coalesce. If that first change is browser-only (css/reload) it is due at once (leading edge).
/// - Later browser-only changes are collected and due browser_coalesce after the last one (trailing batch).
/// - Once a restart is pending it swallows everything else and is due after restart_settle of quiet; after only
///   quick_settle when the batch is one file written whole (its last event a write or a rename onto it, no other
///   file in the batch, and it was not created in it): an editor's save. A checkout deletes and creates files
///   (git never writes in place), and a second file makes the batch wait the full settle again.
/// - Whatever is pending is due at the latest max_delay after the last change to a *new* path, so a
///   file rewritten forever cannot starve the app, while a long checkout (new paths all the time,
///   however slow the disk) still gives one batch.
/// - Changes are de-duplicated by path; a batch acts on its strongest member.
/// - A path created in the pending batch and removed (deleted, renamed away) before it is due was a
///   temporary file (an atomic save through "tmpXXXX" or sed's "sedXXXXXX"): it leaves the batch as
///   if it had never been seen. So that no leading-edge batch has named it first, a batch holding a
///   path created in it is never due on the leading edge; it waits browser_coalesce like a trailing one.
class debouncer {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;
  using duration = clock::duration;

  /// Upper bound on how long changes to already-pending paths may hold a batch back.
  static constexpr std::chrono::milliseconds default_max_delay{2000};
  /// Quiet time before a restart batch (--settle): long enough for an editor's save or a formatter
  /// run to finish, short enough not to be felt.
  static constexpr std::chrono::milliseconds default_restart_settle{80};
  /// How long later browser-only changes of a burst are collected after the leading edge (--coalesce).
  static constexpr std::chrono::milliseconds default_browser_coalesce{30};
  /// Quiet time before a restart batch of one file written whole: the events of one save come within
  /// microseconds of each other, and the app is started at the first of them anyway (speculative restart).
  static constexpr std::chrono::milliseconds default_quick_settle{20};

  debouncer(duration restart_settle, duration browser_coalesce, duration max_delay = default_max_delay,
            duration quick_settle = default_quick_settle);

  /// Records a change seen at `now` (an ignore one is dropped); ev says what happened to the path.
  void add(change c, time_point now, file_event ev = file_event::changed);
  /// Records that events were lost at `now`: the next batch is a conservative restart with overflow set.
  void add_overflow(time_point now);

  /// The batch due at `now`, if any (at most one; call again until empty).
  std::optional<batch> take_due(time_point now);
  /// When take_due will next return a batch; nullopt when nothing is pending (no timer needed).
  std::optional<time_point> next_due() const;

  bool idle() const { return live_ == 0 && !pending_.overflow; }
  /// The pending batch will restart the app (a code change, or lost events), unless its changes turn out to be
  /// temporary files.
  bool restart_pending() const {
    return pending_.overflow || live_by_action_[static_cast<std::size_t>(action::restart)] > 0;
  }

 private:
  // Per pending change, by position in pending_.changes.
  struct slot {
    bool created = false;  // its first event in this batch made it: it may be a temporary file
    bool dropped = false;  // a temporary file gone again: left out when the batch is taken
    file_event last = file_event::changed;  // its latest event
  };

  void note(time_point now);
  void drop(std::size_t pos);
  action strongest_live() const;

  duration restart_settle_;
  duration browser_coalesce_;
  duration max_delay_;
  duration quick_settle_;

  batch pending_;
  std::vector<slot> slots_;
  std::unordered_map<std::string, std::size_t> index_;  // path → position, for changes not dropped
  std::size_t live_ = 0;                                 // changes not dropped
  std::size_t created_ = 0;                              // of those, created in this batch
  std::size_t written_ = 0;                              // of those, last written whole (file_event::changed)
  std::array<std::size_t, 4> live_by_action_{};          // so a drop need not rescan for the strongest
  bool leading_ = false;             // the burst began with a browser-only change that was not created
  time_point first_{};               // first change of the pending batch
  time_point last_new_{};            // latest change adding a path to the batch
  time_point last_{};                // latest change of the burst
  bool seen_any_ = false;
  time_point before_last_{};         // last_ and seen_any_ before the pending batch began: put back
  bool before_seen_any_ = false;     // when dropping a temporary file leaves the batch empty
};

}  // namespace liveproxy::watcher
