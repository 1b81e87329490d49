// Speculative restart: the app restarts at a burst's first code change instead of after the settle time, while
// requests and tabs wait for the settle time as before. A start that later changes overtake is replaced and
// never answers a request nor reloads a tab; a checkout of many files still ends in one run that serves.
#include "support/http_client.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <set>
#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

/// Reload messages that arrive within `window`.
int reloads_within(ws_client& ws, std::chrono::milliseconds window) {
  int n = 0;
  const auto until = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    const auto msg = ws.read_json_message(std::max(left, 1ms));
    if (msg && msg->count("type") && msg->at("type") == "reload") ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("a saved code file starts the new run at once, while requests still wait for the settle time",
          "[integration][fs][net][speculative]") {
  site_options o;
  o.proxy_args = {"--settle", "3000"};
  test_site site(o);
  const auto before = site.app_pid();
  REQUIRE(before);
  const auto edited = std::chrono::steady_clock::now();
  site.append("greeting.py", "\n# edited\n");
  // The new run is up long before the 3 s of settle time are over...
  REQUIRE(wait_until([&] { return site.listening_pids().size() == 2; }, 2500ms));
  auto held = std::async(std::launch::async, [&] { return http_get(site.port(), "/pid", {}, 20s); });
  CHECK(held.wait_for(200ms) == std::future_status::timeout);
  // ...but answers only once they are.
  const auto res = held.get();
  INFO(res.error);
  REQUIRE(res.status == 200);
  CHECK(std::chrono::steady_clock::now() - edited >= 2900ms);
  CHECK(res.body != std::to_string(*before));
  const auto pids = site.listening_pids();
  CHECK(std::find(pids.begin(), pids.end(), std::stoi(res.body)) != pids.end());
}

TEST_CASE("starts that later changes overtake never answer a request nor reload a tab",
          "[integration][fs][net][speculative]") {
  site_options o;
  o.proxy_args = {"--settle", "2000"};
  test_site site(o);
  REQUIRE(site.app_pid());
  ws_client ws(site.port());
  REQUIRE(ws.read_json_message(5s));  // hello
  const auto mark = site.proxy().proc().output().size();

  site.append("greeting.py", "\n# edit 1\n");
  REQUIRE(wait_until([&] { return site.listening_pids().size() == 2; }, 1800ms));
  auto held = std::async(std::launch::async, [&] { return http_get(site.port(), "/pid", {}, 30s); });
  site.append("greeting.py", "# edit 2\n");  // a second early start replaces the first
  REQUIRE(wait_until([&] { return site.listening_pids().size() == 3; }, 1800ms));
  const auto overtaken = site.listening_pids();
  site.append("greeting.py", "# edit 3\n");  // more: one last start once the changes settle
  const auto res = held.get();
  INFO(res.error);
  REQUIRE(res.status == 200);
  const pid_t served = std::stoi(res.body);
  CHECK(std::find(overtaken.begin(), overtaken.end(), served) == overtaken.end());
  CHECK(site.listening_pids().size() == 4);
  CHECK(http_get(site.port(), "/pid").body == res.body);
  CHECK(reloads_within(ws, 1500ms) == 1);
  const auto out = site.proxy().proc().output().substr(mark);
  INFO(out);
  CHECK(count_of(out, "restarted in") == 1);
}

TEST_CASE("a 2,000-file checkout ends in exactly one run that serves", "[integration][fs][net][speculative]") {
  test_site site;
  REQUIRE(site.app_pid());
  const auto mark = site.proxy().proc().output().size();
  std::future<http_response> held;
  for (int i = 0; i < 2000; ++i) {
    site.write("pkg/mod_" + std::to_string(i) + ".py", "VALUE = " + std::to_string(i) + "\n");
    // Half-way: the app was restarted at the first files, so this waits (a request sent with the very first
    // file could still reach the old run before its change is seen).
    if (i == 1000) held = std::async(std::launch::async, [&] { return http_get(site.port(), "/pid", {}, 30s); });
  }
  const auto res = held.get();
  INFO(res.error);
  REQUIRE(res.status == 200);
  // Every request from now on goes to that run: no other start is left.
  for (int i = 0; i < 5; ++i) CHECK(http_get(site.port(), "/pid").body == res.body);
  const auto pids = site.listening_pids();
  CHECK(pids.size() <= 4);  // the first run, at most two early starts, the one after the settle time
  CHECK(std::find(pids.begin(), pids.end(), std::stoi(res.body)) != pids.end());
  for (const pid_t p : pids)
    if (p != std::stoi(res.body)) CHECK(site.was_stopped(p));
  const auto out = site.proxy().proc().output().substr(mark);
  INFO(out);
  CHECK(count_of(out, "restarted in") == 1);
}

TEST_CASE("an early start for a file that turns out temporary is released, not left waiting",
          "[integration][fs][net][speculative]") {
  site_options o;
  o.proxy_args = {"--settle", "300", "--verbose"};
  test_site site(o);
  REQUIRE(site.app_pid());
  // An editor's temporary file: created (the app restarts at once), then gone before the settle time is over.
  site.write("tmp_1234.py", "x = 1\n");
  REQUIRE(site.proxy().proc().wait_for_output("code changed: restarting now", 5s));
  std::filesystem::remove(site.dir() / "tmp_1234.py");
  const auto res = http_get(site.port(), "/pid", {}, 10s);
  INFO(res.error);
  CHECK(res.status == 200);
  CHECK(site.proxy().proc().wait_for_output("temporary files only", 5s));
}

TEST_CASE("with --no-speculative-restart the app restarts only after the settle time",
          "[integration][fs][net][speculative]") {
  site_options o;
  o.proxy_args = {"--settle", "1500", "--no-speculative-restart"};
  test_site site(o);
  REQUIRE(site.app_pid());
  site.append("greeting.py", "\n# edited\n");
  // Nothing starts before the settle time is over.
  CHECK_FALSE(wait_until([&] { return site.listening_pids().size() == 2; }, 1000ms));
  CHECK(wait_until([&] { return site.listening_pids().size() == 2; }, 20s));
}
