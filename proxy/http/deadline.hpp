// One deadline per connection, enforced by one timer that closes the socket being waited on when it passes.
#pragma once

#include "proxy/net.hpp"

#include <chrono>

namespace liveproxy {

/// The deadline of whatever a connection is waiting for now. Moving it is a store: Beast's tcp_stream arms and
/// cancels a timer for every read and write, which cost more than the proxying itself on small responses.
/// watch() closes the socket named by the last expires_after() once its deadline has passed; the pending
/// operation then completes with operation_aborted and fired() tells it was a timeout. The watchdog looks
/// at least every `slack`, so a deadline moved earlier is kept to within that (timeouts here are 30-600 s).
class io_deadline {
 public:
  using clock = std::chrono::steady_clock;

  explicit io_deadline(const net::any_io_executor& ex) : timer_(ex) {}

  /// The next wait, on `s`, may last `d`.
  void expires_after(clock::duration d, tcp_socket& s) {
    at_ = clock::now() + d;
    target_ = &s;
    fired_ = false;
    if (idle_) {  // the watchdog sleeps without end: wake it to time this wait
      idle_ = false;
      rearm_ = true;
      timer_.cancel();
    }
  }
  /// Nothing is timed now (the socket was handed over, or another timer rules the wait).
  void expires_never() {
    at_ = clock::time_point::max();
    target_ = nullptr;
  }
  /// True when the current wait's socket was closed because its deadline passed.
  bool fired() const { return fired_; }

  /// Runs until cancelled (join it with the connection's work by ||); never completes by itself.
  awaitable<void> watch();

 private:
  static constexpr auto slack = std::chrono::seconds(5);

  steady_timer timer_;
  clock::time_point at_ = clock::time_point::max();
  tcp_socket* target_ = nullptr;
  bool fired_ = false;
  bool idle_ = false;   ///< the watchdog waits without a deadline
  bool rearm_ = false;  ///< the watchdog was woken to look at a new deadline

};

}  // namespace liveproxy
