// One deadline per connection, enforced by one timer that closes the socket being waited on when it passes.
// The same watchdog notices a browser that leaves while its request waits on the app.
#pragma once

#include "proxy/base/net.hpp"
#include "proxy/http/client_stream.hpp"

#include <chrono>

namespace liveproxy {

/// The deadline of whatever a connection is waiting for now. Moving it is a store: Beast's tcp_stream arms and
/// cancels a timer for every read and write, which cost more than the proxying itself on small responses.
/// watch() closes the socket named by the last expires_after() once its deadline has passed; the pending
/// operation then completes with operation_aborted and fired() tells it was a timeout. The watchdog looks
/// at least every `slack`, so a deadline moved earlier is kept to within that (timeouts here are 1-600 s).
///
/// While the connection waits on something other than its browser (the app's answer, the gate during a
/// restart), the watchdog also looks at the browser's socket every `client_check_interval`: if the browser
/// has closed it, the wait is ended (its socket closed, or its hold timer cancelled) and client_gone() is set,
/// so a request nobody waits for any more does not keep two sockets and its buffers for minutes. The first
/// look comes at the watchdog's next wake (within `slack`): arming it early would cost every request a timer
/// cancellation.
class io_deadline {
 public:
  using clock = std::chrono::steady_clock;

  explicit io_deadline(const net::any_io_executor& ex) : timer_(ex) {}

  /// The browser's socket: looked at while the connection waits on anything else. Set once, before watch().
  void set_client(tcp_socket& client) { client_ = &client; }

  /// While *paused is true, a wait on the app (any socket but the browser's) does not time out: the app is
  /// stopped at a debugger prompt, and its answer comes when the developer lets it go on. The wait gets its
  /// whole duration again from when the flag clears. Set once, before watch(); the flag outlives the connection.
  void set_pause_flag(const bool* paused) { paused_ = paused; }

  /// The next wait, on `s`, may last `d`.
  void expires_after(clock::duration d, tcp_socket& s) {
    duration_ = d;
    at_ = clock::now() + d;
    target_ = &s;
    held_ = nullptr;
    fired_ = false;
    checking_ = client_ && &s != client_;
    wake_if_idle();
  }
  /// The next wait, on the browser's connection (its TCP socket, under TLS too), may last `d`.
  void expires_after(clock::duration d, client_stream& s) { expires_after(d, s.socket()); }
  /// An untimed wait on `t` (a request held at the gate): it is cancelled if the browser leaves meanwhile.
  void hold(steady_timer& t) {
    at_ = clock::time_point::max();
    target_ = nullptr;
    held_ = &t;
    fired_ = false;
    checking_ = client_ != nullptr;
    wake_if_idle();
  }
  /// Nothing is timed or looked at now (the socket was handed over, or another timer rules the wait).
  void expires_never() {
    at_ = clock::time_point::max();
    target_ = nullptr;
    held_ = nullptr;
    checking_ = false;
  }
  /// True when the current wait's socket was closed because its deadline passed.
  bool fired() const { return fired_; }
  /// True once the browser was seen gone while the connection waited on something else.
  bool client_gone() const { return client_gone_; }

  /// Runs until cancelled (join it with the connection's work by ||); never completes by itself.
  awaitable<void> watch();

 private:
  static constexpr auto slack = std::chrono::seconds(5);
  static constexpr auto client_check_interval = std::chrono::seconds(1);

  void wake_if_idle() {
    if (idle_) {  // the watchdog sleeps without end: wake it to time this wait
      idle_ = false;
      rearm_ = true;
      timer_.cancel();
    }
  }

  steady_timer timer_;
  clock::time_point at_ = clock::time_point::max();
  clock::duration duration_{};  ///< of the current timed wait
  const bool* paused_ = nullptr;
  tcp_socket* target_ = nullptr;
  steady_timer* held_ = nullptr;
  tcp_socket* client_ = nullptr;
  bool fired_ = false;
  bool checking_ = false;     ///< the connection waits on something else: look at the browser's socket
  bool client_gone_ = false;
  bool idle_ = false;   ///< the watchdog waits without a deadline
  bool rearm_ = false;  ///< the watchdog was woken to look at a new deadline
};

/// True if the peer has closed (or reset) the socket: a peek reads end-of-stream or an error. Bytes waiting
/// (a pipelined request) mean it is still there.
bool peer_has_left(tcp_socket& s);

}  // namespace liveproxy
