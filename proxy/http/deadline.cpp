// The watchdog: wakes at the deadline (or after `slack`), and closes the socket only if it really passed.
#include "proxy/http/deadline.hpp"

#include <algorithm>

namespace liveproxy {

awaitable<void> io_deadline::watch() {
  for (;;) {
    idle_ = at_ == clock::time_point::max();
    timer_.expires_at(idle_ ? at_ : std::min(at_, clock::now() + slack));
    auto [ec] = co_await timer_.async_wait(use_tuple);
    idle_ = false;
    if (ec == net::error::operation_aborted) {
      const auto cs = co_await net::this_coro::cancellation_state;
      if (cs.cancelled() != net::cancellation_type::none || !rearm_) co_return;  // the connection is done
      rearm_ = false;
      continue;
    }
    if (clock::now() < at_ || !target_) continue;
    fired_ = true;
    error_code ignored;
    target_->close(ignored);
    expires_never();
  }
}

}  // namespace liveproxy
