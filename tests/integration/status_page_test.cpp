// The status page (/__liveproxy/): what it is served with, who may see it, and the live snapshot on its socket.
#include "support/http_client.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <simdjson.h>

#include <catch2/catch.hpp>

#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

/// The next status snapshot on the socket, parsed; the test fails if none comes.
simdjson::dom::element next_status(ws_client& ws, simdjson::dom::parser& parser) {
  const auto text = ws.read_message(10s);
  INFO("ws: " << ws.error());
  REQUIRE(text);
  simdjson::dom::element doc;
  REQUIRE(parser.parse(*text).get(doc) == simdjson::SUCCESS);
  REQUIRE(std::string_view(doc["type"]) == "status");
  return doc;
}

/// Reads snapshots until `pred` holds for one (or 10 s pass); that one is returned.
template <typename Pred>
std::optional<std::string> status_where(ws_client& ws, Pred pred) {
  simdjson::dom::parser parser;
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < until) {
    const auto text = ws.read_message(10s);
    if (!text) return std::nullopt;
    simdjson::dom::element doc;
    if (parser.parse(*text).get(doc) != simdjson::SUCCESS) continue;
    if (pred(doc)) return *text;
  }
  return std::nullopt;
}

std::string_view latest_field(simdjson::dom::element doc, const char* key) {
  simdjson::dom::array actions;
  if (doc["actions"].get(actions) != simdjson::SUCCESS || actions.size() == 0) return {};
  std::string_view v;
  return actions.at(0)[key].get(v) == simdjson::SUCCESS ? v : std::string_view{};
}

}  // namespace

TEST_CASE("the status page and its snapshot are served to allowed Hosts, with headers that keep other sites out",
          "[integration][net]") {
  test_site site;
  const auto page = http_get(site.port(), "/__liveproxy/");
  REQUIRE(page.status == 200);
  CHECK(std::string(page.headers["Content-Type"]).starts_with("text/html"));
  CHECK(page.body.find("/__liveproxy/status.js") != std::string::npos);
  CHECK(std::string(page.headers["Content-Security-Policy"]).find("frame-ancestors 'none'") != std::string::npos);
  CHECK(page.headers["Cross-Origin-Resource-Policy"] == "same-origin");
  CHECK(page.headers["Cache-Control"] == "no-store");
  CHECK(page.headers.find("Access-Control-Allow-Origin") == page.headers.end());
  // The page is ours: no script injected into it.
  CHECK(page.body.find("/__liveproxy/client.js") == std::string::npos);
  for (const char* asset : {"/__liveproxy/status.js", "/__liveproxy/status.css"}) {
    INFO(asset);
    const auto res = http_get(site.port(), asset);
    CHECK(res.status == 200);
    CHECK(res.headers["Cross-Origin-Resource-Policy"] == "same-origin");
  }

  // The injected client too; LiveReload's /livereload.js is loaded by pages of other ports by design.
  CHECK(http_get(site.port(), "/__liveproxy/client.js").headers["Cross-Origin-Resource-Policy"] == "same-origin");
  CHECK(http_get(site.port(), "/livereload.js").headers["Cross-Origin-Resource-Policy"] == "cross-origin");

  const auto json = http_get(site.port(), "/__liveproxy/status.json");
  REQUIRE(json.status == 200);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json.body).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["mode"]) == "command");
  CHECK(std::string_view(doc["app"]["state"]) == "running");
  CHECK(int64_t(doc["app"]["pid"]) == *site.app_pid());
  CHECK(int64_t(doc["app"]["run"]) == 1);
  CHECK(std::string_view(doc["app"]["command"]).find("test_app.py") != std::string_view::npos);
  CHECK(std::string_view(doc["watch"]["backend"]) == "inotify");
  simdjson::dom::array roots = doc["watch"]["roots"];
  REQUIRE(roots.size() == 1);
  // test_app.py, greeting.py, the template, the stylesheet, ... but nothing ignored (__pycache__).
  CHECK(int64_t(roots.at(0)["files"]) >= 4);

  // A rebinding Host sees none of it, nor its socket.
  for (const char* target : {"/__liveproxy/", "/__liveproxy/status.json", "/__liveproxy/status.js"}) {
    INFO(target);
    const auto foreign = http_get(site.port(), target, {{"Host", "evil.example"}});
    CHECK(foreign.status == 403);
    CHECK(foreign.body.find("test_app") == std::string::npos);
  }
  ws_options opts;
  opts.target = "/__liveproxy/status";
  opts.origin = "http://evil.example";
  ws_client evil(site.port(), opts);
  CHECK(evil.handshake_status() == 403);
}

TEST_CASE("the status page's socket sends the state at once and again after each change", "[integration][fs][net]") {
  test_site site;
  const auto first_pid = site.app_pid();
  REQUIRE(first_pid);
  ws_options opts;
  opts.target = "/__liveproxy/status";
  ws_client status(site.port(), opts);
  INFO(status.error());
  REQUIRE(status.connected());
  simdjson::dom::parser parser;
  const auto initial = next_status(status, parser);
  CHECK(std::string_view(initial["app"]["state"]) == "running");
  CHECK(int64_t(initial["tabs"]) == 0);

  // A tab connects: the status page is not counted as one, the tab is.
  ws_client tab(site.port());
  REQUIRE(tab.connected());
  site.write("static/site.css", "body { color: teal; }\n");
  const auto swapped = status_where(status, [](simdjson::dom::element d) {
    return latest_field(d, "action") == "css swap";
  });
  REQUIRE(swapped);
  CHECK(swapped->find("\"files\":\"static/site.css\"") != std::string::npos);
  CHECK(swapped->find("css swap (1 tab)") != std::string::npos);

  // A code change: "restart" under way, then its outcome, and a new run with a new PID.
  site.append("greeting.py", "\n# edited\n");
  const auto restarted = status_where(status, [](simdjson::dom::element d) {
    return latest_field(d, "action") == "restart" && latest_field(d, "outcome").starts_with("restarted in");
  });
  REQUIRE(restarted);
  CHECK(restarted->find("\"files\":\"greeting.py\"") != std::string::npos);
  CHECK(restarted->find("1 tab reloaded") != std::string::npos);
  CHECK(restarted->find("\"run\":2") != std::string::npos);
  const auto second_pid = site.app_pid();
  REQUIRE(second_pid);
  CHECK(*second_pid != *first_pid);
  CHECK(restarted->find("\"pid\":" + std::to_string(*second_pid)) != std::string::npos);
}

TEST_CASE("the status page shows the app's output as it comes, and its crash", "[integration][fs][net]") {
  test_site site;
  ws_options opts;
  opts.target = "/__liveproxy/status";
  ws_client status(site.port(), opts);
  REQUIRE(status.connected());
  site.write("greeting.py", "raise SystemExit('greeting is broken on purpose')\n");
  const auto crashed = status_where(status, [](simdjson::dom::element d) {
    return std::string_view(d["app"]["state"]) == "exited";
  });
  REQUIRE(crashed);
  CHECK(crashed->find("greeting is broken on purpose") != std::string::npos);
  CHECK(crashed->find("\"outcome\":\"failed: app exited with status 1") != std::string::npos);
}
