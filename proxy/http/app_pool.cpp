// Upstream pool: LIFO reuse (the warmest socket first), a cheap liveness peek before reuse.
#include "proxy/http/app_pool.hpp"

#include "proxy/base/limits.hpp"
#include "proxy/base/log.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <utility>

namespace liveproxy {
namespace {

/// An idle keep-alive socket the app has closed reads as EOF, one it wrote to unasked has bytes: only one
/// with nothing to read may carry the next request.
bool looks_alive(tcp_socket& s) {
  char byte;
  const auto n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

app_pool::app_pool(net::any_io_executor ex, app_target target, std::chrono::steady_clock::duration trim_period)
    : ex_(ex), target_(std::move(target)), trim_period_(trim_period), trim_timer_(std::move(ex)) {}

std::unique_ptr<app_connection> app_pool::take_idle() {
  if (!reuse_) return nullptr;
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    if (c->generation == generation_ && looks_alive(c->socket)) {
      // Its idle watch ends here: from now on what it reads is the answer to the request it carries.
      error_code ec;
      c->socket.cancel(ec);
      c->reused = true;
      low_water_ = std::min(low_water_, idle_.size());
      return c;
    }
  }
  low_water_ = 0;
  return nullptr;
}

std::unique_ptr<app_connection> app_pool::fresh() {
  auto c = std::make_unique<app_connection>(ex_, generation_);
  c->buf.reserve(limits::app_read_bytes);
  return c;
}

void app_pool::release(std::unique_ptr<app_connection> c) {
  if (!reuse_ || c->generation != generation_ || idle_.size() >= limits::app_pool_size || !c->socket.is_open()) return;
  c->reused = false;
  // While it waits idle, anything it reads (bytes nobody asked for, a close) poisons it: it is dropped at once,
  // not left to be the answer to the next request that would take it.
  c->socket.async_wait(tcp_socket::wait_read, [this, conn = c.get()](error_code ec) {
    if (ec) return;  // taken (the wait was cancelled), or closed with the pool
    const auto it = std::find_if(idle_.begin(), idle_.end(), [&](const auto& i) { return i.get() == conn; });
    if (it == idle_.end()) return;
    // Bytes (not a close) on an idle connection: this app sends what nobody asked for (a second response, a body
    // after a HEAD answer). Had a request taken the connection a moment earlier, they would have been its answer:
    // connections to this run are not reused from now on.
    char byte;
    if (::recv(conn->socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0 && reuse_) {
      reuse_ = false;
      static bool said = false;
      if (!std::exchange(said, true))
        log::warn("the app sent bytes nobody asked for on an idle keep-alive connection (a second response, or a "
                  "body after a HEAD answer): liveproxy no longer reuses connections to this run of it (said once)");
    }
    idle_.erase(it);
    low_water_ = std::min(low_water_, idle_.size());
  });
  idle_.push_back(std::move(c));
  if (!trim_armed_) {
    trim_armed_ = true;
    low_water_ = idle_.size();
    trim_timer_.expires_after(trim_period_);
    trim_timer_.async_wait([this](error_code ec) { trim(ec); });
  }
}

void app_pool::trim(error_code ec) {
  if (ec) return;  // the pool is being destroyed: touch nothing
  const auto unused = std::min(low_water_, idle_.size());
  idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(unused));
  low_water_ = idle_.size();
  trim_armed_ = !idle_.empty();
  if (!trim_armed_) return;
  trim_timer_.expires_after(trim_period_);
  trim_timer_.async_wait([this](error_code e) { trim(e); });
}

void app_pool::new_generation(std::uint64_t generation) {
  generation_ = generation;
  reuse_ = true;
  idle_.clear();
}

}  // namespace liveproxy
