// Process control: the whole app tree goes on restart and exit, even setsid() escapees, even when
// liveproxy is killed with SIGKILL; manual restarts (rs, POST); exit status; --restart-on-crash; --fd.
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/proc_tree.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <csignal>
#include <filesystem>
#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

process_options in_dir(const temp_dir& dir) {
  process_options o;
  o.cwd = dir.path();
  return o;
}

std::vector<std::string> proxy_args(const temp_dir& dir, std::vector<std::string> extra, std::vector<std::string> cmd) {
  // --verbose: these tests follow each run by its number and PID.
  std::vector<std::string> args = {"--port", "0", "--verbose", "--watch", dir.path().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("--");
  args.insert(args.end(), cmd.begin(), cmd.end());
  return args;
}

bool all_gone(const std::vector<pid_t>& pids) {
  for (pid_t p : pids)
    if (!process_is_gone(p)) return false;
  return true;
}

std::size_t count(const std::string& hay, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) ++n;
  return n;
}

/// An app that serves its pid and leaves a setsid() grandchild behind (out of its process group).
constexpr std::string_view escaping_app = R"py(import http.server, os, subprocess, sys
marker = sys.argv[1]
pid = os.fork()
if pid == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", marker])
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        body = str(os.getpid()).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
)py";

/// The app's processes (Python), leaving out liveproxy and its guard, whose command lines name them too.
std::vector<pid_t> python_processes(std::string_view needle) {
  std::vector<pid_t> out;
  for (pid_t p : processes_with_cmdline(needle))
    if (cmdline_of(p).starts_with("/usr/bin/python3")) out.push_back(p);
  return out;
}

pid_t served_pid(unsigned short port) {
  const auto r = http_get(port, "/", {}, 10s);
  return r.status == 200 ? static_cast<pid_t>(std::stol(r.body)) : 0;
}

}  // namespace

TEST_CASE("runserver with its own reloader: no process left after a restart or after kill -9 of liveproxy",
          "[integration][supervision]") {
  temp_dir dir;
  std::filesystem::copy(std::filesystem::path(LIVEPROXY_SOURCE_DIR) / "examples" / "django", dir.path(),
                        std::filesystem::copy_options::recursive);
  const std::string manage = (dir / "manage.py").string();
  liveproxy_process proxy(proxy_args(dir, {}, {"/usr/bin/python3", manage, "runserver", "127.0.0.1:{port}"}),
                          in_dir(dir));
  REQUIRE(wait_until([&] { return http_get(proxy.port(), "/", {}, 5s).status == 200; }, 20s));
  const auto first = python_processes(manage);
  INFO("first run: " << first.size() << " processes");
  REQUIRE(first.size() >= 2);  // the reloader and its server child

  const auto mark = proxy.proc().output().size();
  http_client c(proxy.port());
  CHECK(c.request(boost::beast::http::verb::post, "/__liveproxy/restart").status == 202);
  REQUIRE(proxy.proc().wait_for_output("app ready on port", 20s, mark));
  CHECK(wait_until([&] { return all_gone(first); }, 5s));
  const auto second = python_processes(manage);
  REQUIRE(second.size() >= 2);

  proxy.proc().signal(SIGKILL);
  REQUIRE(proxy.proc().wait_exit(5s));
  CHECK(wait_until([&] { return processes_with_cmdline(manage).empty(); }, 8s));
}

TEST_CASE("processes that left the app's group with setsid() are stopped too", "[integration][supervision]") {
  temp_dir dir;
  write_file(dir / "app.py", escaping_app);
  const std::string marker = "escapee-" + dir.path().filename().string();
  liveproxy_process proxy(proxy_args(dir, {}, {"/usr/bin/python3", "app.py", marker}), in_dir(dir));
  const pid_t app1 = [&] { pid_t p = 0; wait_until([&] { return (p = served_pid(proxy.port())) != 0; }, 10s); return p; }();
  REQUIRE(app1 != 0);
  REQUIRE(wait_until([&] { return python_processes(marker).size() == 2; }, 5s));  // app + escapee
  const auto first = python_processes(marker);

  // A restart leaves nothing of the first run.
  const auto mark = proxy.proc().output().size();
  write_file(dir / "app.py", std::string(escaping_app) + "\n# edited\n");
  REQUIRE(proxy.proc().wait_for_output("app ready on port", 10s, mark));
  CHECK(wait_until([&] { return all_gone(first); }, 5s));
  CHECK(served_pid(proxy.port()) != app1);

  // kill -9 of liveproxy: the guard stops the second run's tree, escapee included.
  REQUIRE(wait_until([&] { return python_processes(marker).size() == 2; }, 5s));
  proxy.proc().signal(SIGKILL);
  REQUIRE(proxy.proc().wait_exit(5s));
  CHECK(wait_until([&] { return processes_with_cmdline(marker).empty(); }, 8s));
}

TEST_CASE("typing rs + Enter in a terminal restarts the app", "[integration][supervision]") {
  temp_dir dir;
  write_file(dir / "app.py", escaping_app);
  pty_process proxy({LIVEPROXY_BINARY, "--port", "0", "--verbose", "--watch", dir.path().string(), "--", "/usr/bin/python3",
                     "app.py", "rs-" + dir.path().filename().string()},
                    dir.path());
  REQUIRE(proxy.wait_for_output("rs + Enter restarts it", 10s));
  REQUIRE(proxy.wait_for_output("app ready on port", 10s));
  const auto mark = proxy.output().size();
  proxy.type("rs\n");
  REQUIRE(proxy.wait_for_output("rs typed → restart…", 5s, mark));
  CHECK(proxy.wait_for_output("starting app (run 2", 10s, mark));
  CHECK(proxy.wait_for_output("app ready on port", 10s, mark));
}

TEST_CASE("POST /__liveproxy/restart restarts the app - other sites and methods may not", "[integration][supervision]") {
  temp_dir dir;
  write_file(dir / "app.py", escaping_app);
  liveproxy_process proxy(proxy_args(dir, {}, {"/usr/bin/python3", "app.py", "post-" + dir.path().filename().string()}),
                          in_dir(dir));
  pid_t app1 = 0;
  REQUIRE(wait_until([&] { return (app1 = served_pid(proxy.port())) != 0; }, 10s));
  using boost::beast::http::verb;
  {
    http_client c(proxy.port());
    const auto evil = c.request(verb::post, "/__liveproxy/restart",
                                {{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}});
    CHECK(evil.status == 403);
  }
  {
    http_client c(proxy.port());
    CHECK(c.request(verb::post, "/__liveproxy/restart", {{"Sec-Fetch-Site", "cross-site"}}).status == 403);
  }
  {
    http_client c(proxy.port());
    CHECK(c.get("/__liveproxy/restart").status == 405);
    CHECK(c.request(verb::post, "/__liveproxy/restart", {{"Host", "evil.example"}}).status == 403);
  }
  CHECK(served_pid(proxy.port()) == app1);
  http_client c(proxy.port());
  const auto ok = c.request(verb::post, "/__liveproxy/restart",
                            {{"Origin", proxy.url()}, {"Sec-Fetch-Site", "same-origin"}});
  CHECK(ok.status == 202);
  // The next request is held through the restart and answered by the new run.
  pid_t app2 = 0;
  CHECK(wait_until([&] { return (app2 = served_pid(proxy.port())) != 0 && app2 != app1; }, 10s));
}

TEST_CASE("exit status: the app's own status when it had crashed - 0 when stopped on request",
          "[integration][supervision]") {
  temp_dir dir;
  liveproxy_process crashed(proxy_args(dir, {}, {"/usr/bin/python3", "-c", "import sys; sys.exit(3)"}),
                            in_dir(dir));
  REQUIRE(crashed.proc().wait_for_output("exited with status 3", 10s));
  crashed.proc().signal(SIGTERM);
  auto st = crashed.proc().wait_exit(10s);
  REQUIRE(st);
  CHECK(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 3);

  liveproxy_process killed(proxy_args(dir, {}, {"/usr/bin/python3", "-c", "import os; os.kill(os.getpid(), 11)"}),
                           in_dir(dir));
  REQUIRE(killed.proc().wait_for_output("killed by signal 11", 10s));
  killed.proc().signal(SIGINT);
  st = killed.proc().wait_exit(10s);
  REQUIRE(st);
  CHECK(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 128 + 11);
}

TEST_CASE("restart on crash: a crashing app is restarted with growing delays", "[integration][supervision]") {
  temp_dir dir;
  liveproxy_process proxy(proxy_args(dir, {"--restart-on-crash"},
                                     {"/usr/bin/python3", "-c", "import sys; print('dying'); sys.exit(1)"}),
                          in_dir(dir));
  REQUIRE(proxy.proc().wait_for_output("restarting it in 0.5 s", 10s));
  REQUIRE(proxy.proc().wait_for_output("restarting it in 1 s", 10s));
  REQUIRE(proxy.proc().wait_for_output("restarting it in 2 s", 10s));
  const auto page = http_get(proxy.port(), "/", {{"Accept", "text/html"}}, 5s);
  CHECK(page.status == 502);
  CHECK(page.body.find("--restart-on-crash") != std::string::npos);
  CHECK(count(proxy.proc().output(), "starting app (run") >= 3);
}

TEST_CASE("fd mode: gunicorn gets its listening socket and requests wait through a restart",
          "[integration][supervision]") {
  if (!std::filesystem::exists("/usr/bin/gunicorn")) {
    WARN("Debian's gunicorn is not installed: skipped");
    return;
  }
  temp_dir dir;
  write_file(dir / "wsgi_app.py",
             "import os\n"
             "def application(environ, start_response):\n"
             "    body = ('pid=%d fds=%s' % (os.getpid(), os.environ.get('LISTEN_FDS', '-'))).encode()\n"
             "    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])\n"
             "    return [body]\n");
  liveproxy_process proxy(proxy_args(dir, {"--fd"},
                                     {"/usr/bin/gunicorn", "--bind", "fd://{fd}", "--workers", "1", "wsgi_app:application"}),
                          in_dir(dir));
  REQUIRE(proxy.proc().wait_for_output("socket handed over", 10s));
  const auto first = http_get(proxy.port(), "/", {}, 15s);
  REQUIRE(first.ok());
  CHECK(first.status == 200);
  CHECK(first.body.find("pid=") == 0);

  const auto mark = proxy.proc().output().size();
  write_file(dir / "wsgi_app.py", read_file(dir / "wsgi_app.py") + "# edited\n");
  REQUIRE(proxy.proc().wait_for_output("wsgi_app.py → restart…", 10s, mark));
  // Sent during the restart: waits (at the gate or in the socket's backlog), then the new run answers.
  const auto during = http_get(proxy.port(), "/", {}, 15s);
  REQUIRE(during.ok());
  CHECK(during.status == 200);
  CHECK(during.body != first.body);
  CHECK(proxy.proc().output().find("Connection in use") == std::string::npos);
}

TEST_CASE("fd mode: an app that does not accept on fd 3 gets the start-timeout page, and is served once it does",
          "[integration][supervision]") {
  temp_dir dir;
  temp_dir state;
  // Serves fd 3 only once the file "go" exists (a slow start, or an app not using the socket at all).
  write_file(dir / "late_app.py",
             "import http.server, os, socket, sys, time\n"
             "while not os.path.exists(sys.argv[1]):\n"
             "    time.sleep(0.05)\n"
             "class handler(http.server.BaseHTTPRequestHandler):\n"
             "    def do_GET(self):\n"
             "        self.send_response(200)\n"
             "        self.send_header('Content-Length', '5')\n"
             "        self.end_headers()\n"
             "        self.wfile.write(b'hello')\n"
             "    def log_message(self, *args):\n"
             "        pass\n"
             "server = http.server.HTTPServer(('127.0.0.1', 0), handler, bind_and_activate=False)\n"
             "server.socket = socket.socket(fileno=3)\n"
             "server.serve_forever()\n");
  const auto go = state / "go";
  liveproxy_process proxy(proxy_args(dir, {"--fd", "--start-timeout", "1"},
                                     {"/usr/bin/python3", "late_app.py", go.string()}),
                          in_dir(dir));
  const auto waiting = http_get(proxy.port(), "/", {{"Accept", "text/html"}}, 15s);
  INFO(waiting.error << waiting.body << proxy.proc().output());
  REQUIRE(waiting.ok());
  CHECK(waiting.status == 502);
  CHECK(waiting.body.find("did not accept connections on the socket handed over") != std::string::npos);
  CHECK(waiting.elapsed < 8s);

  write_file(go, "now");
  CHECK(wait_until([&] { return http_get(proxy.port(), "/", {}, 3s).body == "hello"; }, 15s, 100ms));
}
