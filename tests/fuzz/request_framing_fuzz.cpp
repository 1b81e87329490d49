// Request framing: for any request header Beast's parser accepts, the decision agrees with what the parser will
// read as the body, and the header the app gets states exactly that framing (read back the same by a parser),
// with nothing left a lenient server could take for framing. Input: the raw request header.
#include "proxy/http/request_framing.hpp"

#include "fuzz/fuzz_input.hpp"

#include <cctype>
#include <optional>
#include <string>
#include <string_view>

using namespace liveproxy;

namespace {

struct parsed {
  bool ok = false;
  request_framing framing;
  http::request_header<> header;
};

/// Parses a header as http_session.cpp does (same limits, header only) and decides its framing.
parsed parse(std::string_view raw) {
  http::request_parser<http::buffer_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(4ull * 1024 * 1024 * 1024);
  parser.eager(false);
  error_code ec;
  parser.put(net::buffer(raw.data(), raw.size()), ec);
  parsed p;
  if (ec && ec != http::error::need_more) return p;
  if (!parser.is_header_done()) return p;
  const auto length = parser.content_length();
  p.framing = decide_request_framing(parser.get(), parser.chunked(), length ? std::optional(*length) : std::nullopt);
  p.ok = true;
  using kind = request_framing::kind;
  if (p.framing.reject_status != 0) {
    FUZZ_CHECK(p.framing.reject_status == 400 || p.framing.reject_status == 501);
    FUZZ_CHECK(!p.framing.why.empty());
  } else if (p.framing.body == kind::chunked) {
    FUZZ_CHECK(parser.chunked() && !length);
  } else if (p.framing.body == kind::length) {
    FUZZ_CHECK(!parser.chunked() && length && *length == p.framing.length);
  } else {
    FUZZ_CHECK(!parser.chunked() && !length);
  }
  p.header = parser.get().base();
  return p;
}

/// Content-Length or Transfer-Encoding once lower-cased with '_' read as '-', as PHP and CGI servers do.
bool framing_name(std::string_view name) {
  std::string n(name);
  for (auto& c : n) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return n == "content-length" || n == "transfer-encoding";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto first = parse(raw);
  if (!first.ok || first.framing.reject_status != 0) return 0;

  write_request_framing(first.header, first.framing);
  std::size_t framing_fields = 0;
  for (const auto& f : first.header) {
    const bool exact = f.name() == http::field::content_length || f.name() == http::field::transfer_encoding;
    FUZZ_CHECK(looks_like_framing_field(f.name_string()) == framing_name(f.name_string()));
    FUZZ_CHECK(exact || !framing_name(f.name_string()));
    if (exact) ++framing_fields;
  }
  FUZZ_CHECK(framing_fields == (first.framing.body == request_framing::kind::none ? 0u : 1u));

  // The app reads the rewritten header the way we did.
  std::string rewritten;
  for (const auto& f : first.header) rewritten += std::string(f.name_string()) + ": " + std::string(f.value()) + "\r\n";
  const unsigned version = first.header.version();
  const std::string request = std::string(first.header.method_string()) + " " + std::string(first.header.target()) +
                              " HTTP/" + std::to_string(version / 10) + "." + std::to_string(version % 10) + "\r\n" +
                              rewritten + "\r\n";
  const auto again = parse(request);
  FUZZ_CHECK(again.ok);
  FUZZ_CHECK(again.framing.reject_status == 0);
  FUZZ_CHECK(again.framing.body == first.framing.body);
  FUZZ_CHECK(again.framing.length == first.framing.length);
  return 0;
}
