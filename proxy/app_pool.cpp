// Upstream pool: LIFO reuse (the warmest socket first), a cheap liveness peek before reuse.
#include "proxy/app_pool.hpp"

#include "proxy/limits.hpp"

#include <sys/socket.h>

namespace liveproxy {
namespace {

/// An idle keep-alive socket the app has closed reads as EOF (or has stray bytes): do not reuse it.
bool looks_alive(beast::tcp_stream& s) {
  char byte;
  const auto n = ::recv(s.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

app_pool::app_pool(net::any_io_executor ex, tcp::endpoint app) : ex_(std::move(ex)), app_(std::move(app)) {}

awaitable<std::pair<error_code, std::unique_ptr<app_connection>>> app_pool::acquire(bool fresh_only, bool probe) {
  while (!fresh_only && !idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    if (c->generation == generation_ && (!probe || looks_alive(c->stream))) {
      c->reused = true;
      co_return std::pair{error_code{}, std::move(c)};
    }
  }
  auto c = std::make_unique<app_connection>(app_connection{beast::tcp_stream(ex_), generation_});
  c->stream.expires_after(limits::app_connect_timeout);
  auto [ec] = co_await c->stream.async_connect(app_, use_tuple);
  if (ec) co_return std::pair{ec, std::unique_ptr<app_connection>()};
  c->stream.socket().set_option(tcp::no_delay(true), ec);
  co_return std::pair{error_code{}, std::move(c)};
}

void app_pool::release(std::unique_ptr<app_connection> c) {
  if (c->generation != generation_ || idle_.size() >= limits::app_pool_size) return;
  c->stream.expires_never();
  c->reused = false;
  idle_.push_back(std::move(c));
}

void app_pool::new_generation(std::uint64_t generation) {
  generation_ = generation;
  idle_.clear();
}

}  // namespace liveproxy
