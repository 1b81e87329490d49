// The browser's connection: TCP, or TLS over it (--https). One type for both, so every request takes the same
// pipeline (gate, injection, sockets) whatever its scheme, and plain HTTP keeps its zero-copy paths.
#pragma once

#include "proxy/base/net.hpp"

#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <memory>

namespace liveproxy {

/// An AsyncReadStream and AsyncWriteStream over the browser's socket, through TLS once start_tls() was called.
/// Movable (the TLS layer, when there is one, owns the socket on the heap): a WebSocket upgrade takes it along.
class client_stream {
 public:
  /// Beast's wrapper of Asio's TLS stream: it gathers a write of several buffers (a header and its body) into
  /// one TLS record and one send, where Asio's alone would write each buffer as a record of its own.
  using tls_stream = beast::ssl_stream<tcp_socket>;
  using executor_type = tcp_socket::executor_type;

  explicit client_stream(tcp_socket socket) : plain_(std::move(socket)) {}

  /// From now on bytes go through TLS with these settings; the handshake is the caller's.
  tls_stream& start_tls(net::ssl::context& settings) {
    tls_ = std::make_unique<tls_stream>(std::move(plain_), settings);
    return *tls_;
  }
  bool is_tls() const { return tls_ != nullptr; }
  tls_stream* tls() { return tls_.get(); }
  /// The TCP socket beneath: for socket options, deadlines, zero-copy writes (plain only) and closing.
  tcp_socket& socket() { return tls_ ? tls_->next_layer() : plain_; }
  /// Closes the socket; pending operations end with operation_aborted (WebSocket's lowest layer is this).
  void close() {
    error_code ignored;
    socket().close(ignored);
  }

  executor_type get_executor() { return plain_.get_executor(); }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return net::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          if (tls_) tls_->async_read_some(b, std::move(handler));
          else plain_.async_read_some(b, std::move(handler));
        },
        token, buffers);
  }
  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return net::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          if (tls_) tls_->async_write_some(b, std::move(handler));
          else plain_.async_write_some(b, std::move(handler));
        },
        token, buffers);
  }

 private:
  tcp_socket plain_;  ///< the socket until start_tls (moved-from afterwards, keeping its executor)
  std::unique_ptr<tls_stream> tls_;
};

/// The socket a deadline closes to end a wait on the browser.
inline tcp_socket& lowest_socket(client_stream& s) { return s.socket(); }

/// Beast's WebSocket closes its lowest layer on a timeout through this (found by argument-dependent lookup).
inline void beast_close_socket(client_stream& s) { s.close(); }

/// A WebSocket's closing handshake is done: over TLS a close_notify, then the TCP teardown either way.
void teardown(beast::role_type role, client_stream& s, error_code& ec);

template <typename Handler>
void async_teardown(beast::role_type role, client_stream& s, Handler&& handler) {
  if (auto* t = s.tls()) {
    beast::async_teardown(role, *t, std::forward<Handler>(handler));
  } else {
    beast::websocket::async_teardown(role, s.socket(), std::forward<Handler>(handler));
  }
}

}  // namespace liveproxy
