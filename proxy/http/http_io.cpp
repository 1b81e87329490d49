// The read loop of Beast's http::read_some (parse what is buffered, read more only when the parser needs it),
// written as a coroutine over the socket's own async_read_some.
#include "proxy/http/http_io.hpp"

#include "proxy/http/app_pool.hpp"
#include "proxy/http/client_stream.hpp"

#include <boost/beast/core/read_size.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <charconv>

namespace liveproxy {
namespace {

/// What a read of n bytes with result ec means to the parser; on EOF the parser learns of it (a
/// close-delimited body ends there). A plain function: each coroutine call costs a frame allocation.
template <bool is_request>
error_code after_read(error_code ec, std::size_t n, beast::flat_buffer& buf, buffer_parser<is_request>& p) {
  buf.commit(n);
  if (ec != net::error::eof) return ec;
  if (!p.got_some()) return http::error::end_of_stream;
  error_code eof_ec;
  p.put_eof(eof_ec);
  return eof_ec;
}

/// Feeds what is buffered to the parser. need_more is not an error here.
template <bool is_request>
error_code parse(beast::flat_buffer& buf, buffer_parser<is_request>& p) {
  error_code ec;
  if (buf.size() == 0 || p.is_done()) return ec;
  buf.consume(p.put(buf.data(), ec));
  if (ec == http::error::need_more) ec = {};
  return ec;
}


void append_number(std::string& out, unsigned v) {
  char digits[16];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
  out.append(digits, end);
}

void append_fields(const http::fields& f, std::string& out) {
  for (const auto& field : f) {
    out.append(field.name_string());
    out.append(": ");
    out.append(field.value());
    out.append("\r\n");
  }
  out.append("\r\n");
}

void append_version(unsigned version, std::string& out) {
  out.append("HTTP/");
  append_number(out, version / 10);
  out.push_back('.');
  append_number(out, version % 10);
}

}  // namespace

/// About to wait for the rest of a message that has begun: acknowledge what came at once. A peer that wrote
/// its header and body in two small writes without TCP_NODELAY (Python's http.server and wsgiref, so Django's
/// and Flask's dev servers) holds the second back until the first is acknowledged (Nagle), and a delayed
/// acknowledgement would make that 40 ms on every request of a kept-alive connection.
void ack_now(tcp_socket& s) {
  const int on = 1;
  ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
}
void ack_now(app_connection& c) { ack_now(c.socket); }
void ack_now(client_stream& c) { ack_now(c.socket()); }

template <typename Stream, bool is_request>
awaitable<error_code> read_header(Stream& s, beast::flat_buffer& buf, buffer_parser<is_request>& p) {
  p.eager(false);
  for (;;) {
    if (auto ec = parse(buf, p)) co_return ec;
    if (p.is_header_done()) co_return error_code{};
    const auto size = beast::read_size(buf, 65536);
    if (size == 0) co_return http::error::buffer_overflow;
    if (p.got_some()) ack_now(s);
    auto [rec, n] = co_await s.async_read_some(buf.prepare(size), use_tuple);
    if (auto ec = after_read(rec, n, buf, p)) co_return ec;
  }
}

template <typename Stream, bool is_request>
awaitable<std::pair<error_code, std::size_t>> read_body_some(Stream& s, beast::flat_buffer& buf,
                                                             buffer_parser<is_request>& p, char* data,
                                                             std::size_t size) {
  p.eager(true);
  auto& body = p.get().body();
  body.data = data;
  body.size = size;
  for (;;) {
    auto ec = parse(buf, p);
    if (ec == http::error::need_buffer) ec = {};
    if (ec || p.is_done() || body.size < size || body.size == 0) co_return std::pair{ec, size - body.size};
    const auto want = beast::read_size(buf, 65536);
    if (want == 0) co_return std::pair{error_code(http::error::buffer_overflow), std::size_t{0}};
    ack_now(s);
    auto [rec, n] = co_await s.async_read_some(buf.prepare(want), use_tuple);
    if (auto rec2 = after_read(rec, n, buf, p)) co_return std::pair{rec2, size - body.size};
  }
}

void serialize_header(const http::request_header<>& h, std::string& out) {
  out.append(h.method_string());
  out.push_back(' ');
  out.append(h.target());
  out.push_back(' ');
  append_version(h.version(), out);
  out.append("\r\n");
  append_fields(h, out);
}

void serialize_header(const http::response_header<>& h, std::string& out) {
  append_version(h.version(), out);
  out.push_back(' ');
  append_number(out, h.result_int());
  out.push_back(' ');
  out.append(h.reason());
  out.append("\r\n");
  append_fields(h, out);
}

template awaitable<error_code> read_header(client_stream&, beast::flat_buffer&, buffer_parser<true>&);
template awaitable<error_code> read_header(tcp_socket&, beast::flat_buffer&, buffer_parser<true>&);
template awaitable<error_code> read_header(tcp_socket&, beast::flat_buffer&, buffer_parser<false>&);
template awaitable<error_code> read_header(app_connection&, beast::flat_buffer&, buffer_parser<false>&);
template awaitable<std::pair<error_code, std::size_t>> read_body_some(client_stream&, beast::flat_buffer&,
                                                                     buffer_parser<true>&, char*, std::size_t);
template awaitable<std::pair<error_code, std::size_t>> read_body_some(tcp_socket&, beast::flat_buffer&,
                                                                     buffer_parser<false>&, char*, std::size_t);
template awaitable<std::pair<error_code, std::size_t>> read_body_some(app_connection&, beast::flat_buffer&,
                                                                     buffer_parser<false>&, char*, std::size_t);

}  // namespace liveproxy
