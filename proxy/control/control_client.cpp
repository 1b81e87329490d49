// One request over Beast, run on a private io_context for at most the deadline (sync calls have none).
#include "proxy/control/control_client.hpp"

#include "proxy/base/net.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace liveproxy {

control_answer control_request(unsigned port, bool post, const std::string& target, std::chrono::milliseconds timeout) {
  namespace http = boost::beast::http;
  net::io_context io;
  boost::beast::tcp_stream stream(io);
  const net::ip::tcp::endpoint ep(net::ip::make_address_v4("127.0.0.1"), static_cast<unsigned short>(port));
  http::request<http::string_body> req{post ? http::verb::post : http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::user_agent, "liveproxy-cli");
  req.set(http::field::connection, "close");
  req.prepare_payload();
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  control_answer out;
  const auto fail = [&](const boost::system::error_code& ec, const char* what) {
    out.error = ec == boost::beast::error::timeout ? "timed out after " + std::to_string(timeout.count() / 1000) + " s"
                                                   : std::string(what) + ": " + ec.message();
  };
  stream.expires_after(timeout);
  stream.async_connect(ep, [&](boost::system::error_code ec) {
    if (ec) return fail(ec, "connect");
    http::async_write(stream, req, [&](boost::system::error_code sent, std::size_t) {
      if (sent) return fail(sent, "send");
      http::async_read(stream, buffer, parser, [&](boost::system::error_code read, std::size_t) {
        if (read) return fail(read, "read");
        out.status = static_cast<int>(parser.get().result_int());
        out.body = std::move(parser.get().body());
      });
    });
  });
  io.run();
  return out;
}

}  // namespace liveproxy
