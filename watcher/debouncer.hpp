// Turns a stream of classified changes into batches: leading edge for the browser, settle time for restarts.
#pragma once

#include "watcher/change.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>

namespace liveproxy::watcher {

/// The debounce policy as a pure state machine: fed changes with their time, asked what is due.
/// No I/O and no clock of its own, so tests step it with a fake clock.
///
/// - A burst starts with a change when nothing is pending and the previous burst has been quiet for
///   browser_coalesce. If that first change is browser-only (css/reload) it is due at once (leading edge).
/// - Later browser-only changes are collected and due browser_coalesce after the last one (trailing batch).
/// - Once a restart is pending it swallows everything else and is due after restart_settle of quiet.
/// - Whatever is pending is due at the latest max_delay after the last change to a *new* path, so a
///   file rewritten forever cannot starve the app, while a long checkout (new paths all the time,
///   however slow the disk) still gives one batch.
/// - Changes are de-duplicated by path; a batch acts on its strongest member.
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

  debouncer(duration restart_settle, duration browser_coalesce, duration max_delay = default_max_delay);

  /// Records a change seen at `now` (act must not be ignore).
  void add(change c, time_point now);
  /// Records that events were lost at `now`: the next batch is a conservative restart with overflow set.
  void add_overflow(time_point now);

  /// The batch due at `now`, if any (at most one; call again until empty).
  std::optional<batch> take_due(time_point now);
  /// When take_due will next return a batch; nullopt when nothing is pending (no timer needed).
  std::optional<time_point> next_due() const;

  bool idle() const { return pending_.changes.empty() && !pending_.overflow; }

 private:
  void note(time_point now);

  duration restart_settle_;
  duration browser_coalesce_;
  duration max_delay_;

  batch pending_;
  std::unordered_map<std::string, std::size_t> index_;  // path → position in pending_.changes
  bool leading_ = false;                                 // pending_ is a leading-edge batch, due now
  time_point first_{};                                   // first change of the pending batch
  time_point last_new_{};                                // latest change adding a path to the batch
  time_point last_{};                                    // latest change of the burst
  bool seen_any_ = false;
};

}  // namespace liveproxy::watcher
