// The reload socket accepts only loopback Hosts and same-origin or loopback Origins.
#include "support/http_client.hpp"
#include "support/script_tag.hpp"
#include "support/test_site.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

TEST_CASE("the reload socket accepts same-origin and loopback clients", "[integration][net]") {
  test_site site;
  const std::string port = std::to_string(site.port());
  const std::string origin = GENERATE_COPY(as<std::string>{}, "", "http://127.0.0.1:" + port,
                                           "http://localhost:" + port, "http://localhost:8000");
  INFO("Origin: " << origin);
  // A browser shows the token its page's tag carries.
  const auto token = token_in(http_get(site.port(), "/").body);
  REQUIRE(token.size() == 32);
  ws_options opts;
  opts.origin = origin;
  opts.target = "/__liveproxy/ws?token=" + token;
  ws_client ws(site.port(), opts);
  INFO(ws.error());
  REQUIRE(ws.connected());
  CHECK(ws.handshake_status() == 101);
  const auto hello = ws.read_json_message(5s);
  REQUIRE(hello);
  CHECK(hello->at("type") == "hello");
}

TEST_CASE("the reload socket refuses foreign Origins and Hosts", "[integration][net]") {
  test_site site;
  const std::string port = std::to_string(site.port());
  struct attempt {
    std::string host, origin;
  };
  const attempt a = GENERATE_COPY(values<attempt>({{"", "http://evil.example"},
                                                   {"", "http://192.168.1.10:" + port},
                                                   {"", "null"},
                                                   {"evil.example", ""},
                                                   {"evil.example:" + port, "http://evil.example:" + port}}));
  INFO("Host: " << (a.host.empty() ? "127.0.0.1:" + port : a.host) << ", Origin: " << a.origin);
  ws_options opts;
  opts.host = a.host;
  opts.origin = a.origin;
  ws_client ws(site.port(), opts);
  CHECK_FALSE(ws.connected());
  CHECK(ws.handshake_status() != 101);
  // Whatever it answered, no hello reaches a refused client.
  CHECK_FALSE(ws.read_message(1s));
}

TEST_CASE("a browser's socket needs this run's token from a page served through liveproxy", "[integration][net]") {
  test_site site;
  const std::string port = std::to_string(site.port());
  const auto token = token_in(http_get(site.port(), "/").body);
  REQUIRE(token.size() == 32);
  // Another page on this machine (another dev server's, loopback Origin) or a page of ours from before a
  // restart of liveproxy: no token, or not this run's.
  for (const std::string& target : std::vector<std::string>{"/__liveproxy/ws", "/__liveproxy/ws?token=",
                                                            "/__liveproxy/ws?token=" + token.substr(1),
                                                            "/__liveproxy/status", "/__liveproxy/ws?x=" + token}) {
    INFO(target);
    ws_options opts;
    opts.origin = "http://127.0.0.1:8080";
    opts.target = target;
    ws_client ws(site.port(), opts);
    CHECK(ws.handshake_status() == 403);
  }
  // A token of another run (a tab left open across a restart of liveproxy): told to reload, nothing else.
  ws_options stale_opts;
  stale_opts.origin = "http://127.0.0.1:" + port;
  stale_opts.target = "/__liveproxy/ws?token=0123456789abcdef0123456789abcdef";
  ws_client stale(site.port(), stale_opts);
  CHECK(stale.handshake_status() == 101);
  CHECK(stale.read_message(5s) == std::optional<std::string>(R"({"type":"stale"})"));
  CHECK_FALSE(stale.read_message(5s));  // closed
  ws_options with_token;
  with_token.origin = "http://127.0.0.1:" + port;
  with_token.target = "/__liveproxy/ws?v=1&token=" + token;
  ws_client ok(site.port(), with_token);
  CHECK(ok.handshake_status() == 101);
  // LiveReload's socket keeps its protocol (no token), with the Origin rules.
  ws_options lr;
  lr.origin = "http://127.0.0.1:8080";
  lr.target = "/livereload";
  ws_client livereload(site.port(), lr);
  CHECK(livereload.handshake_status() == 101);
  // Each start has its own token.
  CHECK(token_in(http_get(site.port(), "/").body) == token);
}

TEST_CASE("a tab that sends too much on its socket is closed - the others keep theirs", "[integration][net]") {
  test_site site;
  ws_client calm(site.port());
  REQUIRE(calm.read_json_message(5s));  // hello
  SECTION("one message over 16 KiB") {
    ws_client big(site.port());
    REQUIRE(big.read_json_message(5s));
    big.send(std::string(20 * 1024, 'x'));
    CHECK_FALSE(big.read_message(5s));
    INFO(big.error());
    CHECK(!big.error().empty());
  }
  SECTION("a flood of small messages") {
    ws_client chatty(site.port());
    REQUIRE(chatty.read_json_message(5s));
    for (int i = 0; i < 200 && chatty.send("{\"command\":\"info\"}"); ++i) {
    }
    CHECK_FALSE(chatty.read_message(5s));
    INFO(chatty.error());
    CHECK(chatty.error().find("no message within") == std::string::npos);  // closed, not merely quiet
  }
  // The quiet tab still gets events.
  site.write("static/site.css", "body { color: maroon; }\n");
  const auto css = calm.read_json_message(10s);
  REQUIRE(css);
  CHECK(css->at("type") == "css");
}
