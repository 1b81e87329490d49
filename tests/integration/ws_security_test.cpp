// The reload socket accepts only loopback Hosts and same-origin or loopback Origins.
#include "support/test_site.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

TEST_CASE("the reload socket accepts same-origin and loopback clients", "[integration][net]") {
  test_site site;
  const std::string port = std::to_string(site.port());
  const std::string origin = GENERATE_COPY(as<std::string>{}, "", "http://127.0.0.1:" + port,
                                           "http://localhost:" + port, "http://localhost:8000");
  INFO("Origin: " << origin);
  ws_options opts;
  opts.origin = origin;
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
