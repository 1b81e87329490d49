// Accept loop: one coroutine per connection; at the connection limit accepting waits for a close, and a
// failed accept (EMFILE) pauses instead of spinning, saying so at most once per interval.
#include "proxy/front/listener.hpp"

#include "proxy/front/http_session.hpp"
#include "proxy/front/tls_front.hpp"
#include "proxy/base/limits.hpp"
#include "proxy/base/log.hpp"

namespace liveproxy {

struct listener::connection_count {
  explicit connection_count(const net::any_io_executor& ex) : freed(ex) {}
  std::size_t open = 0;
  steady_timer freed;  ///< the accept loop waits on it at the limit; a closing connection cancels it
};

namespace {

/// Held by a session for its lifetime: the count goes down however the session ends.
struct connection_slot {
  std::shared_ptr<listener::connection_count> count;
  explicit connection_slot(std::shared_ptr<listener::connection_count> c) : count(std::move(c)) { ++count->open; }
  connection_slot(connection_slot&& o) noexcept : count(std::move(o.count)) {}
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;
  connection_slot& operator=(connection_slot&&) = delete;
  ~connection_slot() {
    if (!count) return;
    --count->open;
    count->freed.cancel();
  }
};

/// The session with its slot: the slot lives in this frame, so the count drops when the session ends.
/// Nothing else kept: this frame lives as long as every idle connection.
awaitable<void> run_counted(tcp_socket socket, proxy_context& ctx, [[maybe_unused]] connection_slot slot) {
  if (ctx.tls) co_await run_front_connection(std::move(socket), ctx);
  else co_await run_http_session(client_stream(std::move(socket)), ctx);
}

/// Says the first failure at once, then at most one line per interval with how many were not said.
class rate_limited_warning {
 public:
  void failed(const std::string& what, std::size_t open) {
    const auto now = std::chrono::steady_clock::now();
    if (now < quiet_until_) {
      ++unsaid_;
      return;
    }
    std::string line = "accept failed: " + what + " (" + std::to_string(open) + " browser connections open";
    if (unsaid_) line += "; " + std::to_string(unsaid_) + " more failures since the last warning";
    line += "); raise the open-file limit (ulimit -n) or lower --max-connections";
    log::warn(line);
    unsaid_ = 0;
    quiet_until_ = now + limits::accept_warning_interval;
  }

 private:
  std::chrono::steady_clock::time_point quiet_until_{};
  std::size_t unsaid_ = 0;
};

}  // namespace

listener::listener(net::any_io_executor ex, const std::string& host, std::uint16_t port)
    : acceptor_(ex), count_(std::make_shared<connection_count>(ex)) {
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

std::size_t listener::open_connections() const { return count_->open; }

awaitable<void> listener::run(proxy_context& ctx, std::size_t max_connections) {
  steady_timer backoff(acceptor_.get_executor());
  rate_limited_warning warning;
  bool said_full = false;
  while (acceptor_.is_open()) {
    if (count_->open >= max_connections) {
      if (!said_full) {
        log::warn(std::to_string(count_->open) +
                  " browser connections are open (--max-connections): new ones wait until one closes");
        said_full = true;
      }
      count_->freed.expires_at(steady_timer::time_point::max());
      co_await count_->freed.async_wait(use_tuple);
      continue;
    }
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec) {
      warning.failed(ec.message(), count_->open);
      backoff.expires_after(limits::accept_backoff);
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    if (count_->open + 1 < max_connections / 2) said_full = false;
    net::co_spawn(acceptor_.get_executor(),
                  run_counted(std::move(socket), ctx, connection_slot(count_)),
                  net::detached);
  }
}

void listener::close() {
  error_code ec;
  acceptor_.close(ec);
  count_->freed.cancel();
}

}  // namespace liveproxy
