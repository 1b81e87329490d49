// GET /__liveproxy/wait's decisions: which waiting requests are answered now, and how. A plain class fed the
// watcher's counts, whether the apps are settled, and a clock; dev_server carries the answers out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace liveproxy {

/// A wait covers every change the watcher had taken in when it began (after reading the kernel's queue). It is
/// answered once the watcher has handed all of them out (each batch acted on at once: a restart begun, the tabs
/// told) and every app is settled (ready on the new code, crashed, or its start timed out), or at its deadline.
class live_waits {
 public:
  using clock = std::chrono::steady_clock;
  using id = std::uint64_t;

  /// How many may wait at once: each holds a connection; more are refused (503) rather than kept.
  static constexpr std::size_t max_waiting = 64;

  struct answer {
    id which = 0;
    bool settled = false;  ///< false: its deadline came first
    std::chrono::milliseconds waited{0};
  };

  /// A wait begins now; nullopt when max_waiting are already waiting.
  std::optional<id> begin(std::uint64_t changes_seen, clock::time_point now, std::chrono::milliseconds timeout);
  /// The waits answered by the state now (the watcher's delivered count, whether every app is settled, the time),
  /// in the order they began; they are forgotten.
  std::vector<answer> update(std::uint64_t changes_delivered, bool apps_settled, clock::time_point now);
  /// A wait whose client went away: forgotten without an answer.
  void cancel(id which);
  /// When the earliest deadline is due (call update then); nullopt when none waits.
  std::optional<clock::time_point> next_due() const;
  std::size_t size() const { return waiting_.size(); }

 private:
  struct waiting {
    id which;
    std::uint64_t covers;  ///< changes_seen when it began
    clock::time_point began;
    clock::time_point deadline;
  };
  std::vector<waiting> waiting_;  ///< in the order they began
  id next_ = 1;
};

}  // namespace liveproxy
