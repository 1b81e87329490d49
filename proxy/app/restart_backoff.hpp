// --restart-on-crash: how long to wait before the next automatic restart (capped exponential backoff).
#pragma once

#include <chrono>

namespace liveproxy {

/// Pure policy: 0.5 s, 1 s, 2 s, ... up to 30 s between automatic restarts. A run that stayed up
/// for `stable_after` (or any file change / manual restart, via reset()) starts the sequence over.
class restart_backoff {
 public:
  using duration = std::chrono::milliseconds;
  static constexpr duration first{500};
  static constexpr duration cap{30'000};
  static constexpr duration stable_after{10'000};

  /// The app crashed after running for `uptime`: the delay before restarting it.
  duration on_crash(std::chrono::steady_clock::duration uptime);
  /// The developer acted: the next crash waits `first` again.
  void reset() { crashes_ = 0; }
  int crashes() const { return crashes_; }

 private:
  int crashes_ = 0;
};

}  // namespace liveproxy
