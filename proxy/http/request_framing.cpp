// Request framing by RFC 9112 §6.3: Transfer-Encoding ending in chunked, else Content-Length, else no body;
// everything ambiguous is refused (a proxy that guesses is how requests get smuggled).
#include "proxy/http/request_framing.hpp"

#include <boost/beast/core/string.hpp>

#include <vector>

namespace liveproxy {
namespace {

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Content-Length = 1*DIGIT; a list of equal values ("5, 5", as a proxy may have merged fields) is that value.
std::optional<std::uint64_t> parse_length_list(std::string_view value, std::optional<std::uint64_t> seen, bool& bad) {
  std::size_t pos = 0;
  do {
    auto end = value.find(',', pos);
    if (end == std::string_view::npos) end = value.size();
    const auto item = trim_ows(value.substr(pos, end - pos));
    pos = end + 1;
    std::uint64_t v = 0;
    if (item.empty()) bad = true;
    for (const char c : item) {
      if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10) {
        bad = true;
        break;
      }
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (bad) return std::nullopt;
    if (seen && *seen != v) {
      bad = true;
      return std::nullopt;
    }
    seen = v;
  } while (pos <= value.size());
  return seen;
}

request_framing reject(unsigned status, std::string why) {
  request_framing f;
  f.reject_status = status;
  f.why = std::move(why);
  return f;
}

}  // namespace

std::vector<std::string_view> transfer_codings(const http::fields& f) {
  std::vector<std::string_view> codings;
  for (auto it = f.find(http::field::transfer_encoding); it != f.end() && it->name() == http::field::transfer_encoding;
       ++it) {
    const std::string_view v = it->value();
    std::size_t pos = 0;
    while (pos <= v.size()) {
      auto end = v.find(',', pos);
      if (end == std::string_view::npos) end = v.size();
      if (const auto item = trim_ows(v.substr(pos, end - pos)); !item.empty()) codings.push_back(item);
      pos = end + 1;
    }
  }
  return codings;
}

request_framing decide_request_framing(const http::request_header<>& req, bool parser_chunked,
                                       std::optional<std::uint64_t> parser_length) {
  const bool has_te = req.find(http::field::transfer_encoding) != req.end();
  const bool has_cl = req.find(http::field::content_length) != req.end();
  request_framing f;
  if (has_te) {
    if (has_cl) return reject(400, "both Transfer-Encoding and Content-Length: the body's end is ambiguous");
    if (req.version() < 11) return reject(400, "Transfer-Encoding in an HTTP/1.0 request");
    const auto codings = transfer_codings(req);
    if (codings.empty()) return reject(400, "empty Transfer-Encoding");
    if (!beast::iequals(codings.back(), "chunked"))
      return reject(400, "Transfer-Encoding '" + std::string(codings.back()) +
                             "' is not chunked as the final coding: the body's end is unknown");
    if (codings.size() > 1) {
      for (std::size_t i = 0; i + 1 < codings.size(); ++i)
        if (beast::iequals(codings[i], "chunked")) return reject(400, "chunked applied more than once");
      return reject(501, "transfer coding '" + std::string(codings.front()) + "' is not supported (only chunked is)");
    }
    f.body = request_framing::kind::chunked;
  } else if (has_cl) {
    bool bad = false;
    std::optional<std::uint64_t> length;
    for (auto it = req.find(http::field::content_length);
         !bad && it != req.end() && it->name() == http::field::content_length; ++it)
      length = parse_length_list(it->value(), length, bad);
    if (bad || !length) return reject(400, "invalid or conflicting Content-Length");
    f.body = request_framing::kind::length;
    f.length = *length;
  }
  // The parser reads the body by its own view of the header: it must be exactly ours.
  const bool agrees = f.body == request_framing::kind::chunked ? parser_chunked && !parser_length
                      : f.body == request_framing::kind::length ? !parser_chunked && parser_length == f.length
                                                                 : !parser_chunked && !parser_length;
  if (!agrees) return reject(400, "the body's framing is ambiguous");
  return f;
}

bool looks_like_framing_field(std::string_view name) {
  if (name.size() != 14 && name.size() != 17) return false;
  const std::string_view want = name.size() == 14 ? "content-length" : "transfer-encoding";
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '_') c = '-';
    if (c != want[i]) return false;
  }
  return true;
}

void write_request_framing(http::request_header<>& req, const request_framing& framing) {
  for (auto it = req.begin(); it != req.end();) {
    const auto name = it->name();
    const bool drop = name == http::field::content_length || name == http::field::transfer_encoding ||
                      (name == http::field::unknown && looks_like_framing_field(it->name_string()));
    it = drop ? req.erase(it) : std::next(it);
  }
  if (framing.body == request_framing::kind::chunked) req.set(http::field::transfer_encoding, "chunked");
  else if (framing.body == request_framing::kind::length) req.set(http::field::content_length, std::to_string(framing.length));
}

}  // namespace liveproxy
