// Keep-alive connections to the app, reused across browser requests and dropped on restart.
#pragma once

#include "proxy/net.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace liveproxy {

/// A connection to the app, tagged with the app run it belongs to.
struct app_connection {
  tcp_socket socket;
  std::uint64_t generation = 0;
  /// Read buffer, empty between exchanges; sized once per connection (Beast reads only 512 bytes into an
  /// empty buffer, and a fresh allocation per request costs more than a small request).
  beast::flat_buffer buf;
  bool reused = false;  ///< came from the pool: may have been closed by the app meanwhile
};

class app_pool {
 public:
  app_pool(net::any_io_executor ex, tcp::endpoint app);

  /// An idle connection of the current run with nothing waiting on it, or nullptr. No suspension: this is
  /// the common case. Each candidate is peeked at (one non-blocking recv): a socket the app closed, or one
  /// with bytes nobody asked for (a body after a HEAD answer, more than Content-Length, a second response),
  /// would hand those bytes to the next browser as its answer, so it is dropped.
  std::unique_ptr<app_connection> take_idle();
  /// A new, not yet connected socket of the current run; connect it to endpoint().
  std::unique_ptr<app_connection> fresh();
  /// Returns a connection after a complete exchange with keep-alive.
  void release(std::unique_ptr<app_connection> c);
  /// The app restarted: connections to the old run are useless.
  void new_generation(std::uint64_t generation);

  std::uint64_t generation() const { return generation_; }
  const tcp::endpoint& endpoint() const { return app_; }
  std::uint16_t app_port() const { return app_.port(); }

 private:
  net::any_io_executor ex_;
  tcp::endpoint app_;
  std::uint64_t generation_ = 0;
  std::vector<std::unique_ptr<app_connection>> idle_;
};

}  // namespace liveproxy
