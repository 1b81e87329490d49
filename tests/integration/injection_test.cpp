// HTML responses get the reload client script exactly once, with a correct Content-Length.
#include "support/http_client.hpp"
#include "support/script_tag.hpp"
#include "support/test_site.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;


TEST_CASE("HTML responses carry the script tag once and a correct Content-Length", "[integration][net]") {
  test_site site;
  const std::string original = read_file(site.dir() / "templates/index.html");

  SECTION("parsed response on a keep-alive connection") {
    http_client client(site.port());
    const auto res = client.get("/");
    INFO(res.error);
    REQUIRE(res.ok());
    CHECK(res.status == 200);
    CHECK(res.header("Content-Type").find("text/html") == 0);
    CHECK(count_injected(res.body) == 1);
    CHECK(res.header("Content-Length") == std::to_string(res.body.size()));
    // Nothing of the page is lost or changed besides the insertion.
    CHECK(without_injected(res.body) == original);
    // The script goes into the document, not before it or after it.
    CHECK(find_injected(res.body) > res.body.find("<html"));
    CHECK(find_injected(res.body) < res.body.rfind("</html>"));

    // A wrong Content-Length would desynchronise the next response on the same connection.
    const auto next = client.get("/pid");
    INFO(next.error);
    REQUIRE(next.ok());
    CHECK(next.status == 200);
    CHECK(next.body.find_first_not_of("0123456789") == std::string::npos);
  }

  SECTION("raw bytes until the server closes") {
    http_client client(site.port());
    REQUIRE(client.send_raw("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(site.port()) +
                            "\r\nConnection: close\r\n\r\n"));
    const std::string raw = client.read_until_close();
    const auto head_end = raw.find("\r\n\r\n");
    REQUIRE(head_end != std::string::npos);
    const std::string head = raw.substr(0, head_end);
    const std::string body = raw.substr(head_end + 4);
    INFO(head);
    CHECK(head.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(count_injected(body) == 1);
    const auto cl = head.find("\r\nContent-Length: ");
    const auto cl_lower = head.find("\r\ncontent-length: ");
    const auto at = cl != std::string::npos ? cl : cl_lower;
    REQUIRE(at != std::string::npos);
    const auto value_at = at + std::string("\r\nContent-Length: ").size();
    CHECK(std::stoul(head.substr(value_at, head.find("\r\n", value_at) - value_at)) == body.size());
  }
}

TEST_CASE("chunked HTML responses get the script tag once", "[integration][net]") {
  test_site site;
  http_client client(site.port());
  const auto res = client.get("/chunked-html");
  INFO(res.error);
  REQUIRE(res.ok());
  CHECK(res.status == 200);
  CHECK(count_injected(res.body) == 1);
  CHECK(without_injected(res.body) ==
        "<!doctype html><html><head><title>chunked</title></head><body><p>chunked body</p></body></html>");
  const auto next = client.get("/pid");
  CHECK(next.status == 200);
}

TEST_CASE("responses that are not HTML are passed through untouched", "[integration][net]") {
  test_site site;
  const auto css = http_get(site.port(), "/static/site.css");
  REQUIRE(css.ok());
  CHECK(css.status == 200);
  CHECK(css.body == read_file(site.dir() / "static/site.css"));
  CHECK(css.header("Content-Length") == std::to_string(css.body.size()));
  const auto json = http_get(site.port(), "/headers");
  REQUIRE(json.ok());
  CHECK(json.body.find("<script") == std::string::npos);
}

TEST_CASE("the proxy serves its client script as JavaScript", "[integration][net]") {
  test_site site;
  const auto res = http_get(site.port(), "/__liveproxy/client.js");
  INFO(res.error);
  REQUIRE(res.ok());
  CHECK(res.status == 200);
  CHECK(res.header("Content-Type").find("javascript") != std::string::npos);
  CHECK_FALSE(res.body.empty());
  CHECK(res.body.find("/__liveproxy/ws") != std::string::npos);

  // Loaded at the top of every page: a reload asks whether it changed, and gets a 304 on the same connection.
  const auto etag = res.header("ETag");
  REQUIRE_FALSE(etag.empty());
  CHECK(res.header("Cache-Control") == "no-cache");
  http_client browser(site.port());
  const auto again = browser.get("/__liveproxy/client.js", {{"If-None-Match", etag}});
  INFO(again.error);
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(again.header("ETag") == etag);
  CHECK(again.keep_alive);
  const auto other = browser.get("/__liveproxy/client.js", {{"If-None-Match", "\"older-1\""}});
  CHECK(other.status == 200);
  CHECK(other.body == res.body);
}
