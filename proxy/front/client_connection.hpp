// One browser connection's state, shared by the request loop (http_session) and the response relays.
#pragma once

#include "proxy/http/buffer_pool.hpp"
#include "proxy/http/client_stream.hpp"
#include "proxy/http/deadline.hpp"
#include "proxy/http/http_io.hpp"
#include "proxy/http/splice_relay.hpp"
#include "proxy/base/limits.hpp"
#include "proxy/front/proxy_context.hpp"

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace liveproxy {

using request_parser = buffer_parser<true>;
using response_parser = buffer_parser<false>;

/// What a handled request leaves behind on the browser connection.
enum class next_step { keep_alive, close, handed_over };

/// A browser connection: its socket and deadline, and buffers taken from the pool while a request needs them.
struct client_connection {
  client_connection(client_stream stream, proxy_context& context, std::string ip)
      : client(std::move(stream)), deadline(client.get_executor()), front(context), ctx(&context),
        client_ip(std::move(ip)), buf(context.buffers) {
    deadline.set_client(client.socket());
    deadline.set_pause_flag(&context.app_paused);
  }

  client_stream client;  ///< plain TCP, or TLS (--https)
  io_deadline deadline;
  beast::flat_buffer client_buf;  ///< request bytes read ahead; empty (no memory) while idle
  /// The front's context: liveproxy's own endpoints, the shared buffers and deadlines.
  proxy_context& front;
  /// The context of the app the current request goes to: the front's own, or a routed app's (see route()).
  proxy_context* ctx;
  std::string client_ip;
  relay_buffer buf;
  std::string head;  ///< serialized header of the message being sent, reused
  std::string out;   ///< injected HTML on its way to the browser, reused
  splice_pipe pipe;  ///< for large pass-through bodies; closed while idle
  /// The first bytes of the next request land here while the connection is idle: a read (which Asio tries at
  /// once, finding the bytes already there under load) instead of a readiness wait (an epoll_ctl each time),
  /// without holding a pooled buffer while nothing comes.
  std::array<char, 512> first_bytes;
  /// Its request is with the app (sent, or its response being relayed): counted in ctx.responses_in_flight.
  bool in_flight = false;

  /// Between requests: gives the buffers and the pipe back to the pool (an idle keep-alive connection then
  /// holds a few hundred bytes instead of ~75 KB). Read-ahead bytes of a pipelined request stay.
  void go_idle();
  /// Makes sure the request read buffer has room (taken from the pool when idle had given it back).
  void go_busy() {
    if (client_buf.capacity() == 0) client_buf = front.buffers.take_read();
  }
  /// The splice pipe, taken from the pool when needed; false when the system has no splice.
  bool splice_ready() {
    if (!pipe.is_open()) pipe = front.buffers.take_pipe();
    return pipe.ready();
  }
};

/// The app side of one request: the connection it went out on, and the response header read back.
struct upstream_exchange {
  std::unique_ptr<app_connection> conn;
  std::optional<response_parser> parser;
  /// The connection's read buffer: it lives (and keeps its capacity) as long as the pooled connection.
  beast::flat_buffer& buf() { return conn->buf; }
};

/// What an I/O error means to a person reading the error page.
std::string describe(const client_connection& s, const error_code& ec);

/// A small response of our own (errors, our endpoints).
awaitable<next_step> send_simple(client_connection& s, http::status status, std::string_view content_type,
                                 std::string body, bool keep_alive, unsigned version = 11, unsigned retry_after = 0);

/// The error page's description of the app's state, with this status and explanation.
error_info app_error(client_connection& s, unsigned status, std::string title, std::string message);

/// What may be shown of an error to a browser that sent this Host: everything for allowed (loopback) Hosts,
/// only the status for others (a DNS-rebinding page must not read the app's output or command line).
error_info visible_error(const client_connection& s, std::string_view host, error_info info);

/// Writes bytes through a buffer_body serializer; `last` ends the body. Stream: client_stream or app_connection.
template <typename Stream, typename Serializer, typename Message>
awaitable<error_code> write_body(client_connection& s, Stream& out, Serializer& sr, Message& msg, const char* data,
                                 std::size_t size, bool last, io_deadline::clock::duration timeout) {
  msg.body().data = size ? const_cast<char*>(data) : nullptr;
  msg.body().size = size;
  msg.body().more = !last;
  if (size == 0 && !last) co_return error_code{};
  s.deadline.expires_after(timeout, lowest_socket(out));
  auto [ec, n] = co_await http::async_write(out, sr, use_tuple);
  if (ec == http::error::need_buffer) ec = {};
  co_return ec;
}

/// Reads the next piece of a body into s.buf; returns bytes read. Not a coroutine itself (a frame less).
template <typename Stream, bool is_request>
awaitable<std::pair<error_code, std::size_t>> read_body(client_connection& s, Stream& in, beast::flat_buffer& in_buf,
                                                         buffer_parser<is_request>& p,
                                                         io_deadline::clock::duration timeout) {
  s.deadline.expires_after(timeout, lowest_socket(in));
  return read_body_some(in, in_buf, p, s.buf.data(), s.buf.size());
}

}  // namespace liveproxy
