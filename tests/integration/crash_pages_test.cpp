// When the app fails: dies at start, never listens, crashes later, breaks its Django settings. Every
// request gets the error page at once; a fix brings the app back and reloads the tabs.
#include "support/http_client.hpp"
#include "support/text_count.hpp"
#include "support/liveproxy_process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <future>
#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

process_options in_dir(const temp_dir& dir) {
  process_options o;
  o.cwd = dir.path();
  return o;
}

const header_list html = {{"Accept", "text/html,application/xhtml+xml"}};

std::vector<std::string> proxy_args(const temp_dir& dir, std::vector<std::string> extra, std::vector<std::string> cmd) {
  // --verbose: these tests follow each run by its number and PID.
  std::vector<std::string> args = {"--port", "0", "--verbose", "--watch", dir.path().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("--");
  args.insert(args.end(), cmd.begin(), cmd.end());
  return args;
}

/// A small stdlib HTTP app that serves "alive" and, if CRASH is in its source, raises after 1 s.
constexpr std::string_view crashing_app = R"(import http.server, os, threading, time
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        body = b"alive"
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
srv = http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
print("serving", flush=True)
def crash_now():
    raise RuntimeError("crash-marker-" + "CRASH")
time.sleep(1)
if "CRASH" == "CRASH":
    crash_now()
while True: time.sleep(1)
)";

}  // namespace

TEST_CASE("an app that exits at start: held and new requests get a 502 page at once", "[integration][crash]") {
  temp_dir dir;
  liveproxy_process proxy(proxy_args(dir, {"--hold-timeout", "20"},
                                     {"/usr/bin/python3", "-c",
                                      "import sys, time; time.sleep(0.5); print('\\x1b[31mboom-marker-91\\x1b[0m <x>', "
                                      "file=sys.stderr, flush=True); sys.exit(4)"}),
                          in_dir(dir));
  // Sent while the app is still starting: held, then answered as soon as it dies.
  const auto held = http_get(proxy.port(), "/", html, 15s);
  REQUIRE(held.ok());
  CHECK(held.status == 502);
  CHECK(held.elapsed < 5s);
  CHECK(held.header("Content-Type").find("text/html") == 0);
  CHECK(held.body.find("boom-marker-91") != std::string::npos);
  CHECK(held.body.find("&lt;x&gt;") != std::string::npos);
  CHECK(held.body.find("<span class=\"ansi-fg1\">") != std::string::npos);
  CHECK(held.body.find("exited with status 4") != std::string::npos);
  CHECK(held.body.find("/__liveproxy/client.js") != std::string::npos);

  const auto again = http_get(proxy.port(), "/other", {{"Accept", "*/*"}}, 5s);
  REQUIRE(again.ok());
  CHECK(again.status == 502);
  CHECK(again.elapsed < 1s);
  CHECK(again.header("Content-Type").find("text/plain") == 0);
  CHECK(again.body.find("boom-marker-91") != std::string::npos);
  CHECK(again.body.find("\x1b") == std::string::npos);
  CHECK(proxy.proc().wait_for_output("waiting for a file change", 5s));
}

TEST_CASE("an app that never listens: the start-timeout page names the port and how it is passed",
          "[integration][crash]") {
  temp_dir dir;
  liveproxy_process proxy(proxy_args(dir, {"--start-timeout", "1", "--hold-timeout", "20"},
                                     {"/usr/bin/python3", "-c",
                                      "import time; print('listening-nowhere-77', flush=True); time.sleep(60)"}),
                          in_dir(dir));
  const auto res = http_get(proxy.port(), "/", html, 15s);
  REQUIRE(res.ok());
  CHECK(res.status == 502);
  CHECK(res.elapsed < 5s);  // the start timeout, not the hold timeout
  CHECK(res.body.find("did not start listening on port " + std::to_string(proxy.app_port())) != std::string::npos);
  CHECK(res.body.find("$PORT") != std::string::npos);
  CHECK(res.body.find("{port}") != std::string::npos);
  CHECK(res.body.find("listening-nowhere-77") != std::string::npos);
  CHECK(proxy.proc().wait_for_output("has not listened on 127.0.0.1:" + std::to_string(proxy.app_port()), 5s));
}

TEST_CASE("an app that crashes later: error page with its traceback - no restart loop - a fix brings it back",
          "[integration][crash]") {
  temp_dir dir;
  write_file(dir / "app.py", crashing_app);
  liveproxy_process proxy(proxy_args(dir, {}, {"/usr/bin/python3", "app.py"}), in_dir(dir));
  REQUIRE(wait_until([&] { return http_get(proxy.port(), "/", {}, 3s).body == "alive"; }, 10s));
  ws_client ws(proxy.port());
  REQUIRE(ws.connected());
  REQUIRE(ws.read_json_message(5s));  // hello

  REQUIRE(proxy.proc().wait_for_output("app exited with status 1", 10s));
  const auto page = http_get(proxy.port(), "/", html, 5s);
  CHECK(page.status == 502);
  CHECK(page.elapsed < 1s);
  CHECK(page.body.find("The app crashed") != std::string::npos);
  CHECK(page.body.find("crash-marker-CRASH") != std::string::npos);
  CHECK(page.body.find("app.py:12") != std::string::npos);  // crash_now(): the raise, as file:line
  // The tab is told to reload (it then shows the error page).
  const auto crash_msg = ws.read_json_message(5s);
  REQUIRE(crash_msg);
  CHECK(crash_msg->at("type") == "reload");

  // No restart loop: one run, and it stays that way until something changes.
  std::this_thread::sleep_for(1500ms);
  CHECK(count_of(proxy.proc().output(), "starting app (run") == 1);

  std::string fixed(crashing_app);
  fixed.replace(fixed.find("if \"CRASH\" == \"CRASH\""), 21, "if \"CRASH\" == \"fixed\"");
  const auto mark = proxy.proc().output().size();
  write_file(dir / "app.py", fixed);
  REQUIRE(proxy.proc().wait_for_output("app ready on port", 10s, mark));
  const auto back = ws.read_json_message(5s);
  REQUIRE(back);
  CHECK(back->at("type") == "reload");
  const auto ok = http_get(proxy.port(), "/", html, 5s);
  CHECK(ok.status == 200);
  CHECK(ok.body == "alive");
  CHECK(count_of(proxy.proc().output(), "starting app (run") == 2);
}

TEST_CASE("a file named in the traceback outside the watched dirs is watched too", "[integration][crash]") {
  temp_dir dir, lib;
  write_file(lib / "helper_mod.py", "def value():\n    raise ValueError('helper-broken')\n");
  write_file(dir / "app.py",
             "import sys, os, http.server\nsys.path.insert(0, " "'" + lib.path().string() + "'" +
                 ")\nimport helper_mod\nhelper_mod.value()\n"
                 "http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), http.server.SimpleHTTPRequestHandler)"
                 ".serve_forever()\n");
  liveproxy_process proxy(proxy_args(dir, {}, {"/usr/bin/python3", "app.py"}), in_dir(dir));
  REQUIRE(proxy.proc().wait_for_output("before it listened", 10s));
  const auto page = http_get(proxy.port(), "/", html, 5s);
  CHECK(page.status == 502);
  const std::string named = (lib / "helper_mod.py").string() + ":2";
  CHECK(page.body.find(named) != std::string::npos);

  const auto mark = proxy.proc().output().size();
  write_file(lib / "helper_mod.py", "def value():\n    return 1\n");
  REQUIRE(proxy.proc().wait_for_output("app ready on port", 10s, mark));
  CHECK(http_get(proxy.port(), "/", {}, 5s).status == 200);
}

TEST_CASE("Django: a syntax error in settings.py shows the error page - the fix reloads the tab",
          "[integration][crash]") {
  temp_dir dir;
  std::filesystem::copy(std::filesystem::path(LIVEPROXY_SOURCE_DIR) / "examples" / "django", dir.path(),
                        std::filesystem::copy_options::recursive);
  liveproxy_process proxy(proxy_args(dir, {},
                                     {"/usr/bin/python3", "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"}),
                          in_dir(dir));
  REQUIRE(wait_until([&] { return http_get(proxy.port(), "/", html, 5s).status == 200; }, 20s));
  ws_client ws(proxy.port());
  REQUIRE(ws.connected());
  REQUIRE(ws.read_json_message(5s));  // hello

  const auto settings = dir / "mysite" / "settings.py";
  const std::string good = read_file(settings);
  write_file(settings, good + "\nDEBUG = = True\n");
  REQUIRE(proxy.proc().wait_for_output("app exited with status 1", 20s));
  const auto page = http_get(proxy.port(), "/", html, 5s);
  CHECK(page.status == 502);
  CHECK(page.body.find("SyntaxError") != std::string::npos);
  CHECK(page.body.find("settings.py:") != std::string::npos);
  const auto crash_msg = ws.read_json_message(5s);
  REQUIRE(crash_msg);
  CHECK(crash_msg->at("type") == "reload");

  write_file(settings, good);
  const auto back = ws.read_json_message(20s);
  REQUIRE(back);
  CHECK(back->at("type") == "reload");
  const auto ok = http_get(proxy.port(), "/", html, 10s);
  CHECK(ok.status == 200);
  CHECK(ok.body.find("/__liveproxy/client.js") != std::string::npos);
}
