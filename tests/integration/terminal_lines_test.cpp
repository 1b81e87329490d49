// What liveproxy says on the terminal: one line per action, the URL to open once the app answers, as much as
// --quiet and --verbose ask for, never colour off a terminal; --open and the Network URLs.
#include "support/http_client.hpp"
#include "support/proc_tree.hpp"
#include "support/temp_dir.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

site_options with(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env = {}) {
  site_options o;
  o.proxy_args = std::move(args);
  o.env = std::move(env);
  return o;
}

std::size_t count(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("each change is one timestamped line saying what was done - the URL to open comes once the app answers",
          "[integration][fs][net]") {
  test_site site;
  auto& out = site.proxy().proc();
  const std::string url = "http://127.0.0.1:" + std::to_string(site.port());
  // After the app's own start-up lines: the URL, and (no tab yet) where to open one.
  const auto open_at = out.wait_for_output("liveproxy: open " + url + "\n", 10s);
  REQUIRE(open_at);
  CHECK(out.output().find("  app | ") < *open_at);

  ws_client tab(site.port());
  REQUIRE(tab.connected());
  REQUIRE(tab.read_json_message(5s));  // hello
  auto mark = out.output().size();
  site.write("static/site.css", "body { color: olive; }\n");
  CHECK(out.wait_for_output(std::regex(R"(liveproxy: \d\d:\d\d:\d\d static/site\.css → css swap \(1 tab\)\n)"), 10s, mark));

  // A page change morphs the tab's page (or reloads it when a morph would be wrong): an update.
  mark = out.output().size();
  site.write("templates/index.html", "<html><head></head><body>new</body></html>\n");
  CHECK(out.wait_for_output(std::regex(R"(liveproxy: \d\d:\d\d:\d\d templates/index\.html → page update \(1 tab\)\n)"), 10s,
                            mark));

  mark = out.output().size();
  site.append("greeting.py", "\n# edited\n");
  const auto line = out.wait_for_output(
      std::regex(R"(liveproxy: \d\d:\d\d:\d\d greeting\.py → restarted in (\d+) ms \(app start (\d+) ms\), 1 tab reloaded)"),
      15s, mark);
  REQUIRE(line);
  CHECK(std::stoi(line->groups[1]) >= std::stoi(line->groups[2]));
  // The details are for --verbose.
  const auto after = out.output().substr(mark);
  CHECK(after.find("starting app (run") == std::string::npos);
  CHECK(after.find("app stopped in") == std::string::npos);
  CHECK(after.find("app ready on port") == std::string::npos);
  // Not a terminal: no colour codes anywhere.
  CHECK(out.output().find('\x1b') == std::string::npos);
  CHECK(count(out.output(), "liveproxy: open ") == 1);
}

TEST_CASE("a restart with requests held says how many were released", "[integration][fs][net]") {
  site_options slow;
  slow.start_delay_seconds = 0.6;
  test_site site(slow);
  auto& out = site.proxy().proc();
  const auto pid = site.app_pid();
  REQUIRE(pid);
  const auto mark = out.output().size();
  site.append("greeting.py", "\n# edited\n");
  // Once the old run is being stopped, two requests wait for the new one (which takes 0.6 s to listen).
  REQUIRE(wait_until([&] { return site.was_stopped(*pid); }, 10s));
  auto a = std::async(std::launch::async, [&] { return http_get(site.port(), "/greeting"); });
  auto b = std::async(std::launch::async, [&] { return http_get(site.port(), "/greeting"); });
  CHECK(a.get().status == 200);
  CHECK(b.get().status == 200);
  CHECK(out.wait_for_output(std::regex(R"(greeting\.py → restarted in \d+ ms \(app start \d+ ms\), 0 tabs reloaded, 2 held requests released)"), 10s, mark));
}

TEST_CASE("with no tab connected, liveproxy says once where to open one", "[integration][fs][net]") {
  test_site site;
  auto& out = site.proxy().proc();
  const std::string url = "http://127.0.0.1:" + std::to_string(site.port());
  const std::string notice = "liveproxy: no browser tab is connected: open " + url + " to see your changes live";
  site.write("static/site.css", "body { color: red; }\n");
  REQUIRE(out.wait_for_output(notice, 10s));
  const auto mark = out.output().size();
  site.write("static/site.css", "body { color: blue; }\n");
  REQUIRE(out.wait_for_output("css swap (0 tabs)", 10s, mark));
  CHECK(count(out.output(), notice) == 1);
}

TEST_CASE("how much is said: --quiet keeps warnings and the URL - --verbose adds the details", "[integration][fs][net]") {
  SECTION("quiet") {
    test_site site(with({"--quiet"}));
    auto& out = site.proxy().proc();
    REQUIRE(out.wait_for_output("liveproxy: open http://", 10s));
    site.append("greeting.py", "\n# edited\n");
    REQUIRE(wait_until([&] { return site.app_pid() && site.listening_pids().size() == 2; }, 15s));
    site.write("greeting.py", "raise SystemExit(3)\n");
    REQUIRE(out.wait_for_output("liveproxy: warning: app exited with status 3", 15s));
    CHECK(out.output().find("→") == std::string::npos);
    CHECK(out.output().find("watching ") == std::string::npos);
  }
  SECTION("verbose") {
    test_site site(with({"--verbose"}));
    auto& out = site.proxy().proc();
    const auto mark = out.output().size();
    site.append("greeting.py", "\n# edited\n");
    CHECK(out.wait_for_output("greeting.py → restart…", 10s, mark));
    CHECK(out.wait_for_output("starting app (run 2, pid", 10s, mark));
    CHECK(out.wait_for_output("app stopped in", 10s, mark));
    CHECK(out.wait_for_output("app ready on port", 10s, mark));
    CHECK(out.wait_for_output("greeting.py → restarted in", 10s, mark));
  }
}

TEST_CASE("with --open the page opens with $BROWSER once the app answers", "[integration][fs][net]") {
  temp_dir scratch("liveproxy-open");
  const auto opened = scratch.path() / "opened";
  const auto browser = scratch.path() / "fake-browser";
  std::ofstream(browser) << "#!/bin/sh\nprintf '%s\\n' \"$@\" > " << opened.string() << "\n";
  std::filesystem::permissions(browser, std::filesystem::perms::owner_all);
  test_site site(with({"--open"}, {{"BROWSER", browser.string()}}));
  REQUIRE(wait_until([&] { return std::filesystem::exists(opened) && std::filesystem::file_size(opened) > 0; }, 10s));
  std::ifstream in(opened);
  std::string line;
  std::getline(in, line);
  CHECK(line == "http://127.0.0.1:" + std::to_string(site.port()));
}

TEST_CASE("with --open but no browser to run says so and carries on", "[integration][fs][net]") {
  test_site site(with({"--open"}, {{"BROWSER", "no-such-browser-anywhere"}}));
  CHECK(site.proxy().proc().wait_for_output("--open: $BROWSER (no-such-browser-anywhere) is not a program", 10s));
  CHECK(http_get(site.port(), "/greeting").status == 200);
}

TEST_CASE("with --host 0.0.0.0 the machine's own addresses are printed as Network URLs that work",
          "[integration][fs][net]") {
  test_site site(with({"--host", "0.0.0.0"}));
  auto& out = site.proxy().proc();
  REQUIRE(out.wait_for_output("liveproxy: open http://", 10s));
  static const std::regex network(R"(liveproxy: network http://([0-9.]+):(\d+)\n)");
  const std::string text = out.output();
  std::size_t seen = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), network), end; it != end; ++it) {
    ++seen;
    INFO((*it)[0].str());
    CHECK(std::stoi((*it)[2].str()) == site.port());
    // Reached through that address, with that address as Host: the page loads (the address is an allowed
    // Host) and so does the reload socket.
    http_client c((*it)[1].str(), site.port());
    const auto res = c.get("/greeting");
    CHECK(res.status == 200);
  }
  WARN("network URLs printed: " << seen);
}

TEST_CASE("colour on a terminal, none when NO_COLOR is set", "[integration][fs][net]") {
  temp_dir dir("liveproxy-colour");
  write_file(dir / "index.html", "<!doctype html><title>x</title>\n");
  const std::vector<std::string> argv = {LIVEPROXY_BINARY, "--port", "0", "--serve", dir.path().string()};
  SECTION("a terminal") {
    pty_process tty(argv, dir.path(), {{"TERM", "xterm-256color"}, {"NO_COLOR", ""}});
    REQUIRE(tty.wait_for_output("open http://", 10s));
    // The URL to open in bold cyan.
    CHECK(tty.output().find("\x1b[1;36mopen http://") != std::string::npos);
  }
  SECTION("a terminal with NO_COLOR") {
    pty_process tty(argv, dir.path(), {{"TERM", "xterm-256color"}, {"NO_COLOR", "1"}});
    REQUIRE(tty.wait_for_output("open http://", 10s));
    CHECK(tty.output().find('\x1b') == std::string::npos);
  }
}
