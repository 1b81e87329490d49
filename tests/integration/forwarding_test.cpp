// Forwarding: Host preserved, X-Forwarded-* added, hop-by-hop headers dropped, bodies streamed, bad requests refused.
#include "support/flat_json.hpp"
#include "support/http_client.hpp"
#include "support/test_site.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

flat_json echoed_headers(unsigned short port, const header_list& headers) {
  const auto res = http_get(port, "/headers", headers);
  INFO(res.error << " status " << res.status << " body " << res.body);
  REQUIRE(res.ok());
  REQUIRE(res.status == 200);
  const auto parsed = parse_flat_json(res.body);
  REQUIRE(parsed);
  return *parsed;
}

std::string value_or_missing(const flat_json& headers, std::string_view name) {
  return find_ignoring_case(headers, name).value_or("<missing>");
}

}  // namespace

TEST_CASE("Host is preserved and X-Forwarded-* headers are added", "[integration][net]") {
  const std::string host = GENERATE(as<std::string>{}, "", "localhost:", "myapp.localhost:");
  test_site site;
  // "" means the client's default, 127.0.0.1:PORT.
  const std::string sent_host = (host.empty() ? "127.0.0.1:" : host) + std::to_string(site.port());
  INFO("Host: " << sent_host);
  header_list headers;
  if (!host.empty()) headers.emplace_back("Host", sent_host);

  const auto seen = echoed_headers(site.port(), headers);
  CHECK(value_or_missing(seen, "Host") == sent_host);
  CHECK(value_or_missing(seen, "X-Forwarded-For").find("127.0.0.1") != std::string::npos);
  CHECK(value_or_missing(seen, "X-Forwarded-Proto") == "http");
  CHECK(value_or_missing(seen, "X-Forwarded-Host") == sent_host);
}

TEST_CASE("hop-by-hop headers are dropped and end-to-end ones forwarded", "[integration][net]") {
  test_site site;
  const auto seen = echoed_headers(site.port(), {{"Connection", "keep-alive, X-Hop-Secret"},
                                                 {"X-Hop-Secret", "do not forward"},
                                                 {"Keep-Alive", "timeout=5"},
                                                 {"X-End-To-End", "forward me"},
                                                 {"Cookie", "session=\"quoted; value\""}});
  CHECK_FALSE(find_ignoring_case(seen, "X-Hop-Secret"));
  CHECK_FALSE(find_ignoring_case(seen, "Keep-Alive"));
  CHECK(value_or_missing(seen, "X-End-To-End") == "forward me");
  CHECK(value_or_missing(seen, "Cookie") == "session=\"quoted; value\"");
}

TEST_CASE("fields that frame or route a request are kept whatever Connection names", "[integration][net]") {
  test_site site;
  http_client client(site.port());
  const auto res = client.request(boost::beast::http::verb::post, "/echo",
                                  {{"Connection", "Host, Content-Length, Transfer-Encoding, X-Hop"},
                                   {"X-Hop", "dropped"}},
                                  "body-bytes");
  INFO(res.error);
  REQUIRE(res.ok());
  CHECK(res.status == 200);
  CHECK(res.body == "body-bytes");
  const auto seen = echoed_headers(site.port(), {{"Connection", "Host"}});
  CHECK(value_or_missing(seen, "Host") == "127.0.0.1:" + std::to_string(site.port()));
}

TEST_CASE("one client connection carries many requests", "[integration][net]") {
  test_site site;
  http_client client(site.port());
  const auto local = client.local_port();
  for (int i = 0; i < 5; ++i) {
    const auto res = client.get(i % 2 == 0 ? "/pid" : "/");
    INFO("request " << i << ": " << res.error);
    REQUIRE(res.ok());
    CHECK(res.status == 200);
    CHECK(res.keep_alive);
  }
  CHECK(client.is_open());
  CHECK(client.local_port() == local);
}

TEST_CASE("the proxy keeps its connection to the app alive between requests", "[integration][net]") {
  test_site site;
  http_client client(site.port());
  const auto first = client.get("/conn");
  const auto second = client.get("/conn");
  INFO(first.error << second.error);
  REQUIRE(first.status == 200);
  REQUIRE(second.status == 200);
  // Sequential requests: the app sees the same peer address, i.e. one reused upstream connection.
  CHECK(second.body == first.body);
}

TEST_CASE("request and response bodies are forwarded intact", "[integration][net]") {
  test_site site;
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7) % 26);
  http_client client(site.port());
  const auto res = client.request(boost::beast::http::verb::post, "/echo", {{"Content-Type", "application/octet-stream"}}, big);
  INFO(res.error);
  REQUIRE(res.ok());
  CHECK(res.status == 200);
  CHECK(res.body.size() == big.size());
  CHECK(res.body == big);
}

TEST_CASE("a malformed request line gets 400", "[integration][net]") {
  const std::string bad = GENERATE(as<std::string>{}, "this is not http\r\n\r\n", "GET / HTTP/9 9\r\nHost: x\r\n\r\n",
                                   "GET\r\n\r\n");
  test_site site;
  INFO("request: " << bad);
  http_client client(site.port(), 5s);
  REQUIRE(client.send_raw(bad));
  const auto res = client.read_response();
  INFO(res.error);
  REQUIRE(res.ok());
  CHECK(res.status == 400);
  // The proxy survives it.
  CHECK(http_get(site.port(), "/pid").status == 200);
}

TEST_CASE("{port} is replaced inside arguments and PORT is set for the app", "[integration][net]") {
  site_options opts;
  opts.command = {"/usr/bin/python3", "test_app.py", "--tag=p{port}x"};
  test_site site(opts);
  const auto res = http_get(site.port(), "/info");
  REQUIRE(res.ok());
  const auto info = parse_flat_json(res.body);
  REQUIRE(info);
  const std::string port = info->at("port_env");
  REQUIRE_FALSE(port.empty());
  CHECK(port != std::to_string(site.port()));
  CHECK(info->at("argv").find("\"--tag=p" + port + "x\"") != std::string::npos);
  if (site.proxy().app_port() != 0) CHECK(std::to_string(site.proxy().app_port()) == port);
  // The app runs in liveproxy's working directory.
  CHECK(info->at("cwd") == site.dir().string());
}
