// Keep-alive connections to the app, reused across browser requests and dropped on restart.
#pragma once

#include "proxy/base/limits.hpp"
#include "proxy/base/net.hpp"

#include <boost/asio/ssl.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace liveproxy {

/// Where the app listens and how to reach it.
struct app_target {
  /// Tried in order until one accepts (a name can resolve to ::1 and 127.0.0.1, and an app binds one).
  std::vector<tcp::endpoint> endpoints;
  /// For an https:// upstream: the TLS settings (certificate checks unless --upstream-insecure).
  std::shared_ptr<net::ssl::context> tls;
  /// The name sent as SNI and checked against the certificate.
  std::string tls_host;
  /// How error pages name the app: "port 41873" or "http://127.0.0.1:8000".
  std::string name;
};

/// A connection to the app, tagged with the app run it belongs to. It is an AsyncReadStream and an
/// AsyncWriteStream: plain TCP, or TLS over it for an https upstream. Always heap-allocated (the TLS
/// layer refers to `socket`).
struct app_connection {
  using tls_stream = net::ssl::stream<tcp_socket&>;
  using executor_type = tcp_socket::executor_type;

  explicit app_connection(net::any_io_executor ex, std::uint64_t gen) : socket(std::move(ex)), generation(gen) {}
  app_connection(const app_connection&) = delete;
  app_connection& operator=(const app_connection&) = delete;

  tcp_socket socket;
  std::uint64_t generation = 0;
  /// Read buffer, empty between exchanges; sized once per connection (Beast reads only 512 bytes into an
  /// empty buffer, and a fresh allocation per request costs more than a small request).
  beast::flat_buffer buf;
  bool reused = false;  ///< came from the pool: may have been closed by the app meanwhile
  std::unique_ptr<tls_stream> tls;

  executor_type get_executor() { return socket.get_executor(); }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return net::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          if (tls) tls->async_read_some(b, std::move(handler));
          else socket.async_read_some(b, std::move(handler));
        },
        token, buffers);
  }
  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return net::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          if (tls) tls->async_write_some(b, std::move(handler));
          else socket.async_write_some(b, std::move(handler));
        },
        token, buffers);
  }
};

/// The socket a deadline closes to end a wait on a stream (for TLS: the TCP socket beneath).
inline tcp_socket& lowest_socket(tcp_socket& s) { return s; }
inline tcp_socket& lowest_socket(app_connection& c) { return c.socket; }

class app_pool {
 public:
  /// `trim_period`: how long an idle connection may go unneeded before it is closed.
  app_pool(net::any_io_executor ex, app_target target,
           std::chrono::steady_clock::duration trim_period = limits::app_pool_trim_period);

  /// An idle connection of the current run with nothing waiting on it, or nullptr. No suspension: this is
  /// the common case. Each candidate is peeked at (one non-blocking recv): a socket the app closed, or one
  /// with bytes nobody asked for (a body after a HEAD answer, more than Content-Length, a second response),
  /// would hand those bytes to the next browser as its answer, so it is dropped.
  std::unique_ptr<app_connection> take_idle();
  /// A new, not yet connected connection of the current run; connect it with connect().
  std::unique_ptr<app_connection> fresh();
  /// Returns a connection after a complete exchange with keep-alive. While it is idle it is watched: bytes or a
  /// close arriving on it drop it.
  void release(std::unique_ptr<app_connection> c);
  /// The app restarted: connections to the old run are useless.
  void new_generation(std::uint64_t generation);

  std::uint64_t generation() const { return generation_; }
  const app_target& target() const { return target_; }
  /// The first endpoint (the supervised app's own port).
  const tcp::endpoint& endpoint() const { return target_.endpoints.front(); }
  std::uint16_t app_port() const { return endpoint().port(); }
  /// Idle connections kept now.
  std::size_t idle_count() const { return idle_.size(); }

 private:
  /// Closes the idle connections that stayed unused for a whole trim period (the oldest ones).
  void trim(error_code ec);

  net::any_io_executor ex_;
  app_target target_;
  std::uint64_t generation_ = 0;
  std::vector<std::unique_ptr<app_connection>> idle_;  ///< oldest first: taken from the back
  /// The fewest idle connections seen since the last trim: that many were not needed by anyone.
  std::size_t low_water_ = 0;
  std::chrono::steady_clock::duration trim_period_;
  net::steady_timer trim_timer_;
  bool trim_armed_ = false;
  /// Connections are reused until the app is seen writing on an idle one (then not, until its next run).
  bool reuse_ = true;
};

}  // namespace liveproxy
