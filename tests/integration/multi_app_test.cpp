// Several apps behind one front (issue 25): "apps" in liveproxy.json and --route, with real Python servers.
// Each path goes to the app whose route prefix it starts with, a code edit restarts only the app it belongs to
// while the others keep answering, side processes run with their output named, one app's crash is its routes'
// alone, and Ctrl-C stops them all.
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <future>
#include <optional>
#include <regex>
#include <string>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// Answers "/" with an HTML page naming its PID (so liveproxy injects its script), anything else with
/// "web:" and the path.
constexpr std::string_view web_py = R"src(import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path == "/":
            body = ("<html><head></head><body>web PID %d</body></html>" % os.getpid()).encode()
            kind = "text/html; charset=utf-8"
        else:
            body = ("web:" + self.path).encode()
            kind = "text/plain"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H)
print(f"web listening on {os.environ['PORT']}", flush=True)  # one write: a line cut in two could have liveproxy's between
srv.serve_forever()
)src";

/// Sleeps a second before it listens (a restart leaves a wide window with nothing listening), then answers
/// "api v1 PID <pid> path <path>".
constexpr std::string_view api_py = R"src(import http.server, os, time
VERSION = "v1"
time.sleep(1)
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        body = ("api %s PID %d path %s" % (VERSION, os.getpid(), self.path)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H)
print(f"api listening on {os.environ['PORT']}", flush=True)
srv.serve_forever()
)src";

constexpr std::string_view apps_json = R"src({
  "apps": {
    "web": {"command": ["/usr/bin/python3", "web.py"], "routes": ["/"]},
    "api": {"command": ["/usr/bin/python3", "api.py"], "cwd": "api", "routes": ["/api/"]},
    "side": {"command": ["/usr/bin/python3", "-c", "import time,os; print('side up', os.getpid(), flush=True); time.sleep(3600)"]}
  }
}
)src";

/// web.py and api/api.py in dir, and with `config`, the liveproxy.json above.
void write_project(const temp_dir& dir, bool config) {
  write_file(dir / "web.py", web_py);
  write_file(dir / "api/api.py", api_py);
  if (config) write_file(dir / "liveproxy.json", apps_json);
}

process_options in_dir(const fs::path& dir) {
  process_options o;
  o.cwd = dir;
  o.env = {{"PYTHONDONTWRITEBYTECODE", "1"}, {"PYTHONUNBUFFERED", "1"}};
  return o;
}

/// A port nothing listens on now (bound to 0 and released).
unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

/// The PID a response names after `who` ("web PID 123", "api v1 PID 123"), if it is a 200 from that app.
std::optional<pid_t> pid_of(const http_response& res, const std::string& who) {
  if (!res.ok() || res.status != 200) return std::nullopt;
  const std::regex re(who + R"([^<]*? PID (\d+))");
  std::smatch m;
  if (!std::regex_search(res.body, m, re)) return std::nullopt;
  return static_cast<pid_t>(std::stol(m[1].str()));
}

/// Waits until target answers 200 from `who`; its PID, or nullopt at the deadline.
std::optional<pid_t> wait_for_app(unsigned short port, std::string_view target, const std::string& who,
                                  std::chrono::milliseconds timeout = 20s) {
  std::optional<pid_t> pid;
  wait_until([&] { return (pid = pid_of(http_get(port, target, {}, 3s), who)).has_value(); }, timeout, 50ms);
  return pid;
}

/// The apps liveproxy started are in process groups of their own: whatever a failed test leaves of them is
/// killed by PID when it ends.
struct kill_at_exit {
  std::vector<pid_t> pids;
  ~kill_at_exit() {
    for (const auto pid : pids)
      if (pid > 0 && !process_is_gone(pid)) ::kill(pid, SIGKILL);
  }
};

/// liveproxy with the project's liveproxy.json, its three apps up: web and api answering, side printing.
struct running_apps {
  temp_dir dir{"liveproxy-apps"};
  std::optional<liveproxy_process> proxy;
  pid_t web = 0, api = 0, side = 0;
  kill_at_exit leftovers;

  running_apps() {
    write_project(dir, true);
    proxy.emplace(std::vector<std::string>{"--port", "0"}, in_dir(dir.path()));
    const auto w = wait_for_app(port(), "/", "web");
    const auto a = wait_for_app(port(), "/api/", "api");
    static const std::regex side_up(R"(side \| side up (\d+))");
    const auto s = proxy->proc().wait_for_output(side_up, 10s);
    if (w) leftovers.pids.push_back(web = *w);
    if (a) leftovers.pids.push_back(api = *a);
    if (s) leftovers.pids.push_back(side = static_cast<pid_t>(std::stol(s->groups[1])));
  }
  unsigned short port() const { return proxy->port(); }
  process& proc() { return proxy->proc(); }
};

}  // namespace

TEST_CASE("apps: each path goes to the app whose route it starts with", "[integration][net][fs]") {
  running_apps apps;
  REQUIRE(apps.web);
  REQUIRE(apps.api);
  const auto page = http_get(apps.port(), "/", {}, 5s);
  CHECK(page.status == 200);
  CHECK(pid_of(page, "web") == apps.web);
  // The main app's pages get the reload script.
  CHECK(page.body.find("/__liveproxy/client.js") != std::string::npos);

  // The path is forwarded as it came: the prefix is not stripped, the query is kept.
  const auto api = http_get(apps.port(), "/api/x?y=1", {}, 5s);
  CHECK(api.status == 200);
  CHECK(api.body == "api v1 PID " + std::to_string(apps.api) + " path /api/x?y=1");
  CHECK(http_get(apps.port(), "/api/", {}, 5s).body == "api v1 PID " + std::to_string(apps.api) + " path /api/");

  // "/api/" is not a prefix of "/apix", nor of "/ap": those are the main app's.
  CHECK(http_get(apps.port(), "/apix", {}, 5s).body == "web:/apix");
  CHECK(http_get(apps.port(), "/apix/y", {}, 5s).body == "web:/apix/y");
  CHECK(http_get(apps.port(), "/other/api/", {}, 5s).body == "web:/other/api/");

  // One keep-alive connection may go to both apps in turn.
  http_client kept(apps.port());
  CHECK(kept.get("/api/one").body.find("path /api/one") != std::string::npos);
  CHECK(kept.get("/two").body == "web:/two");
  CHECK(kept.get("/api/three").body.find("path /api/three") != std::string::npos);
}

TEST_CASE("apps: editing one app's code restarts only that app while the others keep answering",
          "[integration][net][fs]") {
  running_apps apps;
  REQUIRE(apps.web);
  REQUIRE(apps.api);
  const auto api_before = apps.api;

  auto code = read_file(apps.dir / "api/api.py");
  code.replace(code.find("\"v1\""), 4, "\"v2\"");
  write_file(apps.dir / "api/api.py", code);

  // Sent right after the edit: answered at once by the same web process.
  const auto right_after = http_get(apps.port(), "/", {}, 5s);
  CHECK(right_after.status == 200);
  CHECK(right_after.elapsed < (LIVEPROXY_SANITIZED ? 5 : 1) * 500ms);
  CHECK(pid_of(right_after, "web") == apps.web);

  // The old api is stopped; the new one sleeps a second before it listens.
  REQUIRE(wait_until([&] { return process_is_gone(api_before); }, 15s, 5ms));
  // A request to /api/ now is held until the new api answers it.
  auto held = std::async(std::launch::async, [&] { return http_get(apps.port(), "/api/after", {}, 20s); });
  // Meanwhile / answers in milliseconds, again and again, from the same web process.
  // The issue asks for under 150 ms: the median is held to that; the slowest only to what a loaded two-core CI
  // machine running other tests beside this one allows (a scheduling hiccup is not a held request).
  std::vector<std::chrono::milliseconds> times;
  int answered = 0;
  bool all_from_web = true;
  while (held.wait_for(50ms) == std::future_status::timeout && answered < 200) {
    const auto res = http_get(apps.port(), "/", {}, 5s);
    if (res.status == 200) ++answered;
    all_from_web = all_from_web && pid_of(res, "web") == apps.web;
    times.push_back(res.elapsed);
  }
  std::sort(times.begin(), times.end());
  const auto slowest = times.empty() ? 0ms : times.back();
  const auto median = times.empty() ? 0ms : times[times.size() / 2];
  const auto after = held.get();
  INFO(apps.proc().output());
  INFO("/ during the restart: median " << median.count() << " ms, slowest " << slowest.count() << " ms, " << answered
                                       << " answered");
  CHECK(answered > 0);
  CHECK(all_from_web);
  CHECK(median < (LIVEPROXY_SANITIZED ? 5 : 1) * 150ms);
  CHECK(slowest < (LIVEPROXY_SANITIZED ? 5 : 1) * 1000ms);
  REQUIRE(after.status == 200);
  const auto api_after = pid_of(after, "api v2");
  REQUIRE(api_after);
  apps.leftovers.pids.push_back(*api_after);
  CHECK(*api_after != api_before);
  CHECK(after.body == "api v2 PID " + std::to_string(*api_after) + " path /api/after");

  // web was never restarted.
  CHECK(pid_of(http_get(apps.port(), "/", {}, 5s), "web") == apps.web);
  CHECK_FALSE(process_is_gone(apps.web));
  CHECK_FALSE(process_is_gone(apps.side));
  // Nor was the side process: it came up once.
  const auto out = apps.proc().output();
  const std::regex side_up(R"(\| side up \d+)");
  CHECK(std::distance(std::sregex_iterator(out.begin(), out.end(), side_up), std::sregex_iterator()) == 1);
}

TEST_CASE("apps: each app's output is prefixed with its name, and Ctrl-C stops all of them",
          "[integration][net][fs]") {
  running_apps apps;
  REQUIRE(apps.web);
  REQUIRE(apps.api);
  REQUIRE(apps.side);
  // "NAME | ", the names aligned however wide: the lines are the apps' own.
  CHECK(apps.proc().wait_for_output(std::regex(R"((^|\n) *side \| side up \d+)"), 5s));
  CHECK(apps.proc().wait_for_output(std::regex(R"((^|\n) *web \| web listening on \d+)"), 5s));
  CHECK(apps.proc().wait_for_output(std::regex(R"((^|\n) *api \| api listening on \d+)"), 5s));
  // Not the single app's name.
  CHECK(apps.proc().output().find("  app | ") == std::string::npos);

  apps.proc().signal(SIGINT);
  const auto status = apps.proc().wait_exit(15s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  if (WIFEXITED(*status)) CHECK(WEXITSTATUS(*status) == 0);
  CHECK(wait_until([&] { return process_is_gone(apps.web); }, 3s));
  CHECK(wait_until([&] { return process_is_gone(apps.api); }, 3s));
  CHECK(wait_until([&] { return process_is_gone(apps.side); }, 3s));
}

TEST_CASE("apps: --route sends a prefix to an app started by hand", "[integration][net][fs]") {
  temp_dir dir("liveproxy-route");
  write_project(dir, false);
  const auto api_port = free_port();
  auto api_opts = in_dir(dir / "api");
  api_opts.env.emplace_back("PORT", std::to_string(api_port));
  process api({"/usr/bin/python3", "api.py"}, api_opts);
  REQUIRE(api.wait_for_output("api listening on", 15s));

  liveproxy_process proxy({"--port", "0", "--route", "/api/=http://127.0.0.1:" + std::to_string(api_port), "--",
                           "/usr/bin/python3", "web.py"},
                          in_dir(dir.path()));
  const auto web = wait_for_app(proxy.port(), "/", "web");
  INFO(proxy.proc().output());
  REQUIRE(web);
  kill_at_exit leftovers{{*web}};
  const auto res = http_get(proxy.port(), "/api/x", {}, 10s);
  CHECK(res.status == 200);
  CHECK(res.body == "api v1 PID " + std::to_string(api.pid()) + " path /api/x");
  CHECK(http_get(proxy.port(), "/apix", {}, 5s).body == "web:/apix");
  CHECK(http_get(proxy.port(), "/x", {}, 5s).body == "web:/x");

  // Ctrl-C stops what liveproxy started, not the app started by hand.
  proxy.proc().signal(SIGINT);
  REQUIRE(proxy.proc().wait_exit(15s));
  CHECK(wait_until([&] { return process_is_gone(*web); }, 3s));
  CHECK_FALSE(process_is_gone(api.pid()));
}

TEST_CASE("apps: an app that dies gives its routes the error page while the others keep serving",
          "[integration][net][fs]") {
  running_apps apps;
  REQUIRE(apps.web);
  REQUIRE(apps.api);
  REQUIRE(::kill(apps.api, SIGKILL) == 0);
  REQUIRE(wait_until([&] { return process_is_gone(apps.api); }, 5s));

  const header_list html = {{"Accept", "text/html,application/xhtml+xml"}};
  http_response page;
  wait_until([&] { return (page = http_get(apps.port(), "/api/x", html, 10s)).status == 502; }, 10s, 50ms);
  INFO(apps.proc().output());
  INFO(page.status << " " << page.error << "\n" << page.body);
  CHECK(page.status == 502);
  CHECK(page.elapsed < 5s);
  // The page is about the api: it names it, and shows what it printed.
  CHECK(page.body.find("api crashed") != std::string::npos);
  CHECK(page.body.find("api listening on") != std::string::npos);

  // The main app is untouched and answers at once.
  const auto root = http_get(apps.port(), "/", {}, 5s);
  CHECK(root.status == 200);
  CHECK(root.elapsed < (LIVEPROXY_SANITIZED ? 5 : 1) * 500ms);
  CHECK(pid_of(root, "web") == apps.web);
  CHECK(http_get(apps.port(), "/apix", {}, 5s).body == "web:/apix");
  CHECK_FALSE(process_is_gone(apps.side));
}

TEST_CASE("apps: a side process that dies is started again, and the others never notice", "[integration][net][fs]") {
  running_apps apps;
  REQUIRE(apps.web);
  REQUIRE(apps.api);
  REQUIRE(apps.side);
  const auto mark = apps.proc().output().size();
  REQUIRE(::kill(apps.side, SIGKILL) == 0);
  const auto again = apps.proc().wait_for_output(std::regex(R"(side \| side up (\d+))"), 15s, mark);
  REQUIRE(again);
  const auto new_side = static_cast<pid_t>(std::stol(again->groups[1]));
  apps.leftovers.pids.push_back(new_side);
  CHECK(new_side != apps.side);
  CHECK_FALSE(process_is_gone(new_side));
  CHECK(pid_of(http_get(apps.port(), "/", {}, 5s), "web") == apps.web);
  CHECK(pid_of(http_get(apps.port(), "/api/", {}, 5s), "api") == apps.api);
}

/// An API that takes the socket liveproxy hands it (LISTEN_FDS) and says whether this process was preloaded.
constexpr std::string_view warm_api_py = R"src(import http.server, os, socket, sys
VERSION = "v1"
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        mods = getattr(sys.modules.get("_liveproxy_preload"), "modules", ())
        body = ("api %s PID %d fd=%s preloaded=%d" % (VERSION, os.getpid(), os.environ.get("LISTEN_FDS", "-"),
                                                      "http.server" in mods)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
class S(http.server.HTTPServer):
    def server_bind(self): pass
    def server_activate(self): pass
srv = S(("127.0.0.1", 0), H, bind_and_activate=False)
srv.socket = socket.socket(fileno=3)
srv.serve_forever()
)src";

TEST_CASE("apps: an app other than the main one restarts warm (preload) on the socket it is handed (fd)",
          "[integration][net][fs][preload]") {
  temp_dir dir{"liveproxy-apps"};
  write_file(dir / "web.py", web_py);
  write_file(dir / "api/api.py", warm_api_py);
  write_file(dir / "liveproxy.json", R"({"apps": {
    "web": {"command": ["/usr/bin/python3", "web.py"], "routes": ["/"]},
    "api": {"command": ["/usr/bin/python3", "api.py"], "cwd": "api", "routes": ["/api/"], "preload": true, "fd": true}
  }})");
  liveproxy_process proxy({"--port", "0", "--verbose"}, in_dir(dir.path()));
  kill_at_exit leftovers;
  const auto first = wait_for_app(proxy.port(), "/api/", "api v1");
  REQUIRE(first);
  leftovers.pids.push_back(*first);
  const auto before = http_get(proxy.port(), "/api/", {}, 5s).body;
  CHECK_THAT(before, Catch::Contains("fd=1"));
  // The warm interpreter for api's next run, announced once the first run is up.
  const auto spare = proxy.proc().wait_for_output(std::regex(R"(preloading the next run \(pid (\d+)\))"), 20s);
  INFO(proxy.proc().output());
  REQUIRE(spare);
  const auto spare_pid = static_cast<pid_t>(std::stol(spare->groups[1]));
  leftovers.pids.push_back(spare_pid);
  const auto web = wait_for_app(proxy.port(), "/", "web");
  REQUIRE(web);
  leftovers.pids.push_back(*web);

  auto code = read_file(dir / "api/api.py");
  code.replace(code.find("\"v1\""), 4, "\"v2\"");
  write_file(dir / "api/api.py", code);
  // The run serving the edit is that interpreter, with the library imported before it was asked to start, on
  // the same handed-over socket; web was left alone.
  const auto after = wait_for_app(proxy.port(), "/api/", "api v2");
  INFO(proxy.proc().output());
  REQUIRE(after);
  CHECK(*after == spare_pid);
  CHECK(http_get(proxy.port(), "/api/", {}, 5s).body ==
        "api v2 PID " + std::to_string(spare_pid) + " fd=1 preloaded=1");
  CHECK(pid_of(http_get(proxy.port(), "/", {}, 5s), "web") == web);
}

TEST_CASE("apps: status.json lists each app with its state, process and routes", "[integration][net][fs]") {
  running_apps apps;
  REQUIRE(apps.web);
  REQUIRE(apps.api);
  REQUIRE(apps.side);
  const auto status = http_get(apps.port(), "/__liveproxy/status.json", {}, 5s);
  REQUIRE(status.status == 200);
  INFO(status.body);
  const auto row = [&](const std::string& name, pid_t pid, const std::string& routes) {
    return std::regex_search(status.body, std::regex("\\{\"name\":\"" + name + "\",\"state\":\"running\",\"pid\":" +
                                                     std::to_string(pid) + ",\"run\":1,\"routes\":\"" + routes + "\""));
  };
  // The main app first, then the others in the file's order; a side process has no routes.
  CHECK(row("web", apps.web, "/"));
  CHECK(row("api", apps.api, "/api/"));
  CHECK(row("side", apps.side, ""));
  CHECK(status.body.find("\"name\":\"web\"") < status.body.find("\"name\":\"api\""));

  // After a restart of one app, its row says so.
  write_file(apps.dir / "api/api.py", std::string(api_py).replace(std::string(api_py).find("v1"), 2, "v2"));
  const bool restarted = wait_until(
      [&] {
        const auto s = http_get(apps.port(), "/__liveproxy/status.json", {}, 5s).body;
        return std::regex_search(s, std::regex(R"("name":"api","state":"running","pid":\d+,"run":2,.*"last":"restarted in \d+ ms)"));
      },
      20s, 100ms);
  CHECK(restarted);
}

TEST_CASE("apps: a Procfile.dev project starts with plain liveproxy, and init writes the same apps",
          "[integration][net][fs]") {
  temp_dir dir("liveproxy-procfile");
  write_project(dir, false);
  write_file(dir / "Procfile.dev", "# as bin/dev would run them\n"
                                   "web: /usr/bin/python3 web.py\n"
                                   "worker: /usr/bin/python3 -c \"import os, time; print('worker up', os.getpid(), "
                                   "flush=True); time.sleep(3600)\"\n");
  kill_at_exit leftovers;
  {
    liveproxy_process proxy({"--port", "0"}, in_dir(dir.path()));
    const auto web = wait_for_app(proxy.port(), "/", "web");
    REQUIRE(web);
    leftovers.pids.push_back(*web);
    const auto worker = proxy.proc().wait_for_output(std::regex(R"(worker \| worker up (\d+))"), 10s);
    REQUIRE(worker);
    leftovers.pids.push_back(static_cast<pid_t>(std::stol(worker->groups[1])));
    CHECK(proxy.proc().output().find("Procfile.dev: web (answers /), worker") != std::string::npos);
    // The worker is never sent a request: every path is web's.
    CHECK(http_get(proxy.port(), "/api/x", {}, 5s).body == "web:/api/x");
  }
  process init({LIVEPROXY_BINARY, "init"}, in_dir(dir.path()));
  REQUIRE(init.wait_exit(10s) == 0);
  const auto json = read_file(dir / "liveproxy.json");
  CHECK(json.find(R"("web": {"command": "/usr/bin/python3 web.py", "routes": ["/"]})") != std::string::npos);
  CHECK(json.find(R"("worker": {"command": "/usr/bin/python3 -c)") != std::string::npos);
  // What init wrote starts the same two apps.
  liveproxy_process again({"--port", "0"}, in_dir(dir.path()));
  const auto web = wait_for_app(again.port(), "/", "web");
  REQUIRE(web);
  leftovers.pids.push_back(*web);
  CHECK(again.proc().wait_for_output(std::regex(R"(worker \| worker up (\d+))"), 10s));
}
