// --https: the front port answers TLS and plain HTTP alike. The first byte tells them apart (a TLS handshake
// starts with 0x16, no HTTP method does); after its handshake a TLS connection is served by the same session as
// a plain one (client_stream), so every request takes the one pipeline (gate, injection, sockets).
#pragma once

#include "proxy/base/net.hpp"
#include "proxy/tls/local_ca.hpp"

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace liveproxy {

struct proxy_context;

class tls_front {
 public:
  /// Issues the first certificate for `names` (throws std::runtime_error when it cannot).
  tls_front(local_ca ca, std::vector<std::string> names);

  /// The TLS settings new connections take (replaced by refresh; a connection keeps the one it began with).
  std::shared_ptr<net::ssl::context> context() const { return context_; }
  /// Issues a new certificate when `names` are not all covered or the current one nears its end; the reason
  /// (for one line on the terminal) when it did, else "".
  std::string refresh(const std::vector<std::string>& names, std::chrono::system_clock::time_point now);

  const local_ca& ca() const { return ca_; }
  const issued_certificate& certificate() const { return cert_; }

  /// A TLS handshake failed: one line at once, then at most one a minute counting the others (a scanner or a
  /// plain-HTTP client on the https URL must not flood the terminal).
  void handshake_failed(const std::string& peer, const std::string& why);

 private:
  void make_context();
  local_ca ca_;
  issued_certificate cert_;
  std::shared_ptr<net::ssl::context> context_;
  std::chrono::steady_clock::time_point quiet_until_{};
  std::size_t unsaid_ = 0;
};

/// One accepted front connection: plain HTTP goes to run_http_session at once, TLS after its handshake (which
/// must finish within the header deadline once its first byte came).
awaitable<void> run_front_connection(tcp_socket socket, proxy_context& ctx);

}  // namespace liveproxy
