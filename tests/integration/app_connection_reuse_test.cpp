// A kept-alive app connection carries the next browser's request only if nothing is waiting on it: bytes an
// app sends unasked (a second response, a body after a HEAD answer, more than its Content-Length) must never
// reach another browser as its answer.
#include "support/http_client.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

site_options misbehaving_app() {
  site_options opts;
  opts.command = {"/usr/bin/python3", "misbehaving_app.py", "{port}"};
  opts.wait_for_app = false;
  return opts;
}

void wait_ready(test_site& site) {
  REQUIRE(wait_until([&] { return http_get(site.port(), "/ready", {}, 2s).status == 200; }, 15s, 50ms));
}

std::size_t stray_writes(const test_site& site) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(site.state_dir()))
    n += e.path().filename().string().rfind("stray.", 0) == 0;
  return n;
}

}  // namespace

TEST_CASE("bytes an app sends unasked never become another request's response", "[integration][net]") {
  const std::string trigger = GENERATE(as<std::string>{}, "GET /extra", "HEAD /head-body", "GET /overlong");
  INFO("the app misbehaves on: " << trigger);
  test_site site(misbehaving_app());
  wait_ready(site);

  // Same browser connection for everything: the proxy's pooled app connection is what is under test.
  http_client browser(site.port());
  const auto space = trigger.find(' ');
  const auto method = trigger.substr(0, space) == "HEAD" ? boost::beast::http::verb::head : boost::beast::http::verb::get;
  const auto first = browser.request(method, trigger.substr(space + 1));
  INFO(first.error);
  REQUIRE(first.ok());
  CHECK(first.status == 200);
  // The stray bytes have left the app before the next request (the app records each write once done).
  REQUIRE(wait_until([&] { return stray_writes(site) == 1; }, 5s));

  for (const std::string path : {"/a", "/b", "/c"}) {
    const auto res = browser.get(path);
    INFO(path << ": " << res.error);
    REQUIRE(res.ok());
    CHECK(res.status == 200);
    CHECK(res.body == path);
  }
  // Other browsers get their own answers too.
  for (const std::string path : {"/d", "/e"}) CHECK(http_get(site.port(), path).body == path);
}
