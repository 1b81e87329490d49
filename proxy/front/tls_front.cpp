// TLS on the front port: the certificate, the first-byte test, and the handshake under a deadline.
#include "proxy/front/tls_front.hpp"

#include "proxy/front/http_session.hpp"
#include "proxy/front/proxy_context.hpp"
#include "proxy/base/log.hpp"
#include "proxy/tls/certificate_plan.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cstring>

namespace liveproxy {
namespace {

/// Offered HTTP/2 and HTTP/1.1, a browser gets HTTP/1.1 (the pipeline speaks it); offered neither, no ALPN.
int select_http1(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                 void*) {
  for (unsigned i = 0; i < inlen;) {
    const unsigned len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == 8 && std::memcmp(in + i + 1, "http/1.1", 8) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

std::string handshake_error_text(const error_code& ec) {
  // OpenSSL's reason ("http request", "wrong version number", "no shared cipher") says what the client did.
  std::string what = ec.message();
  if (ec.category() == net::error::get_ssl_category()) {
    if (const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))) what = reason;
  }
  return what;
}

/// The TLS handshake, bounded by the header deadline (a client that stalls in it holds nothing for long).
/// False, said through handshake_failed, when it did not complete.
awaitable<bool> handshake(client_stream& stream, proxy_context& ctx, const std::string& peer) {
  using namespace net::experimental::awaitable_operators;
  steady_timer deadline(stream.get_executor());
  deadline.expires_after(ctx.header_timeout);
  const auto shaken = co_await (stream.async_handshake(use_tuple) ||
                                deadline.async_wait(use_tuple));
  if (shaken.index() == 1) {
    ctx.tls->handshake_failed(peer, "no handshake within " + std::to_string(ctx.header_timeout.count()) + " ms");
    co_return false;
  }
  if (const auto [ec] = std::get<0>(shaken); ec) {
    ctx.tls->handshake_failed(peer, handshake_error_text(ec));
    co_return false;
  }
  co_return true;
}

}  // namespace

tls_front::tls_front(local_ca ca, std::vector<std::string> names) : ca_(std::move(ca)) {
  cert_ = ca_.issue(names, front_certificate_lifetime);
  make_context();
}

void tls_front::make_context() {
  auto c = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
  c->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                 net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1 |
                 net::ssl::context::single_dh_use);
  c->use_certificate_chain(net::buffer(cert_.cert_pem));
  c->use_private_key(net::buffer(cert_.key_pem), net::ssl::context::pem);
  SSL_CTX_set_alpn_select_cb(c->native_handle(), select_http1, nullptr);
  // AES-128-GCM first, ours to choose: as safe for a development server's week-long certificate, and with
  // AES-NI a third less work per byte than OpenSSL's default first choice, AES-256-GCM.
  SSL_CTX_set_options(c->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  // TLS 1.2 renegotiation: nothing a browser needs from a dev server, and a client could make us redo handshakes.
  SSL_CTX_set_options(c->native_handle(), SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_ciphersuites(c->native_handle(),
                           "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
  SSL_CTX_set_cipher_list(c->native_handle(),
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305");
  context_ = std::move(c);
}

std::string tls_front::refresh(const std::vector<std::string>& names, std::chrono::system_clock::time_point now) {
  auto why = reissue_reason(cert_.names, cert_.not_after, names, now);
  if (why.empty()) return why;
  cert_ = ca_.issue(names, front_certificate_lifetime);
  make_context();
  return why;
}

void tls_front::handshake_failed(const std::string& peer, const std::string& why) {
  const auto now = std::chrono::steady_clock::now();
  if (now < quiet_until_) {
    ++unsaid_;
    return;
  }
  std::string line = "TLS handshake from " + peer + " failed: " + why;
  if (why.find("http request") != std::string::npos) line += " (plain HTTP sent as TLS?)";
  if (unsaid_) line += " (and " + std::to_string(unsaid_) + " more since the last such line)";
  log::warn(line);
  unsaid_ = 0;
  quiet_until_ = now + std::chrono::minutes(1);
}

awaitable<void> run_front_connection(tcp_socket socket, proxy_context& ctx) {
  using namespace net::experimental::awaitable_operators;
  error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  const std::string peer = ec ? std::string("?") : remote.address().to_string();
  // Until its first byte a connection is idle (a browser opens some ahead of need), as a plain one may be.
  steady_timer idle(socket.get_executor());
  idle.expires_after(ctx.idle_timeout);
  const auto first = co_await (socket.async_wait(tcp_socket::wait_read, use_tuple) || idle.async_wait(use_tuple));
  if (first.index() == 1) co_return;
  unsigned char byte = 0;
  const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK);
  if (n <= 0) co_return;
  client_stream stream(std::move(socket));
  if (byte != 0x16) {
    co_await run_http_session(std::move(stream), ctx);
    co_return;
  }
  // The settings this connection began with, kept while it lives whatever refresh() does meanwhile.
  const auto settings = ctx.tls->context();
  stream.start_tls(*settings);
  const bool shaken = co_await handshake(stream, ctx, peer);
  if (shaken) co_await run_http_session(std::move(stream), ctx);
}

}  // namespace liveproxy
