// How a request's body is delimited, decided once from our own parse (RFC 9112 §6.3), and the framing fields
// the app gets: written by liveproxy, never the client's copied over (the client's could be read differently).
#pragma once

#include "proxy/base/net.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// What delimits a request body, or why the request is refused.
struct request_framing {
  enum class kind { none, length, chunked };
  kind body = kind::none;
  std::uint64_t length = 0;  ///< for kind::length (0 is a stated empty body)
  /// Non-zero: answer with this status and close the connection; `why` says what was wrong.
  unsigned reject_status = 0;
  std::string why;
};

/// Decides the framing of a parsed request header. `parser_chunked` and `parser_length` are what Beast's
/// parser (which reads the body) made of it: a request the two read differently is refused, so the body
/// we forward is always the body we parsed.
request_framing decide_request_framing(const http::request_header<>& req, bool parser_chunked,
                                       std::optional<std::uint64_t> parser_length);

/// Removes the client's Content-Length and Transfer-Encoding, and fields a lenient server could take for
/// them (Content_Length, transfer_encoding), then states the framing decided by decide_request_framing.
void write_request_framing(http::request_header<>& req, const request_framing& framing);

/// True for a name that is not Content-Length or Transfer-Encoding but reads as one once lower-cased with
/// '_' taken for '-' (what PHP, WSGI/CGI and many hand-written servers do to header names).
bool looks_like_framing_field(std::string_view name);

/// The transfer codings of a message, every Transfer-Encoding field joined in order: the kind of list
/// RFC 9112 §6.1 describes. Empty list elements are skipped; elements are trimmed, not lower-cased.
std::vector<std::string_view> transfer_codings(const http::fields& f);

}  // namespace liveproxy
