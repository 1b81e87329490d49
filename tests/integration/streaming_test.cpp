// Streaming fidelity: a streamed response reaches the browser piece by piece, large bodies arrive whole
// also when the browser reads slowly (the zero-copy relay then waits for it).
#include "support/http_client.hpp"
#include "support/raw_client.hpp"
#include "support/test_site.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

std::string pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 7) % 251);
  return out;
}

}  // namespace

TEST_CASE("a streamed response reaches the client event by event", "[integration][net]") {
  test_site site;
  raw_client client(site.port());
  REQUIRE(client.connected());
  REQUIRE(client.send("GET /stream?go=second HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"));
  // The app sends the second event only once the file below exists (or after 20 s): if the proxy held the
  // first event back until more data came, it would not be here within 5 s.
  const bool first = client.read_until("data: one", 5s);
  INFO("received so far: " << client.received());
  REQUIRE(first);
  CHECK(client.received().find("data: two") == std::string::npos);
  CHECK(client.received().find("text/event-stream") != std::string::npos);
  std::ofstream(site.state_dir() / "second") << "go";
  REQUIRE(client.read_until("data: two", 10s));
  // The chunked stream ends properly (the last chunk), so the connection can carry another request.
  REQUIRE(client.read_until("0\r\n\r\n", 5s));
}

TEST_CASE("a large body reaches a slowly reading client whole", "[integration][net]") {
  test_site site;
  constexpr std::size_t size = 4 * 1024 * 1024 + 3;
  raw_client client(site.port(), 16 * 1024);
  REQUIRE(client.connected());
  REQUIRE(client.send("GET /bytes?n=" + std::to_string(size) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  // Let the proxy fill our small window and wait on it, then read in small pieces.
  std::this_thread::sleep_for(300ms);
  REQUIRE(client.read_until("\r\n\r\n", 10s));
  const auto header_end = client.received().find("\r\n\r\n") + 4;
  CHECK(client.received().substr(0, header_end).find("Content-Length: " + std::to_string(size)) != std::string::npos);
  REQUIRE(client.read_at_least(header_end + size, 60s, 4096));
  CHECK(client.received().size() == header_end + size);
  CHECK(client.received().substr(header_end) == pattern(size));
}

TEST_CASE("large and small bodies alternate on one kept-alive connection", "[integration][net]") {
  test_site site;
  raw_client client(site.port());
  REQUIRE(client.connected());
  const std::size_t sizes[] = {300000, 10, 70000, 0, 16385, 5};
  // Pipelined: the proxy answers them in order, each body exactly as long as announced.
  for (const auto n : sizes)
    REQUIRE(client.send("GET /bytes?n=" + std::to_string(n) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  std::size_t pos = 0;
  for (const auto n : sizes) {
    std::size_t head_end;
    while ((head_end = client.received().find("\r\n\r\n", pos)) == std::string::npos)
      REQUIRE(client.read_at_least(client.received().size() + 1, 10s));
    const auto head = client.received().substr(pos, head_end - pos + 2);
    INFO("response header: " << head);
    CHECK(head.find("Content-Length: " + std::to_string(n) + "\r\n") != std::string::npos);
    const auto body_at = head_end + 4;
    REQUIRE(client.read_at_least(body_at + n, 10s));
    CHECK(client.received().substr(body_at, n) == pattern(n));
    pos = body_at + n;
  }
  // Nothing more arrives: no stray bytes of a body were left on the app connection or the pipe.
  CHECK_FALSE(client.read_at_least(pos + 1, 300ms));
  CHECK(client.received().size() == pos);
}

TEST_CASE("a client that leaves in the middle of a large body does not disturb the proxy", "[integration][net]") {
  test_site site;
  for (int round = 0; round < 3; ++round) {
    raw_client client(site.port(), 16 * 1024);
    REQUIRE(client.connected());
    REQUIRE(client.send("GET /bytes?n=8000000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    REQUIRE(client.read_at_least(100000, 10s));
  }  // each client closes with most of its body unsent: the proxy's writes then fail with EPIPE/ECONNRESET
  const auto res = http_get(site.port(), "/bytes?n=20000");
  INFO(res.error);
  REQUIRE(res.ok());
  CHECK(res.status == 200);
  CHECK(res.body == pattern(20000));
  CHECK_FALSE(site.proxy().proc().exited());
}
