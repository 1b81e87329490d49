// Two copy loops and an idle watchdog joined with ||: when one ends, the others are cancelled and both close.
#include "proxy/http/tunnel.hpp"

#include "proxy/base/limits.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <memory>

namespace liveproxy {
namespace {

using clock = std::chrono::steady_clock;

template <typename From, typename To>
awaitable<void> copy(From& from, beast::flat_buffer& pending, To& to, clock::time_point& last_moved) {
  if (pending.size() > 0) {
    auto [ec, n] = co_await net::async_write(to, pending.data(), use_tuple);
    if (ec) co_return;
    pending.consume(n);
  }
  const auto buf = std::make_unique_for_overwrite<char[]>(limits::relay_buffer_bytes);
  for (;;) {
    auto [rec, n] = co_await from.async_read_some(net::buffer(buf.get(), limits::relay_buffer_bytes), use_tuple);
    if (rec) break;
    auto [wec, m] = co_await net::async_write(to, net::buffer(buf.get(), n), use_tuple);
    if (wec) break;
    last_moved = clock::now();
  }
  // Pass the half-close on, so the other side sees EOF.
  error_code ignored;
  lowest_socket(to).shutdown(tcp::socket::shutdown_send, ignored);
}

/// Ends the tunnel once nothing has moved either way for the idle timeout.
awaitable<void> idle_watch(const clock::time_point& last_moved) {
  steady_timer timer(co_await net::this_coro::executor);
  for (;;) {
    timer.expires_at(last_moved + limits::tunnel_idle_timeout);
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec) co_return;
    if (clock::now() >= last_moved + limits::tunnel_idle_timeout) co_return;
  }
}

}  // namespace

awaitable<void> run_tunnel(client_stream& client, beast::flat_buffer& client_buf, app_connection& app,
                           beast::flat_buffer& app_buf) {
  using namespace net::experimental::awaitable_operators;
  auto last_moved = clock::now();
  // When one direction ends the other is cancelled; a closed WebSocket needs nothing more.
  co_await (copy(client, client_buf, app, last_moved) || copy(app, app_buf, client, last_moved) ||
            idle_watch(last_moved));
  error_code ignored;
  client.close();
  app.socket.close(ignored);
}

}  // namespace liveproxy
