// A blocking WebSocket client on Beast for tests of the reload hub: handshake and reads have deadlines.
#pragma once

#include "support/flat_json.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace liveproxy::test {

/// How to open the socket. Empty host means "127.0.0.1:port"; empty origin sends no Origin header.
struct ws_options {
  std::string target = "/__liveproxy/ws";
  std::string host;
  std::string origin;
  std::chrono::milliseconds timeout{5000};
  std::string protocol;  ///< Sec-WebSocket-Protocol, if any (Vite's HMR socket wants "vite-hmr")
};

/// One WebSocket connection. The constructor does the handshake; check connected() or error().
class ws_client {
 public:
  explicit ws_client(unsigned short port, ws_options opts = {});
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  bool connected() const { return error_.empty(); }
  /// Why the connection failed or broke; empty while it is fine.
  const std::string& error() const { return error_; }
  /// The HTTP status of the handshake response (101 on success, e.g. 403 when refused; 0 if none).
  int handshake_status() const { return handshake_status_; }

  /// The next text message, or nullopt on timeout or error (a timeout closes the connection).
  std::optional<std::string> read_message(std::chrono::milliseconds timeout);
  /// The next message parsed as a flat JSON object; nullopt if none came or it was not JSON.
  std::optional<flat_json> read_json_message(std::chrono::milliseconds timeout);

  /// Sends a text message; false (and error() says why) if it could not be sent.
  bool send(const std::string& text);

  /// Sends a close frame and waits briefly for the server's.
  void close();

 private:
  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::string error_;
  int handshake_status_ = 0;
  std::string last_message_;  // kept for error messages
};

}  // namespace liveproxy::test
