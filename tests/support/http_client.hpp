// A small blocking HTTP/1.1 client on Beast for tests: every call has a deadline, connections can be kept alive.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace liveproxy::test {

/// Extra request headers, in order. A "Host" entry replaces the default one.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// What came back. `error` is empty when a whole response was read.
struct http_response {
  std::string error;
  int status = 0;
  boost::beast::http::fields headers;
  std::string body;
  bool keep_alive = false;             ///< the server intends to keep the connection open
  std::chrono::milliseconds elapsed{0};  ///< from sending the request to the end of the body

  bool ok() const { return error.empty(); }
  /// The header's value, or "" if absent.
  std::string header(std::string_view name) const;
  /// How many fields named name there are.
  std::size_t count(std::string_view name) const;
};

/// One connection to 127.0.0.1:port. Requests on it reuse the connection (keep-alive); it never
/// reconnects by itself, so a test can tell whether the server kept it open.
class http_client {
 public:
  static constexpr std::chrono::milliseconds default_timeout{10000};

  explicit http_client(unsigned short port, std::chrono::milliseconds timeout = default_timeout);
  /// To another address of this machine (Host is then that address and port).
  http_client(std::string address, unsigned short port, std::chrono::milliseconds timeout = default_timeout);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Empty if the connection was established.
  const std::string& connect_error() const { return connect_error_; }
  bool is_open() const;
  /// The local port of this connection (tells connections apart).
  unsigned short local_port() const;

  /// Sends one request and reads its response. Host defaults to "127.0.0.1:port".
  http_response request(boost::beast::http::verb method, std::string_view target, const header_list& headers = {},
                        std::string body = {});
  http_response get(std::string_view target, const header_list& headers = {}) {
    return request(boost::beast::http::verb::get, target, headers);
  }

  /// Writes bytes as they are (for malformed requests). Returns false on error or timeout.
  bool send_raw(std::string_view bytes);
  /// Reads one response (after send_raw); `after_head`: it answers a HEAD request (no body follows).
  http_response read_response(bool after_head = false);
  /// Reads raw bytes until the server closes the connection or the timeout passes.
  std::string read_until_close();

  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

 private:
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::string address_;
  unsigned short port_;
  std::chrono::milliseconds timeout_;
  std::string connect_error_;
};

/// One request on a fresh connection (closed afterwards).
http_response http_get(unsigned short port, std::string_view target, const header_list& headers = {},
                       std::chrono::milliseconds timeout = http_client::default_timeout);

}  // namespace liveproxy::test
