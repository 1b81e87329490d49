// Several apps behind one front (issue 25) with the real parts: a Vite front end (npm, pinned in
// tests/browser/package.json) on / and a Django API (startproject) on /api/, with a side process, from the
// liveproxy.json of the issue; and the same with --route to a Django started by hand. Without a browser: what
// the page fetches reaches Django through the same origin, Vite's HMR socket opens through liveproxy's port, a
// front-end edit is Vite's alone, a Django view edit restarts only Django while / answers in milliseconds, and
// Ctrl-C stops every process. The browser test (tests/browser/apps_vite.test.mjs) shows the same in a tab.
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/proc_tree.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
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

const fs::path vite_bin = fs::path(LIVEPROXY_SOURCE_DIR) / "tests/browser/node_modules/.bin/vite";

constexpr std::string_view index_html = R"(<!doctype html>
<html><head><meta charset="utf-8"><title>apps</title></head>
<body><p id="msg"></p><p id="api">waiting</p><script type="module" src="/main.js"></script></body></html>
)";

constexpr std::string_view main_js = R"(import { msg } from './msg.js';
document.getElementById('msg').textContent = msg;
fetch('/api/hello').then((r) => r.text()).then((t) => { document.getElementById('api').textContent = t; });
)";

std::string views_py(std::string_view version) {
  return "import os\n\nfrom django.http import HttpResponse\n\n\ndef hello(request):\n"
         "    return HttpResponse(\"hello " + std::string(version) +
         " pid %d\" % os.getpid(), content_type=\"text/plain\")\n";
}

/// api/ (startproject's Django with /api/hello) and web/ (a Vite app, `npx vite` finding the pinned Vite in its
/// node_modules/.bin as an installed one would be found). Returns "" or what went wrong.
std::string make_project(const fs::path& dir) {
  if (!fs::exists(vite_bin)) return "no " + vite_bin.string() + ": run npm ci --prefix tests/browser";
  process made({"/usr/bin/python3", "-m", "django", "startproject", "api"}, {dir, {}, {}});
  if (const auto st = made.wait_exit(60s); !st || !WIFEXITED(*st) || WEXITSTATUS(*st) != 0)
    return "startproject failed: " + made.output();
  auto urls = read_file(dir / "api/api/urls.py");
  const std::string admin = "    path('admin/', admin.site.urls),\n";
  if (urls.find(admin) == std::string::npos) return "startproject wrote other urls:\n" + urls;
  urls.replace(urls.find(admin), admin.size(), admin + "    path('api/hello', views.hello),\n");
  urls.replace(urls.find("from django.urls import path\n"), 29, "from django.urls import path\n\nfrom . import views\n");
  write_file(dir / "api/api/urls.py", urls);
  write_file(dir / "api/api/views.py", views_py("v1"));
  write_file(dir / "web/package.json", R"({"name": "web", "private": true, "type": "module"})");
  write_file(dir / "web/index.html", index_html);
  write_file(dir / "web/main.js", main_js);
  write_file(dir / "web/msg.js", "export const msg = 'msg v1';\n");
  fs::create_directories(dir / "web/node_modules/.bin");
  fs::create_symlink(fs::canonical(vite_bin), dir / "web/node_modules/.bin/vite");
  return {};
}

process_options in_dir(const fs::path& dir) {
  process_options o;
  o.cwd = dir;
  o.env = {{"PYTHONDONTWRITEBYTECODE", "1"}, {"PYTHONUNBUFFERED", "1"}};
  return o;
}

/// The Django PID in "hello vN pid P", if the answer is a 200 from that version.
std::optional<pid_t> django_pid(const http_response& res, std::string_view version) {
  std::smatch m;
  if (res.status != 200 || !std::regex_search(res.body, m, std::regex("^hello " + std::string(version) + R"( pid (\d+)$)")))
    return std::nullopt;
  return static_cast<pid_t>(std::stol(m[1].str()));
}

/// The status.json row of one app: its PID and run, if it is running.
struct app_row {
  pid_t pid = 0;
  int run = 0;
};
std::optional<app_row> row_of(unsigned short port, const std::string& name) {
  const auto body = http_get(port, "/__liveproxy/status.json", {}, 5s).body;
  std::smatch m;
  if (!std::regex_search(body, m, std::regex("\"name\":\"" + name + R"(","state":"running","pid":(\d+),"run":(\d+))")))
    return std::nullopt;
  return app_row{static_cast<pid_t>(std::stol(m[1].str())), std::stoi(m[2].str())};
}

/// Vite's page through liveproxy: Vite's client and liveproxy's script both in it.
bool vite_page(const http_response& res) {
  return res.status == 200 && res.body.find("/@vite/client") != std::string::npos &&
         res.body.find("/__liveproxy/client.js") != std::string::npos;
}

/// Vite's HMR socket opened through liveproxy's port, as /@vite/client opens it (its token, its subprotocol):
/// the first message is Vite's {"type":"connected"}; "" or what went wrong.
std::string vite_socket_problem(unsigned short port) {
  const auto client = http_get(port, "/@vite/client", {}, 10s);
  std::smatch m;
  if (!std::regex_search(client.body, m, std::regex(R"re(const wsToken = "([^"]+)")re")))
    return "no wsToken in /@vite/client (HTTP " + std::to_string(client.status) + ")";
  ws_options o;
  o.target = "/?token=" + m[1].str();
  o.protocol = "vite-hmr";
  ws_client ws(port, o);
  if (!ws.connected()) return ws.error();
  const auto first = ws.read_message(10s);
  if (!first || first->find("\"connected\"") == std::string::npos) return "Vite said " + first.value_or("nothing");
  return {};
}

/// / answered again and again while `busy` runs: each answer's time; `all_vite` is false if one was not Vite's page.
template <typename Future>
std::vector<std::chrono::milliseconds> answers_meanwhile(unsigned short port, Future& busy, bool& all_vite) {
  std::vector<std::chrono::milliseconds> times;
  all_vite = true;
  while (busy.wait_for(20ms) == std::future_status::timeout && times.size() < 300) {
    const auto res = http_get(port, "/", {}, 5s);
    all_vite = all_vite && vite_page(res);
    times.push_back(res.elapsed);
  }
  std::sort(times.begin(), times.end());
  return times;
}

/// Every process still alive among pids.
std::vector<pid_t> alive(const std::vector<pid_t>& pids) {
  std::vector<pid_t> out;
  for (const auto p : pids)
    if (!process_is_gone(p)) out.push_back(p);
  return out;
}

struct kill_at_exit {
  std::vector<pid_t> pids;
  ~kill_at_exit() {
    for (const auto pid : alive(pids)) ::kill(pid, SIGKILL);
  }
};

constexpr std::string_view apps_json = R"json({
  "apps": {
    "api": {"command": ["/usr/bin/python3", "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"], "cwd": "api",
            "routes": ["/api/", "/admin/", "/static/"]},
    "web": {"command": ["npx", "vite", "--port", "{port}", "--strictPort"], "cwd": "web", "routes": ["/"]},
    "css": {"command": ["/usr/bin/python3", "-c", "import os, time; print('css up', os.getpid(), flush=True); time.sleep(3600)"]}
  }
}
)json";

}  // namespace

TEST_CASE("apps with a real Vite on / and a real Django on /api/: one origin, Vite's HMR socket, only Django restarts",
          "[integration][net][fs][vite]") {
  temp_dir dir("liveproxy-vite");
  const auto problem = make_project(dir.path());
  INFO(problem);
  REQUIRE(problem.empty());
  write_file(dir / "liveproxy.json", apps_json);
  liveproxy_process proxy({"--port", "0"}, in_dir(dir.path()), 20s);
  kill_at_exit leftovers;
  const auto port = proxy.port();
  REQUIRE(wait_until([&] { return vite_page(http_get(port, "/", {}, 5s)); }, 60s, 100ms));
  std::optional<pid_t> django;
  REQUIRE(wait_until([&] { return (django = django_pid(http_get(port, "/api/hello", {}, 5s), "v1")).has_value(); },
                     60s, 100ms));
  const auto web = row_of(port, "web");
  const auto css = proxy.proc().wait_for_output(std::regex(R"(css \| css up (\d+))"), 20s);
  INFO(proxy.proc().output());
  REQUIRE(web);
  REQUIRE(css);
  const auto everything = descendants_of(proxy.proc().pid());
  leftovers.pids = everything;

  // What the page fetches goes through the same origin: Vite serves the module, Django answers /api/, and
  // Django's admin (another of api's routes) is Django's too.
  CHECK(http_get(port, "/main.js", {}, 10s).body.find("fetch('/api/hello')") != std::string::npos);
  CHECK(http_get(port, "/admin/login/", {}, 10s).body.find("Django") != std::string::npos);
  // Vite's own socket opens through liveproxy's port.
  CHECK(vite_socket_problem(port).empty());

  SECTION("a front-end edit is Vite's: no app restarts and liveproxy sends the tabs nothing") {
    ws_client tab(port);
    REQUIRE(tab.connected());
    const auto hello = tab.read_json_message(5s);
    REQUIRE(hello);
    CHECK(hello->at("type") == "hello");
    write_file(dir / "web/msg.js", "export const msg = 'msg v2';\n");
    CHECK(wait_until([&] { return http_get(port, "/msg.js", {}, 5s).body.find("msg v2") != std::string::npos; }, 10s));
    // liveproxy's settle time plus a reload would have come well within this.
    const auto message = tab.read_message(2500ms);
    CHECK(message.value_or("none") == "none");
    CHECK(row_of(port, "web")->run == 1);
    CHECK(django_pid(http_get(port, "/api/hello", {}, 5s), "v1") == django);
  }

  SECTION("a Django view edit restarts only Django, holds only /api/, and / keeps answering") {
    write_file(dir / "api/api/views.py", views_py("v2"));
    REQUIRE(wait_until([&] { return process_is_gone(*django); }, 20s, 2ms));
    // Sent while Django is down: held, then answered by the new Django.
    auto held = std::async(std::launch::async, [&] { return http_get(port, "/api/hello", {}, 30s); });
    bool all_vite = false;
    const auto times = answers_meanwhile(port, held, all_vite);
    const auto after = held.get();
    const auto median = times.empty() ? 0ms : times[times.size() / 2];
    INFO("/ during Django's restart: " << times.size() << " answers, median " << median.count() << " ms, slowest "
                                       << (times.empty() ? 0 : times.back().count()) << " ms");
    CHECK(all_vite);
    CHECK(median < (LIVEPROXY_SANITIZED ? 5 : 1) * 150ms);
    const auto new_django = django_pid(after, "v2");
    REQUIRE(new_django);
    leftovers.pids.push_back(*new_django);
    CHECK(*new_django != *django);
    // Vite kept its process and its first run; the side process too.
    const auto web_after = row_of(port, "web");
    REQUIRE(web_after);
    CHECK(web_after->pid == web->pid);
    CHECK(web_after->run == 1);
    CHECK_FALSE(process_is_gone(static_cast<pid_t>(std::stol(css->groups[1]))));
  }

  // Ctrl-C stops all three, with everything they started (npx's node, Django's process).
  const auto before_stop = descendants_of(proxy.proc().pid());
  leftovers.pids.insert(leftovers.pids.end(), before_stop.begin(), before_stop.end());
  CHECK(before_stop.size() >= 3);
  proxy.proc().signal(SIGINT);
  const auto status = proxy.proc().wait_exit(20s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(wait_until([&] { return alive(before_stop).empty(); }, 5s));
}

TEST_CASE("apps: --route /api/=URL sends /api/ to a Django started by hand beside a Vite liveproxy runs",
          "[integration][net][fs][vite]") {
  temp_dir dir("liveproxy-vite-route");
  const auto problem = make_project(dir.path());
  INFO(problem);
  REQUIRE(problem.empty());
  unsigned short django_port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    django_port = a.local_endpoint().port();
  }
  process django({"/usr/bin/python3", "manage.py", "runserver", "--noreload", "127.0.0.1:" + std::to_string(django_port)},
                 in_dir(dir / "api"));
  liveproxy_process proxy(
      {"--port", "0", "--route", "/api/=http://127.0.0.1:" + std::to_string(django_port), "--", "npx", "vite", "--port",
       "{port}", "--strictPort"},
      in_dir(dir / "web"), 20s);
  kill_at_exit leftovers;
  const auto port = proxy.port();
  REQUIRE(wait_until([&] { return vite_page(http_get(port, "/", {}, 5s)); }, 60s, 100ms));
  std::optional<pid_t> pid;
  INFO(proxy.proc().output());
  REQUIRE(wait_until([&] { return (pid = django_pid(http_get(port, "/api/hello", {}, 5s), "v1")).has_value(); }, 60s,
                     100ms));
  CHECK(*pid == django.pid());
  CHECK(vite_socket_problem(port).empty());
  leftovers.pids = descendants_of(proxy.proc().pid());
  proxy.proc().signal(SIGINT);
  REQUIRE(proxy.proc().wait_exit(20s));
  CHECK(wait_until([&] { return alive(leftovers.pids).empty(); }, 5s));
  // Stopping liveproxy left the hand-started Django alone.
  CHECK_FALSE(process_is_gone(django.pid()));
}
