// HTTP/1.1 reads and header writes on plain sockets: Beast's parser, without a composed operation per read.
#pragma once

#include "proxy/base/net.hpp"

#include <boost/beast/http/buffer_body.hpp>

#include <string>
#include <utility>

namespace liveproxy {

struct app_connection;
class client_stream;

template <bool is_request>
using buffer_parser = http::parser<is_request, http::buffer_body>;

/// Reads and parses until `p` holds the whole header. Same errors as Beast's async_read_header:
/// end_of_stream when the peer closed before sending anything, partial_message when it closed mid-header.
/// Stream is a client_stream (the browser), a tcp_socket or an app_connection (the app; either may be TLS).
template <typename Stream, bool is_request>
awaitable<error_code> read_header(Stream& s, beast::flat_buffer& buf, buffer_parser<is_request>& p);

/// Reads body bytes into [data, data + size) and returns how many came. Returns as soon as some bytes
/// arrived, the space is full, or the message is complete: a streamed response (SSE, a slow page) is
/// passed on as it comes, not when 64 KiB have gathered.
template <typename Stream, bool is_request>
awaitable<std::pair<error_code, std::size_t>> read_body_some(Stream& s, beast::flat_buffer& buf,
                                                             buffer_parser<is_request>& p, char* data,
                                                             std::size_t size);

/// Acknowledges received data at once (TCP_QUICKACK): call before waiting for the rest of a begun message.
void ack_now(tcp_socket& s);
void ack_now(app_connection& c);
void ack_now(client_stream& c);

/// Appends the request line and fields, ending with the blank line.
void serialize_header(const http::request_header<>& h, std::string& out);
/// Appends the status line and fields, ending with the blank line.
void serialize_header(const http::response_header<>& h, std::string& out);

extern template awaitable<error_code> read_header(client_stream&, beast::flat_buffer&, buffer_parser<true>&);
extern template awaitable<error_code> read_header(tcp_socket&, beast::flat_buffer&, buffer_parser<true>&);
extern template awaitable<error_code> read_header(tcp_socket&, beast::flat_buffer&, buffer_parser<false>&);
extern template awaitable<error_code> read_header(app_connection&, beast::flat_buffer&, buffer_parser<false>&);
extern template awaitable<std::pair<error_code, std::size_t>> read_body_some(client_stream&, beast::flat_buffer&,
                                                                            buffer_parser<true>&, char*, std::size_t);
extern template awaitable<std::pair<error_code, std::size_t>> read_body_some(tcp_socket&, beast::flat_buffer&,
                                                                            buffer_parser<false>&, char*, std::size_t);
extern template awaitable<std::pair<error_code, std::size_t>> read_body_some(app_connection&, beast::flat_buffer&,
                                                                            buffer_parser<false>&, char*, std::size_t);

}  // namespace liveproxy
