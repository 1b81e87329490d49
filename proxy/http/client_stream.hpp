// The browser's connection: TCP, or TLS over it (--https). One type for both, so every request takes the same
// pipeline (gate, injection, sockets) whatever its scheme, and plain HTTP keeps its zero-copy paths.
//
// TLS is OpenSSL on the socket itself (SSL_set_fd), driven by readiness waits, as nginx does: Asio's ssl::stream
// copies every byte through a memory BIO pair and runs a composed operation per engine step, which cost more
// than the encryption on a small page.
#pragma once

#include "proxy/base/net.hpp"

#include <boost/asio/ssl/context.hpp>

#include <array>
#include <memory>
#include <openssl/ssl.h>

namespace liveproxy {

/// One OpenSSL call's outcome: done (`ec`, `n`), or the socket must first become readable or writable.
struct tls_step {
  enum wait_for { nothing, readable, writable };
  error_code ec;
  std::size_t n = 0;
  wait_for wait = nothing;
};

/// An AsyncReadStream and AsyncWriteStream over the browser's socket, through TLS once start_tls() was called.
/// Movable: a WebSocket upgrade takes it along. Over TLS a write that was cancelled leaves the stream unusable
/// (OpenSSL keeps the record it had begun), as with Asio's ssl::stream: close it, as the deadlines do. OpenSSL
/// writes with write(2): the program must ignore SIGPIPE (main does).
class client_stream {
 public:
  using executor_type = tcp_socket::executor_type;

  explicit client_stream(tcp_socket socket) : socket_(std::move(socket)) {}

  /// From now on bytes go through TLS with these settings (OpenSSL keeps the context alive); the handshake
  /// is async_handshake's.
  void start_tls(net::ssl::context& settings);
  bool is_tls() const { return ssl_ != nullptr; }
  SSL* native_tls() { return ssl_.get(); }
  /// The TCP socket beneath: for socket options, deadlines, zero-copy writes (plain only) and closing.
  tcp_socket& socket() { return socket_; }
  /// Closes the socket; pending operations end with operation_aborted (WebSocket's lowest layer is this).
  void close() {
    error_code ignored;
    socket_.close(ignored);
  }
  executor_type get_executor() { return socket_.get_executor(); }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return net::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          if (!ssl_) return socket_.async_read_some(b, std::move(handler));
          run_tls<true>([this, b] { return tls_read(first_buffer(b)); }, std::move(handler));
        },
        token, buffers);
  }
  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return net::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          if (!ssl_) return socket_.async_write_some(b, std::move(handler));
          run_tls<true>([this, b] { return tls_write(gather(b)); }, std::move(handler));
        },
        token, buffers);
  }
  /// The server's side of the TLS handshake.
  template <typename Token>
  auto async_handshake(Token&& token) {
    return net::async_initiate<Token, void(error_code)>(
        [this](auto handler) { run_tls<false>([this] { return tls_handshake(); }, std::move(handler)); }, token);
  }
  /// Sends close_notify (without waiting for the browser's): a response that ends at the close is then known
  /// complete, where OpenSSL 3 clients call an EOF without it an error.
  template <typename Token>
  auto async_shutdown(Token&& token) {
    return net::async_initiate<Token, void(error_code)>(
        [this](auto handler) { run_tls<false>([this] { return tls_shutdown(); }, std::move(handler)); }, token);
  }

 private:
  /// Tries `step` until it needs no wait, waiting for the socket between tries; never completes within the
  /// initiating call (a composed operation built on this one would otherwise recurse).
  template <bool with_size, typename Step>
  struct tls_op {
    client_stream* s;
    Step step;
    enum class phase { first, waited, posted } at = phase::first;
    tls_step result{};

    template <typename Self>
    void operator()(Self& self, error_code ec = {}) {
      if (at != phase::posted && !ec) {
        // OpenSSL knows only the descriptor's number: once the socket is closed (a deadline), that number may
        // already be another connection's, so nothing may be read or written through it any more.
        result = s->socket_.is_open() ? step() : tls_step{net::error::bad_descriptor, 0, tls_step::nothing};
        if (result.wait != tls_step::nothing) {
          at = phase::waited;
          const auto w = result.wait == tls_step::readable ? tcp_socket::wait_read : tcp_socket::wait_write;
          return s->socket_.async_wait(w, std::move(self));
        }
        if (at == phase::first) {
          at = phase::posted;
          return net::post(std::move(self));
        }
      } else if (ec) {
        result = {ec, 0, tls_step::nothing};
      }
      if constexpr (with_size) self.complete(result.ec, result.n);
      else self.complete(result.ec);
    }
  };

  template <bool with_size, typename Step, typename Handler>
  void run_tls(Step step, Handler handler) {
    using signature = std::conditional_t<with_size, void(error_code, std::size_t), void(error_code)>;
    net::async_compose<Handler, signature>(tls_op<with_size, Step>{this, std::move(step)}, handler, socket_);
  }

  template <typename MutableBuffers>
  static net::mutable_buffer first_buffer(const MutableBuffers& buffers) {
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it)
      if (net::mutable_buffer b(*it); b.size() > 0) return b;
    return {};
  }
  /// A write's bytes as one buffer: the first when it alone fills a TLS record, else as many as a record
  /// holds, gathered (a header and its body go out as one record and one send). Gathered again, the same,
  /// when a write is retried after a wait (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
  template <typename ConstBuffers>
  net::const_buffer gather(const ConstBuffers& buffers) {
    const auto begin = net::buffer_sequence_begin(buffers);
    const auto end = net::buffer_sequence_end(buffers);
    if (begin == end) return {};
    if (net::const_buffer first(*begin); first.size() >= record_bytes || std::next(begin) == end) return first;
    std::size_t n = 0;
    for (auto it = begin; it != end && n < record_bytes; ++it) n += net::buffer_copy(net::buffer(scratch_) + n, *it);
    return net::buffer(scratch_.data(), n);
  }

  tls_step tls_read(net::mutable_buffer b);
  tls_step tls_write(net::const_buffer b);
  tls_step tls_handshake();
  tls_step tls_shutdown();

  static constexpr std::size_t record_bytes = 16 * 1024;  ///< TLS's largest record
  /// Shared by every connection on this thread: only a write's own bytes, gathered during one call.
  static thread_local std::array<char, record_bytes> scratch_;

  struct ssl_free {
    void operator()(SSL* s) const { SSL_free(s); }
  };
  tcp_socket socket_;
  std::unique_ptr<SSL, ssl_free> ssl_;
};

/// The socket a deadline closes to end a wait on the browser.
inline tcp_socket& lowest_socket(client_stream& s) { return s.socket(); }

/// Beast's WebSocket closes its lowest layer on a timeout through this (found by argument-dependent lookup).
inline void beast_close_socket(client_stream& s) { s.close(); }

/// A WebSocket's closing handshake is done: over TLS a close_notify, then the TCP teardown either way.
void teardown(beast::role_type role, client_stream& s, error_code& ec);

template <typename Handler>
void async_teardown(beast::role_type role, client_stream& s, Handler&& handler) {
  if (!s.is_tls()) return beast::websocket::async_teardown(role, s.socket(), std::forward<Handler>(handler));
  s.async_shutdown([&s, role, h = std::forward<Handler>(handler)](error_code) mutable {
    beast::websocket::async_teardown(role, s.socket(), std::move(h));
  });
}

}  // namespace liveproxy
