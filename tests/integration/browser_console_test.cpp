// The pages' console in liveproxy's terminal: one escaped line per message over the reload socket (with its
// token), repeats counted, floods cut without closing the socket, kept on the status page, and off on request.
#include "support/http_client.hpp"
#include "support/text_count.hpp"
#include "support/script_tag.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

std::string console_json(const std::string& message, const std::string& level = "error") {
  return R"({"type":"console","level":")" + level + R"(","message":")" + message +
         R"(","source":"/static/app.js:3:9","path":"/cart"})";
}

ws_options tab_socket(test_site& site) {
  ws_options o;
  o.target = "/__liveproxy/ws?token=" + token_in(http_get(site.port(), "/", {{"Accept", "text/html"}}).body);
  o.origin = "http://127.0.0.1:" + std::to_string(site.port());
  return o;
}

}  // namespace

TEST_CASE("a page's console errors reach the terminal as one escaped line each, repeats counted",
          "[integration][console]") {
  test_site site;
  auto& out = site.proxy().proc();
  ws_client tab(site.port(), tab_socket(site));
  REQUIRE(tab.connected());
  REQUIRE(tab.read_json_message(5s));  // hello
  const auto mark = out.output().size();

  REQUIRE(tab.send(console_json("TypeError: x is undefined")));
  CHECK(out.wait_for_output("browser | /cart: TypeError: x is undefined (/static/app.js:3:9)\n", 5s, mark));
  REQUIRE(tab.send(console_json("deprecated call", "warn")));
  CHECK(out.wait_for_output("browser | /cart: deprecated call (/static/app.js:3:9)\n", 5s, mark));

  // Outside text cannot move the cursor or forge a line of ours.
  REQUIRE(tab.send(console_json(R"(\u001b[2J\nliveproxy: forged)")));
  CHECK(out.wait_for_output(R"(browser | /cart: \x1b[2J)", 5s, mark));
  CHECK(out.output().find("\x1b[2J", mark) == std::string::npos);
  CHECK(out.output().find("\nliveproxy: forged", mark) == std::string::npos);

  // The same message again and again: printed once, then counted.
  for (int i = 0; i < 5; ++i) REQUIRE(tab.send(console_json("same again")));
  CHECK(out.wait_for_output("browser | /cart: same again (/static/app.js:3:9) (the same 4 more times)\n", 15s, mark));
  CHECK(count_of(out.output().substr(mark), "same again") == 2);

  // A long message is cut: a few KiB a line at most.
  REQUIRE(tab.send(console_json(std::string(10'000, 'y'))));
  const auto long_at = out.wait_for_output("browser | /cart: yyyy", 5s, mark);
  REQUIRE(long_at);
  CHECK(out.output().find('\n', *long_at) - *long_at < 4096);

  // The status page keeps them.
  const auto status = http_get(site.port(), "/__liveproxy/status.json");
  CHECK(status.body.find(R"("console":[{)") != std::string::npos);
  CHECK(status.body.find("/cart: TypeError: x is undefined (/static/app.js:3:9)") != std::string::npos);
}

TEST_CASE("a flood of console messages is cut, the socket stays open, and the rest is counted",
          "[integration][console]") {
  test_site site;
  auto& out = site.proxy().proc();
  ws_client tab(site.port(), tab_socket(site));
  REQUIRE(tab.read_json_message(5s));
  const auto mark = out.output().size();
  for (int i = 0; i < 200; ++i) REQUIRE(tab.send(console_json("flood " + std::to_string(i))));
  CHECK(out.wait_for_output(std::regex(R"(browser \| 1\d\d more console messages in one second, not shown\n)"), 10s, mark));
  CHECK(count_of(out.output().substr(mark), "browser | /cart: flood") <= 20);
  // Still the tab's reload socket: a template edit reaches it.
  site.write("templates/index.html", "<html><head></head><body>after the flood</body></html>\n");
  std::optional<flat_json> msg;
  while ((msg = tab.read_json_message(10s)) && msg->at("type") != "reload") {
  }
  REQUIRE(msg);
  CHECK(msg->at("type") == "reload");
}

TEST_CASE("console messages need the page's token, and --no-browser-console turns them off",
          "[integration][console]") {
  SECTION("a socket without this run's token") {
    test_site site;
    auto& out = site.proxy().proc();
    ws_options o;
    o.target = "/__liveproxy/ws?token=00000000000000000000000000000000";
    o.origin = "http://127.0.0.1:" + std::to_string(site.port());  // a tab of an earlier run of liveproxy
    ws_client stale(site.port(), o);
    REQUIRE(stale.connected());
    const auto told = stale.read_json_message(5s);  // told to reload, to get this run's token
    REQUIRE(told);
    CHECK(told->at("type") == "stale");
    const auto mark = out.output().size();
    stale.send(console_json("from a stale tab"));
    ws_client tab(site.port(), tab_socket(site));
    REQUIRE(tab.read_json_message(5s));
    REQUIRE(tab.send(console_json("from this run's tab")));
    REQUIRE(out.wait_for_output("from this run's tab", 5s, mark));
    CHECK(out.output().find("from a stale tab", mark) == std::string::npos);
  }
  SECTION("--no-browser-console") {
    site_options so;
    so.proxy_args = {"--no-browser-console"};
    test_site site(so);
    auto& out = site.proxy().proc();
    ws_client tab(site.port(), tab_socket(site));
    REQUIRE(tab.read_json_message(5s));
    const auto mark = out.output().size();
    REQUIRE(tab.send(console_json("not wanted")));
    site.write("templates/index.html", "<html><head></head><body>edited</body></html>\n");
    REQUIRE(out.wait_for_output("templates/index.html", 10s, mark));  // later than the message, in the same loop
    CHECK(out.output().find("not wanted", mark) == std::string::npos);
    CHECK(http_get(site.port(), "/__liveproxy/status.json").body.find("not wanted") == std::string::npos);
  }
}
