// The front socket: accepts browser connections and starts a session for each.
#pragma once

#include "proxy/net.hpp"
#include "proxy/proxy_context.hpp"

namespace liveproxy {

/// Binds host:port at construction (throws std::system_error with a clear message if it cannot).
class listener {
 public:
  listener(net::any_io_executor ex, const std::string& host, std::uint16_t port);

  /// The bound endpoint (port 0 resolved to the real one).
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  /// Accepts until close() is called.
  awaitable<void> run(proxy_context& ctx);
  void close();

 private:
  tcp_acceptor acceptor_;
};

}  // namespace liveproxy
