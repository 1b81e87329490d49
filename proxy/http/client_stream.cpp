// The OpenSSL calls behind client_stream's TLS operations, and what their results mean.
#include "proxy/http/client_stream.hpp"

#include <openssl/err.h>

#include <cerrno>

namespace liveproxy {
namespace {

/// What an OpenSSL I/O call's return value means. The thread's error queue is left empty (SSL_get_error reads
/// it, so a stale entry would be taken for this call's).
tls_step outcome(SSL* ssl, int ret, std::size_t n) {
  if (ret > 0) return {{}, n, tls_step::nothing};
  const int saved_errno = errno;
  switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
      return {{}, 0, tls_step::readable};
    case SSL_ERROR_WANT_WRITE:
      return {{}, 0, tls_step::writable};
    case SSL_ERROR_ZERO_RETURN:  // close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a bare close: the end
      return {net::error::eof, 0, tls_step::nothing};
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      if (saved_errno == 0) return {net::error::eof, 0, tls_step::nothing};
      return {error_code(saved_errno, boost::system::system_category()), 0, tls_step::nothing};
    default: {
      // As Asio reports them: handshake failures are told by OpenSSL's reason ("no shared cipher", ...).
      const auto code = ERR_get_error();
      ERR_clear_error();
      return {error_code(static_cast<int>(code), net::error::get_ssl_category()), 0, tls_step::nothing};
    }
  }
}

}  // namespace

thread_local std::array<char, client_stream::record_bytes> client_stream::scratch_;

void client_stream::start_tls(net::ssl::context& settings) {
  error_code ignored;
  socket_.native_non_blocking(true, ignored);  // OpenSSL reads and writes the descriptor itself
  ssl_.reset(SSL_new(settings.native_handle()));
  if (!ssl_) throw std::bad_alloc();
  SSL_set_fd(ssl_.get(), socket_.native_handle());
  SSL_set_accept_state(ssl_.get());
  // Whole reads (a record's header and body in one read(2), not two); partial writes (a record at a time, as
  // write_some means); a retried write's bytes may be gathered anew; buffers freed between records (an idle
  // TLS connection keeps a few KB, not 34); a browser's bare close read as the end, as over TCP.
  SSL_set_read_ahead(ssl_.get(), 1);
  SSL_set_mode(ssl_.get(),
               SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  SSL_set_options(ssl_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
}

tls_step client_stream::tls_read(net::mutable_buffer b) {
  if (b.size() == 0) return {};
  std::size_t n = 0;
  const int ret = SSL_read_ex(ssl_.get(), b.data(), b.size(), &n);
  return outcome(ssl_.get(), ret, n);
}

tls_step client_stream::tls_write(net::const_buffer b) {
  if (b.size() == 0) return {};
  std::size_t n = 0;
  const int ret = SSL_write_ex(ssl_.get(), b.data(), b.size(), &n);
  return outcome(ssl_.get(), ret, n);
}

tls_step client_stream::tls_handshake() { return outcome(ssl_.get(), SSL_do_handshake(ssl_.get()), 0); }

tls_step client_stream::tls_shutdown() {
  // 0: our close_notify went out, the browser's has not come; enough, we close next.
  const int ret = SSL_shutdown(ssl_.get());
  return outcome(ssl_.get(), ret == 0 ? 1 : ret, 0);
}

void teardown(beast::role_type role, client_stream& s, error_code& ec) {
  if (s.is_tls() && s.socket().is_open()) SSL_shutdown(s.native_tls());  // one try: the socket is non-blocking
  ERR_clear_error();
  beast::websocket::teardown(role, s.socket(), ec);
}

}  // namespace liveproxy
