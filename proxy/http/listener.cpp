// Accept loop: one coroutine per connection; a failed accept (EMFILE) pauses instead of spinning.
#include "proxy/http/listener.hpp"

#include "proxy/http/http_session.hpp"
#include "proxy/limits.hpp"
#include "proxy/log.hpp"

namespace liveproxy {

listener::listener(net::any_io_executor ex, const std::string& host, std::uint16_t port) : acceptor_(ex) {
  error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) throw std::system_error(ec, "--host " + host + " is not an IP address");
  const tcp::endpoint ep(address, port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep, ec);
  if (ec == net::error::address_in_use)
    throw std::system_error(ec, "port " + std::to_string(port) + " on " + host +
                                    " is in use (is another liveproxy running?); choose another with --port");
  if (ec) throw std::system_error(ec, "cannot listen on " + host + ":" + std::to_string(port));
  acceptor_.listen(net::socket_base::max_listen_connections);
}

awaitable<void> listener::run(proxy_context& ctx) {
  steady_timer backoff(acceptor_.get_executor());
  while (acceptor_.is_open()) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec) {
      log::warn("accept failed: " + ec.message());
      backoff.expires_after(limits::accept_backoff);
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    net::co_spawn(acceptor_.get_executor(), run_http_session(std::move(socket), ctx), net::detached);
  }
}

void listener::close() {
  error_code ec;
  acceptor_.close(ec);
}

}  // namespace liveproxy
