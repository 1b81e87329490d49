// Blocking HTTP for tests: each call runs Beast's async operation on a private io_context,
// so the tcp_stream deadline applies (Asio's own sync calls would wait forever).
#include "support/http_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <boost/asio/write.hpp>

namespace liveproxy::test {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using error_code = boost::system::error_code;

namespace {

// Runs whatever async operation `start` initiates until it completes; returns its error.
template <typename Start>
error_code run_one(net::io_context& ioc, Start&& start) {
  error_code result;
  start([&result](error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

}  // namespace

std::string http_response::header(std::string_view name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : std::string(it->value());
}

std::size_t http_response::count(std::string_view name) const { return headers.count(name); }

http_client::http_client(unsigned short port, std::chrono::milliseconds timeout)
    : http_client("127.0.0.1", port, timeout) {}

http_client::http_client(std::string address, unsigned short port, std::chrono::milliseconds timeout)
    : stream_(ioc_), address_(std::move(address)), port_(port), timeout_(timeout) {
  stream_.expires_after(timeout_);
  const net::ip::tcp::endpoint ep(net::ip::make_address(address_), port);
  const auto ec = run_one(ioc_, [&](auto handler) { stream_.async_connect(ep, handler); });
  if (ec) connect_error_ = "connect to " + address_ + ":" + std::to_string(port) + ": " + ec.message();
}

http_client::~http_client() {
  error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

bool http_client::is_open() const { return connect_error_.empty() && stream_.socket().is_open(); }

unsigned short http_client::local_port() const {
  error_code ec;
  const auto ep = stream_.socket().local_endpoint(ec);
  return ec ? 0 : ep.port();
}

http_response http_client::request(http::verb method, std::string_view target, const header_list& headers,
                                   std::string body) {
  http_response out;
  if (!connect_error_.empty()) {
    out.error = connect_error_;
    return out;
  }
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, address_ + ":" + std::to_string(port_));
  req.set(http::field::user_agent, "liveproxy-tests");
  for (const auto& [name, value] : headers) {
    if (beast::iequals(name, "host")) req.erase(http::field::host);
    req.insert(name, value);
  }
  if (!body.empty() || method == http::verb::post || method == http::verb::put) {
    req.body() = std::move(body);
    req.prepare_payload();
  }
  const auto started = std::chrono::steady_clock::now();
  stream_.expires_after(timeout_);
  if (const auto ec = run_one(ioc_, [&](auto handler) { http::async_write(stream_, req, handler); })) {
    out.error = "write: " + ec.message();
    return out;
  }
  out = read_response(method == http::verb::head);
  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return out;
}

bool http_client::send_raw(std::string_view bytes) {
  if (!connect_error_.empty()) return false;
  stream_.expires_after(timeout_);
  return !run_one(ioc_, [&](auto handler) { net::async_write(stream_, net::buffer(bytes.data(), bytes.size()), handler); });
}

http_response http_client::read_response(bool after_head) {
  http_response out;
  if (!connect_error_.empty()) {
    out.error = connect_error_;
    return out;
  }
  const auto started = std::chrono::steady_clock::now();
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.header_limit(64 * 1024);
  // A response to HEAD states a length but has no body.
  parser.skip(after_head);
  stream_.expires_after(timeout_);
  if (const auto ec = run_one(ioc_, [&](auto handler) { http::async_read(stream_, buffer_, parser, handler); })) {
    out.error = "read: " + ec.message();
    return out;
  }
  auto res = parser.release();
  out.status = static_cast<int>(res.result_int());
  out.keep_alive = res.keep_alive();
  out.body = std::move(res.body());
  out.headers = std::move(res.base());
  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return out;
}

std::string http_client::read_until_close() {
  std::string out = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  if (!connect_error_.empty()) return out;
  stream_.expires_after(timeout_);
  char chunk[8192];
  for (;;) {
    std::size_t got = 0;
    const auto ec = run_one(ioc_, [&](auto handler) {
      stream_.async_read_some(net::buffer(chunk), [&got, handler](error_code e, std::size_t n) mutable {
        got = n;
        handler(e);
      });
    });
    out.append(chunk, got);
    if (ec) break;
  }
  return out;
}

http_response http_get(unsigned short port, std::string_view target, const header_list& headers,
                       std::chrono::milliseconds timeout) {
  http_client client(port, timeout);
  return client.get(target, headers);
}

}  // namespace liveproxy::test
