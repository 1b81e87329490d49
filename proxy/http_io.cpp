// The read loop of Beast's http::read_some (parse what is buffered, read more only when the parser needs it),
// written as a coroutine over the socket's own async_read_some.
#include "proxy/http_io.hpp"

#include <boost/beast/core/read_size.hpp>

#include <charconv>

namespace liveproxy {
namespace {

/// Reads once more into buf. On EOF the parser learns of it (a close-delimited body ends there).
template <bool is_request>
awaitable<error_code> fill(tcp_socket& s, beast::flat_buffer& buf, buffer_parser<is_request>& p) {
  const auto size = beast::read_size(buf, 65536);
  if (size == 0) co_return http::error::buffer_overflow;
  auto [ec, n] = co_await s.async_read_some(buf.prepare(size), use_tuple);
  buf.commit(n);
  if (ec == net::error::eof) {
    if (!p.got_some()) co_return http::error::end_of_stream;
    error_code eof_ec;
    p.put_eof(eof_ec);
    co_return eof_ec;
  }
  co_return ec;
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

template <bool is_request>
awaitable<error_code> read_header(tcp_socket& s, beast::flat_buffer& buf, buffer_parser<is_request>& p) {
  p.eager(false);
  for (;;) {
    if (auto ec = parse(buf, p)) co_return ec;
    if (p.is_header_done()) co_return error_code{};
    if (auto ec = co_await fill(s, buf, p)) co_return ec;
  }
}

template <bool is_request>
awaitable<error_code> read_body_some(tcp_socket& s, beast::flat_buffer& buf, buffer_parser<is_request>& p) {
  p.eager(true);
  auto& body = p.get().body();
  const auto room = body.size;
  for (;;) {
    const auto ec = parse(buf, p);
    if (ec == http::error::need_buffer) co_return error_code{};
    if (ec) co_return ec;
    if (p.is_done() || body.size < room || body.size == 0) co_return error_code{};
    if (auto rec = co_await fill(s, buf, p)) co_return rec;
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

template awaitable<error_code> read_header<true>(tcp_socket&, beast::flat_buffer&, buffer_parser<true>&);
template awaitable<error_code> read_header<false>(tcp_socket&, beast::flat_buffer&, buffer_parser<false>&);
template awaitable<error_code> read_body_some<true>(tcp_socket&, beast::flat_buffer&, buffer_parser<true>&);
template awaitable<error_code> read_body_some<false>(tcp_socket&, beast::flat_buffer&, buffer_parser<false>&);

}  // namespace liveproxy
