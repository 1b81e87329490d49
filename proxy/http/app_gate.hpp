// Holds requests while the app is not ready, and releases them in arrival order when it is.
#pragma once

#include "proxy/base/net.hpp"

#include <chrono>
#include <list>

namespace liveproxy {

/// Three states: open (forward now), closed (wait), failed (answer with the error page now).
class app_gate {
 public:
  enum class result { ready, failed, timed_out };

  explicit app_gate(net::any_io_executor ex) : ex_(std::move(ex)) {}

  /// The app listens: release every waiter, oldest first.
  void open();
  /// The app is (re)starting: new requests wait.
  void close();
  /// The app died: release every waiter with `failed`; new requests get `failed` at once.
  void fail();

  bool is_open() const { return state_ == state::open; }
  bool is_failed() const { return state_ == state::failed; }
  /// Requests waiting now.
  std::size_t waiting() const { return waiters_.size(); }

  /// Waits until the gate opens or fails, or the timeout passes. The wait runs on the caller's `timer`, so
  /// the caller can end it early by cancelling that (it then returns timed_out).
  awaitable<result> wait(steady_timer& timer, std::chrono::steady_clock::duration timeout);

 private:
  enum class state { closed, open, failed };
  struct waiter {
    steady_timer* timer;
    result outcome = result::timed_out;
    bool woken = false;
  };
  void release(result r);

  net::any_io_executor ex_;
  state state_ = state::closed;
  std::list<waiter*> waiters_;  ///< arrival order
};

}  // namespace liveproxy
