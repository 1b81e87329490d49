// Request framing decided once, by RFC 9112 §6.3, from a real parse: what is refused, what is forwarded, and
// the framing fields the app gets in place of the client's.
#include "proxy/http/http_io.hpp"
#include "proxy/http/request_framing.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace liveproxy;

namespace {

/// What liveproxy decides for a raw request header, parsed by the same Beast parser the proxy uses.
struct parsed {
  buffer_parser<true> parser;
  error_code parse_error;
  request_framing framing;

  explicit parsed(std::string raw) {
    parser.eager(false);
    parser.put(net::buffer(raw), parse_error);
    if (parse_error == http::error::need_more) parse_error = {};
    if (!parse_error && parser.is_header_done())
      framing = decide_request_framing(parser.get(), parser.chunked(),
                                       parser.content_length() ? std::optional(*parser.content_length()) : std::nullopt);
  }
  /// Refused by Beast's parser or by our rules.
  bool refused() const { return static_cast<bool>(parse_error) || framing.reject_status != 0; }
};

std::string request(std::string fields, std::string version = "1.1") {
  return "POST /submit HTTP/" + version + "\r\nHost: 127.0.0.1\r\n" + fields + "\r\n";
}

}  // namespace

TEST_CASE("ambiguous or unsupported request framing is refused", "[unit]") {
  const std::string fields = GENERATE(as<std::string>{},
      // TE.TE: codings split over fields, or stacked
      "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip, chunked\r\n",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "Transfer-Encoding: chunked, chunked\r\n",
      // final coding not chunked
      "Transfer-Encoding: chunked, identity\r\n", "Transfer-Encoding: xchunked\r\n", "Transfer-Encoding: chunked;x=1\r\n",
      "Transfer-Encoding: identity\r\n", "Transfer-Encoding: \r\n", "Transfer-Encoding: chunk ed\r\n",
      // CL.TE and TE.CL
      "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
      "Transfer-Encoding: chunked, identity\r\nContent-Length: 5\r\n", "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n",
      // bad lengths
      "Content-Length: +5\r\n", "Content-Length: -1\r\n", "Content-Length: 5 5\r\n", "Content-Length: 0x5\r\n",
      "Content-Length: 5, 6\r\n", "Content-Length: 5\r\nContent-Length: 6\r\n", "Content-Length: \r\n",
      "Content-Length: 99999999999999999999999\r\n",
      // a space before the colon: no field name may have one
      "Transfer-Encoding : chunked\r\n", "Content-Length : 5\r\n");
  INFO(fields);
  const parsed p(request(fields));
  CHECK(p.refused());
  if (!p.parse_error) CHECK((p.framing.reject_status == 400 || p.framing.reject_status == 501));
}

TEST_CASE("Transfer-Encoding in an HTTP/1.0 request is refused", "[unit]") {
  const parsed p(request("Transfer-Encoding: chunked\r\n", "1.0"));
  CHECK(p.refused());
}

TEST_CASE("clear request framing is read as written", "[unit]") {
  using kind = request_framing::kind;
  struct example {
    std::string fields;
    kind body;
    std::uint64_t length;
  };
  const auto e = GENERATE(values<example>({
      {"", kind::none, 0},
      {"Content-Length: 0\r\n", kind::length, 0},
      {"Content-Length: 5\r\n", kind::length, 5},
      {"Content-Length: 007\r\n", kind::length, 7},
      {"Content-Length:  5 \r\n", kind::length, 5},
      {"Content-Length: 5\r\nContent-Length: 5\r\n", kind::length, 5},
      {"Content-Length: 5, 5\r\n", kind::length, 5},
      {"Transfer-Encoding: chunked\r\n", kind::chunked, 0},
      {"Transfer-Encoding:\tchunked\t\r\n", kind::chunked, 0},
      {"Transfer-Encoding: CHUNKED\r\n", kind::chunked, 0},
      {"Transfer-Encoding: , chunked\r\n", kind::chunked, 0},
  }));
  INFO(e.fields);
  const parsed p(request(e.fields));
  REQUIRE_FALSE(p.refused());
  CHECK(p.framing.body == e.body);
  CHECK(p.framing.length == e.length);
}

TEST_CASE("the app gets liveproxy's framing fields, never the client's or look-alikes", "[unit]") {
  SECTION("a length is restated in one normalized field") {
    parsed p(request("Content-Length: 007\r\nContent_Length: 99\r\ntransfer_encoding: chunked\r\nX-Keep: 1\r\n"));
    REQUIRE_FALSE(p.refused());
    auto& req = p.parser.get();
    write_request_framing(req, p.framing);
    std::string out;
    serialize_header(req, out);
    CHECK(out == "POST /submit HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Keep: 1\r\nContent-Length: 7\r\n\r\n");
  }
  SECTION("a chunked body is restated as exactly chunked") {
    parsed p(request("transfer-encoding:  Chunked \r\nTRANSFER_ENCODING: gzip\r\n"));
    REQUIRE_FALSE(p.refused());
    auto& req = p.parser.get();
    write_request_framing(req, p.framing);
    std::string out;
    serialize_header(req, out);
    CHECK(out == "POST /submit HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  }
  SECTION("no body: no framing field at all") {
    parsed p(request("Content-length_: 3\r\n"));
    REQUIRE_FALSE(p.refused());
    auto& req = p.parser.get();
    write_request_framing(req, p.framing);
    CHECK(req.find(http::field::content_length) == req.end());
    CHECK(req.find(http::field::transfer_encoding) == req.end());
  }
}

TEST_CASE("framing look-alike names are recognised", "[unit]") {
  CHECK(looks_like_framing_field("Transfer_Encoding"));
  CHECK(looks_like_framing_field("content_length"));
  CHECK(looks_like_framing_field("CONTENT-LENGTH"));
  CHECK_FALSE(looks_like_framing_field("Content-Lengths"));
  CHECK_FALSE(looks_like_framing_field("Content_Type"));
}
