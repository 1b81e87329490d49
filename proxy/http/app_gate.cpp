// The gate wakes each waiter by cancelling its timer; cancellation handlers run in the order issued.
#include "proxy/http/app_gate.hpp"

namespace liveproxy {

void app_gate::open() {
  state_ = state::open;
  release(result::ready);
}

void app_gate::close() { state_ = state::closed; }

void app_gate::fail() {
  state_ = state::failed;
  release(result::failed);
}

void app_gate::release(result r) {
  auto waiting = std::move(waiters_);
  waiters_.clear();
  for (waiter* w : waiting) {
    w->outcome = r;
    w->woken = true;
    w->timer->cancel();
  }
}

awaitable<app_gate::result> app_gate::wait(steady_timer& timer, std::chrono::steady_clock::duration timeout) {
  if (state_ == state::open) co_return result::ready;
  if (state_ == state::failed) co_return result::failed;
  timer.expires_after(timeout);
  waiter w{&timer};
  waiters_.push_back(&w);
  auto it = std::prev(waiters_.end());
  co_await timer.async_wait(use_tuple);
  if (!w.woken) {
    // Timed out, cancelled by the caller, or the waiting coroutine was torn down: leave the queue.
    waiters_.erase(it);
  }
  co_return w.outcome;
}

}  // namespace liveproxy
