// HTTP details (issue 21, item 7): Host fields, absolute-form targets, HTTP/1.0 keep-alive, X-Forwarded-Host,
// the restart endpoint's origin rule, and connections to an app that writes bytes nobody asked for.
#include "support/http_client.hpp"
#include "support/raw_client.hpp"
#include "support/script_tag.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

/// The status line of what came back to raw bytes sent on a new connection.
std::string answer_to(unsigned short port, const std::string& request) {
  raw_client c(port);
  REQUIRE(c.send(request));
  c.read_until("\r\n\r\n", 5s);
  return c.received();
}

}  // namespace

TEST_CASE("two Host fields, or none in HTTP/1.1, are refused with 400", "[integration][http]") {
  test_site site;
  const auto host = "Host: 127.0.0.1:" + std::to_string(site.port()) + "\r\n";
  CHECK(answer_to(site.port(), "GET /pid HTTP/1.1\r\n" + host + host + "\r\n").starts_with("HTTP/1.1 400"));
  CHECK(answer_to(site.port(), "GET /pid HTTP/1.1\r\n" + host + "Host: evil.example\r\n\r\n").starts_with("HTTP/1.1 400"));
  CHECK(answer_to(site.port(), "GET /pid HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400"));
  // HTTP/1.0 needs none.
  CHECK(answer_to(site.port(), "GET /pid HTTP/1.0\r\n\r\n").starts_with("HTTP/1.1 200"));
  // Our own endpoints too: the first Host was checked, the app got both.
  CHECK(answer_to(site.port(), "GET /__liveproxy/status.json HTTP/1.1\r\n" + host + "Host: evil.example\r\n\r\n")
            .starts_with("HTTP/1.1 400"));
}

TEST_CASE("an absolute-form target goes on in origin-form, its host checked like any Host", "[integration][http]") {
  test_site site;
  const auto host = "Host: 127.0.0.1:" + std::to_string(site.port()) + "\r\n";
  // To the app: the path alone, and the host the target names.
  raw_client c(site.port());
  REQUIRE(c.send("GET http://evil.example/headers HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n"));
  REQUIRE(c.wait_closed(5s));
  INFO(c.received());
  CHECK(c.received().starts_with("HTTP/1.1 200"));
  CHECK(c.received().find("\"Host\": \"evil.example\"") != std::string::npos);
  // Our endpoints answer only allowed Hosts: the target's host is the one checked.
  CHECK(answer_to(site.port(), "GET http://evil.example/__liveproxy/status.json HTTP/1.1\r\n" + host + "\r\n")
            .starts_with("HTTP/1.1 403"));
  CHECK(answer_to(site.port(), "GET http://127.0.0.1:" + std::to_string(site.port()) +
                                   "/__liveproxy/status.json HTTP/1.1\r\nHost: evil.example\r\n\r\n")
            .starts_with("HTTP/1.1 200"));
  CHECK(answer_to(site.port(), "GET ftp://127.0.0.1/pid HTTP/1.1\r\n" + host + "\r\n").starts_with("HTTP/1.1 400"));
}

TEST_CASE("an HTTP/1.0 client asking for keep-alive is told so, and its connection kept", "[integration][http]") {
  test_site site;
  raw_client c(site.port());
  REQUIRE(c.send("GET /pid HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  REQUIRE(c.read_until("\r\n\r\n", 5s));
  const auto length_at = c.received().find("Content-Length: ");
  REQUIRE(length_at != std::string::npos);
  REQUIRE(c.read_at_least(c.received().find("\r\n\r\n") + 4 + std::stoul(c.received().substr(length_at + 16)), 5s));
  INFO(c.received());
  CHECK(c.received().find("Connection: keep-alive") != std::string::npos);
  CHECK(c.silent_for(300ms));  // not closed
  const auto first = c.received().size();
  REQUIRE(c.send("GET /pid HTTP/1.0\r\n\r\n"));
  REQUIRE(c.wait_closed(5s));  // no keep-alive asked: closed after it
  CHECK(c.received().substr(first).starts_with("HTTP/1.1 200"));
}

TEST_CASE("a client's X-Forwarded-Host is replaced by the Host it asked for", "[integration][http]") {
  test_site site;
  http_client c(site.port());
  const auto res = c.get("/headers", {{"X-Forwarded-Host", "attacker.example"}});
  REQUIRE(res.status == 200);
  CHECK(res.body.find("attacker.example") == std::string::npos);
  CHECK(res.body.find("\"X-Forwarded-Host\": \"127.0.0.1:" + std::to_string(site.port()) + "\"") != std::string::npos);
}

TEST_CASE("the restart endpoint takes the page's own origin or the token, not another local port", "[integration][http]") {
  test_site site;
  const auto own = "http://127.0.0.1:" + std::to_string(site.port());
  http_client c(site.port());
  // Another local server's page (no Sec-Fetch-Site: an older browser, or a script).
  CHECK(c.request(boost::beast::http::verb::post, "/__liveproxy/restart", {{"Origin", "http://127.0.0.1:8080"}})
            .status == 403);
  CHECK(http_client(site.port()).request(boost::beast::http::verb::post, "/__liveproxy/restart", {{"Origin", own}}).status ==
        202);
  const auto token = token_in(http_client(site.port()).get("/", {{"Accept", "text/html"}}).body);
  REQUIRE(token.size() == 32);
  CHECK(http_client(site.port())
            .request(boost::beast::http::verb::post, "/__liveproxy/restart",
                     {{"Origin", "http://127.0.0.1:8080"}, {"X-Liveproxy-Token", token}})
            .status == 202);
  // curl and scripts: no Origin.
  CHECK(http_client(site.port()).request(boost::beast::http::verb::post, "/__liveproxy/restart").status == 202);
}

TEST_CASE("an app that writes on an idle connection gets no reused connections: no answer goes to another request",
          "[integration][http]") {
  site_options opts;
  opts.command = {"/usr/bin/python3", "misbehaving_app.py", "{port}"};
  opts.wait_for_app = false;
  test_site site(opts);
  REQUIRE(wait_until([&] { return http_client(site.port()).get("/up").status == 200; }, 10s));
  // The first stray response arrives while the connection waits idle in the pool: it is dropped, and noted.
  REQUIRE(http_client(site.port()).get("/extra").body == "ok");
  std::this_thread::sleep_for(600ms);
  // From now on a request right after /extra (before its stray comes) goes on a fresh connection.
  for (int i = 0; i < 3; ++i) {
    http_client c(site.port());
    REQUIRE(c.get("/extra").body == "ok");
    const auto next = c.get("/next-" + std::to_string(i));
    CHECK(next.status == 200);
    CHECK(next.body == "/next-" + std::to_string(i));
  }
  CHECK(site.proxy().proc().output().find("no longer reuses connections") != std::string::npos);
}

TEST_CASE("an answer that says nothing of caching is revalidated, one that does keeps what it says",
          "[integration][http]") {
  // Without it, Chromium keeps a script heuristically fresh (a tenth of its age since Last-Modified): a reload
  // right after an edit ran the old one.
  test_site site;
  const auto plain = http_get(site.port(), "/static/site.css");
  REQUIRE(plain.status == 200);
  CHECK(plain.header("Cache-Control") == "no-cache");
  const auto cached = http_get(site.port(), "/cached");
  REQUIRE(cached.status == 200);
  CHECK(cached.header("Cache-Control") == "max-age=60");
}
