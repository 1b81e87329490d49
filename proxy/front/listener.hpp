// The front socket: accepts browser connections and starts a session for each, up to a limit.
#pragma once

#include "proxy/base/net.hpp"
#include "proxy/front/proxy_context.hpp"

#include <cstddef>
#include <memory>

namespace liveproxy {

/// Binds host:port at construction (throws std::system_error with a clear message if it cannot).
class listener {
 public:
  listener(net::any_io_executor ex, const std::string& host, std::uint16_t port);

  /// The bound endpoint (port 0 resolved to the real one).
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  /// Accepts until close() is called. With `max_connections` browser connections open, accepting pauses
  /// (new ones wait in the kernel's backlog) until one closes.
  awaitable<void> run(proxy_context& ctx, std::size_t max_connections);
  void close();
  /// Browser connections open now.
  std::size_t open_connections() const;

  /// The open connections, shared with the sessions (which may outlive the listener at exit).
  struct connection_count;

 private:
  tcp_acceptor acceptor_;
  std::shared_ptr<connection_count> count_;
};

}  // namespace liveproxy
