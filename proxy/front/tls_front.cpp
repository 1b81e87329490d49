// TLS on the front port: the certificate, the first-byte test, the handshake under a deadline, and the bridge.
#include "proxy/front/tls_front.hpp"

#include "proxy/front/client_connection.hpp"
#include "proxy/front/http_session.hpp"
#include "proxy/front/proxy_context.hpp"
#include "proxy/base/limits.hpp"
#include "proxy/base/log.hpp"
#include "proxy/tls/certificate_plan.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

namespace liveproxy {
namespace {

using tls_stream = net::ssl::stream<tcp_socket>;

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

/// Copies one direction until either side fails or ends.
template <typename From, typename To>
awaitable<void> copy_until_end(From& from, To& to) {
  std::array<char, 16 * 1024> buf;
  for (;;) {
    auto [ec, n] = co_await from.async_read_some(net::buffer(buf), use_tuple);
    if (ec) break;
    auto [wec, w] = co_await net::async_write(to, net::buffer(buf.data(), n), use_tuple);
    if (wec) break;
  }
}

/// The browser's bytes, decrypted, to the session; at their end a half-close (the answer under way still goes).
awaitable<void> pump_to_plain(tls_stream& from, tcp_socket& to) {
  co_await copy_until_end(from, to);
  error_code ignored;
  to.shutdown(tcp::socket::shutdown_send, ignored);
}

/// The session's bytes, encrypted, to the browser; when the session closes, so does the TLS connection (which
/// ends the other direction's read too).
awaitable<void> pump_to_tls(tcp_socket& from, tls_stream& to) {
  co_await copy_until_end(from, to);
  error_code ignored;
  to.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
  to.lowest_layer().close(ignored);
}

std::string handshake_error_text(const error_code& ec) {
  // OpenSSL's reason ("http request", "wrong version number", "no shared cipher") says what the client did.
  std::string what = ec.message();
  if (ec.category() == net::error::get_ssl_category()) {
    if (const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))) what = reason;
  }
  return what;
}

awaitable<void> bridge(tcp_socket socket, proxy_context& ctx, tcp::endpoint front, std::string peer) {
  using namespace net::experimental::awaitable_operators;
  const auto settings = ctx.tls->context();  // kept while this connection lives, whatever refresh does
  tls_stream tls(std::move(socket), *settings);
  steady_timer deadline(tls.get_executor());
  deadline.expires_after(ctx.header_timeout);
  const auto shaken = co_await (tls.async_handshake(net::ssl::stream_base::server, use_tuple) ||
                                deadline.async_wait(use_tuple));
  if (shaken.index() == 1) {
    ctx.tls->handshake_failed(peer, "no handshake within " + std::to_string(ctx.header_timeout.count()) + " ms");
    co_return;
  }
  if (const auto [ec] = std::get<0>(shaken); ec) {
    ctx.tls->handshake_failed(peer, handshake_error_text(ec));
    co_return;
  }
  // The loopback leg: to the listener's own address (0.0.0.0 and :: are reached on loopback).
  auto to = front;
  if (to.address().is_unspecified())
    to.address(to.address().is_v4() ? net::ip::address(net::ip::address_v4::loopback())
                                     : net::ip::address(net::ip::address_v6::loopback()));
  tcp_socket plain(tls.get_executor());
  deadline.expires_after(limits::app_connect_timeout);
  const auto connected = co_await (plain.async_connect(to, use_tuple) || deadline.async_wait(use_tuple));
  if (connected.index() == 1 || std::get<0>(std::get<0>(connected))) co_return;
  error_code ec;
  plain.set_option(tcp::no_delay(true), ec);
  const auto port = plain.local_endpoint(ec).port();
  ctx.tls->bridged[port] = peer;
  co_await (pump_to_plain(tls, plain) && pump_to_tls(plain, tls));
  ctx.tls->bridged.erase(port);
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

void mark_bridged(client_connection& s, const tcp::endpoint& remote) {
  if (!s.ctx->tls || !remote.address().is_loopback()) return;
  const auto& bridged = s.ctx->tls->bridged;
  if (const auto it = bridged.find(remote.port()); it != bridged.end()) {
    s.client_ip = it->second;
    s.tls = true;
  }
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
  if (byte != 0x16) {
    co_await run_http_session(std::move(socket), ctx);
    co_return;
  }
  co_await bridge(std::move(socket), ctx, ctx.tls->front, peer);
}

}  // namespace liveproxy
