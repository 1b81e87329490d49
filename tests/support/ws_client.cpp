// WebSocket for tests: Beast's async operations run on a private io_context under a tcp_stream deadline.
#include "support/ws_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace liveproxy::test {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
using error_code = boost::system::error_code;

namespace {

template <typename Start>
error_code run_one(net::io_context& ioc, Start&& start) {
  error_code result;
  start([&result](error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

}  // namespace

ws_client::ws_client(unsigned short port, ws_options opts) : ws_(ioc_) {
  auto& tcp = beast::get_lowest_layer(ws_);
  tcp.expires_after(opts.timeout);
  const net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
  if (const auto ec = run_one(ioc_, [&](auto handler) { tcp.async_connect(ep, handler); })) {
    error_ = "connect: " + ec.message();
    return;
  }
  const std::string origin = opts.origin;
  const std::string protocol = opts.protocol;
  ws_.set_option(websocket::stream_base::decorator([origin, protocol](websocket::request_type& req) {
    req.set(http::field::user_agent, "liveproxy-tests");
    if (!origin.empty()) req.set(http::field::origin, origin);
    if (!protocol.empty()) req.set(http::field::sec_websocket_protocol, protocol);
  }));
  const std::string host = opts.host.empty() ? "127.0.0.1:" + std::to_string(port) : opts.host;
  websocket::response_type res;
  tcp.expires_after(opts.timeout);
  const auto ec = run_one(ioc_, [&](auto handler) { ws_.async_handshake(res, host, opts.target, handler); });
  handshake_status_ = static_cast<int>(res.result_int());
  if (ec) {
    error_ = "handshake: " + ec.message() + " (HTTP " + std::to_string(handshake_status_) + ")";
    return;
  }
  // From here on each read sets its own deadline on the TCP layer.
  tcp.expires_never();
}

ws_client::~ws_client() {
  error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

std::optional<std::string> ws_client::read_message(std::chrono::milliseconds timeout) {
  if (!error_.empty()) return std::nullopt;
  auto& tcp = beast::get_lowest_layer(ws_);
  tcp.expires_after(timeout);
  const auto ec = run_one(ioc_, [&](auto handler) { ws_.async_read(buffer_, handler); });
  tcp.expires_never();
  if (ec) {
    error_ = (ec == beast::error::timeout ? "no message within " + std::to_string(timeout.count()) + " ms"
                                          : "read: " + ec.message());
    return std::nullopt;
  }
  last_message_ = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  return last_message_;
}

std::optional<flat_json> ws_client::read_json_message(std::chrono::milliseconds timeout) {
  const auto text = read_message(timeout);
  if (!text) return std::nullopt;
  auto parsed = parse_flat_json(*text);
  if (!parsed) error_ = "not a JSON object: " + *text;
  return parsed;
}

bool ws_client::send(const std::string& text) {
  if (!error_.empty()) return false;
  auto& tcp = beast::get_lowest_layer(ws_);
  tcp.expires_after(std::chrono::seconds(5));
  const auto ec = run_one(ioc_, [&](auto handler) { ws_.async_write(net::buffer(text), handler); });
  tcp.expires_never();
  if (ec) error_ = "write: " + ec.message();
  return !ec;
}

void ws_client::close() {
  if (!error_.empty()) return;
  auto& tcp = beast::get_lowest_layer(ws_);
  tcp.expires_after(std::chrono::seconds(2));
  run_one(ioc_, [&](auto handler) { ws_.async_close(websocket::close_code::normal, handler); });
  error_ = "closed";
}

}  // namespace liveproxy::test
