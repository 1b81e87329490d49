// The watchdog: wakes at the deadline (or after `slack`), and closes the socket only if it really passed.
#include "proxy/http/deadline.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace liveproxy {

bool peer_has_left(tcp_socket& s) {
  char byte;
  const auto n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return false;
  if (n == 0) return true;
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

awaitable<void> io_deadline::watch() {
  for (;;) {
    idle_ = at_ == clock::time_point::max() && !checking_;
    const auto look = checking_ ? std::chrono::duration_cast<clock::duration>(client_check_interval)
                                : std::chrono::duration_cast<clock::duration>(slack);
    timer_.expires_at(idle_ ? at_ : std::min(at_, clock::now() + look));
    auto [ec] = co_await timer_.async_wait(use_tuple);
    idle_ = false;
    if (ec == net::error::operation_aborted) {
      const auto cs = co_await net::this_coro::cancellation_state;
      if (cs.cancelled() != net::cancellation_type::none || !rearm_) co_return;  // the connection is done
      rearm_ = false;
      continue;
    }
    if (checking_ && client_ && peer_has_left(*client_)) {
      client_gone_ = true;
      error_code ignored;
      if (target_) target_->close(ignored);
      if (held_) held_->cancel();
      expires_never();
      continue;
    }
    if (clock::now() < at_ || !target_) continue;
    if (paused_ && *paused_ && target_ != client_) {
      at_ = clock::now() + duration_;
      continue;
    }
    fired_ = true;
    error_code ignored;
    target_->close(ignored);
    expires_never();
  }
}

}  // namespace liveproxy
