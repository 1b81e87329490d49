// Two copy loops joined with ||: when one direction ends, the other is cancelled and both close.
#include "proxy/http/tunnel.hpp"

#include "proxy/limits.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <vector>

namespace liveproxy {
namespace {

awaitable<void> copy(beast::tcp_stream& from, beast::flat_buffer& pending, beast::tcp_stream& to) {
  if (pending.size() > 0) {
    to.expires_after(limits::tunnel_idle_timeout);
    auto [ec, n] = co_await net::async_write(to, pending.data(), use_tuple);
    if (ec) co_return;
    pending.consume(n);
  }
  std::vector<char> buf(limits::relay_buffer_bytes);
  for (;;) {
    from.expires_after(limits::tunnel_idle_timeout);
    auto [rec, n] = co_await from.async_read_some(net::buffer(buf), use_tuple);
    if (rec) break;
    to.expires_after(limits::tunnel_idle_timeout);
    auto [wec, m] = co_await net::async_write(to, net::buffer(buf.data(), n), use_tuple);
    if (wec) break;
  }
  // Pass the half-close on, so the other side sees EOF.
  error_code ignored;
  to.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

awaitable<void> run_tunnel(beast::tcp_stream& client, beast::flat_buffer& client_buf, beast::tcp_stream& app,
                           beast::flat_buffer& app_buf) {
  using namespace net::experimental::awaitable_operators;
  // When one direction ends the other is cancelled; a closed WebSocket needs nothing more.
  co_await (copy(client, client_buf, app) || copy(app, app_buf, client));
  client.close();
  app.close();
}

}  // namespace liveproxy
