// Hub messages are JSON a browser can parse; Host/Origin rules keep other sites out.
#include "proxy/browser/event_json.hpp"
#include "proxy/browser/host_check.hpp"

#include <catch2/catch.hpp>
#include <simdjson.h>

using namespace liveproxy;

TEST_CASE("event messages are valid JSON with the documented fields", "[unit][protocol]") {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(simdjson::padded_string(event_json::css("/static/we\"ird\\name\n.css"))).get(doc) == simdjson::SUCCESS);
  std::string_view type, path;
  REQUIRE(doc["type"].get(type) == simdjson::SUCCESS);
  REQUIRE(doc["path"].get(path) == simdjson::SUCCESS);
  CHECK(type == "css");
  CHECK(path == "/static/we\"ird\\name\n.css");

  REQUIRE(parser.parse(simdjson::padded_string(event_json::hello("ab12", 7))).get(doc) == simdjson::SUCCESS);
  std::string_view instance;
  std::uint64_t generation = 0;
  REQUIRE(doc["instance"].get(instance) == simdjson::SUCCESS);
  REQUIRE(doc["generation"].get(generation) == simdjson::SUCCESS);
  CHECK(instance == "ab12");
  CHECK(generation == 7);
  CHECK(event_json::reload() == R"({"type":"reload"})");
}

// Found by tests/fuzz/livereload_protocol_fuzz.cpp: a file name that is not UTF-8 made an event that is not
// valid JSON, and a WebSocket text frame that is not UTF-8, which makes a browser drop the socket.
TEST_CASE("a path that is not UTF-8 still makes a valid JSON event", "[unit][protocol]") {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string latin1 = "/static/caf\xe9.css";
  REQUIRE(parser.parse(simdjson::padded_string(event_json::css(latin1))).get(doc) == simdjson::SUCCESS);
  std::string_view path;
  REQUIRE(doc["path"].get(path) == simdjson::SUCCESS);
  CHECK(path == "/static/caf\xef\xbf\xbd.css");  // U+FFFD for the stray byte
  // Valid UTF-8 passes through unchanged, four-byte sequences included.
  REQUIRE(parser.parse(simdjson::padded_string(event_json::css("/caf\xc3\xa9-\xf0\x9f\x98\x80.css"))).get(doc) == simdjson::SUCCESS);
  REQUIRE(doc["path"].get(path) == simdjson::SUCCESS);
  CHECK(path == "/caf\xc3\xa9-\xf0\x9f\x98\x80.css");
}

TEST_CASE("only loopback hosts reach our endpoints by default", "[unit][security]") {
  host_check hc;
  for (const char* ok : {"localhost:3000", "LOCALHOST", "127.0.0.1:3000", "127.1.2.3", "[::1]:3000", "app.localhost:3000", "localhost.:80"})
    CHECK(hc.host_allowed(ok));
  for (const char* bad : {"evil.example", "evil.example:3000", "127.0.0.1.evil.example", "localhost.evil.example", "", "[::2]", "10.0.0.1:3000"})
    CHECK_FALSE(hc.host_allowed(bad));
  host_check lan({"192.168.1.20"});
  CHECK(lan.host_allowed("192.168.1.20:3000"));
}

TEST_CASE("Origin must be same-origin or loopback", "[unit][security]") {
  host_check hc;
  CHECK(hc.origin_allowed("", "localhost:3000"));
  CHECK(hc.origin_allowed("http://localhost:3000", "localhost:3000"));
  CHECK(hc.origin_allowed("http://127.0.0.1:8000", "localhost:3000"));
  CHECK_FALSE(hc.origin_allowed("http://evil.example", "localhost:3000"));
  CHECK_FALSE(hc.origin_allowed("null", "localhost:3000"));
  CHECK_FALSE(hc.origin_allowed("file://", "localhost:3000"));
}

#include "proxy/browser/livereload_protocol.hpp"

TEST_CASE("LiveReload 7: hello handshake and reload commands", "[unit][protocol][livereload]") {
  CHECK(livereload::is_hello(
      R"({"command":"hello","protocols":["http://livereload.com/protocols/official-6","http://livereload.com/protocols/official-7"],"ver":"4.0.2"})"));
  CHECK_FALSE(livereload::is_hello(R"({"command":"hello","protocols":["http://livereload.com/protocols/official-6"]})"));
  CHECK_FALSE(livereload::is_hello(R"({"command":"info","url":"x"})"));
  CHECK_FALSE(livereload::is_hello("not json"));
  CHECK(livereload::hello() ==
        R"({"command":"hello","protocols":["http://livereload.com/protocols/official-7"],"serverName":"liveproxy"})");
  CHECK(livereload::translate(event_json::css("/static/a.css")) ==
        R"({"command":"reload","path":"/static/a.css","liveCSS":true,"liveImg":true})");
  CHECK(livereload::translate(event_json::reload()) == R"({"command":"reload","path":"","liveCSS":true,"liveImg":true})");
  CHECK_FALSE(livereload::translate(event_json::hello("x", 1)));
}
