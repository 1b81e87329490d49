// --preload: each restart takes a warm interpreter that imported the app's libraries while the previous run
// served. The tests check that the run serving after an edit is that process (announced before the edit) and
// that its libraries were imported before it was asked to start, not only that it is fast.
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <csignal>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_all(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

void replace_in(const fs::path& p, const std::string& from, const std::string& to) {
  std::string text = read_all(p);
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  write_all(p, text);
}

/// "key=value" lines of a plain-text answer.
using fields_t = std::map<std::string, std::string>;
std::map<std::string, std::string> fields(const std::string& body) {
  std::map<std::string, std::string> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);)
    if (const auto eq = line.find('='); eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  return out;
}

/// What `target` answers once `done` accepts it (asked every 20 ms, for at most 30 s); the last answer otherwise,
/// which the caller's checks then report.
template <typename Done>
fields_t fields_when(liveproxy_process& proxy, const std::string& target, Done done) {
  fields_t f;
  wait_until([&] { return done(f = fields(http_get(proxy.port(), target, {}, 10s).body)); }, 30s, 20ms);
  return f;
}

/// The pid of the next warm interpreter liveproxy announces after output offset `from` (--verbose).
std::string next_spare(liveproxy_process& proxy, std::size_t from, std::chrono::milliseconds timeout = 30s) {
  static const std::regex line(R"(preloading the next run \(pid (\d+)\))");
  const auto m = proxy.proc().wait_for_output(line, timeout, from);
  return m ? m->groups.at(1) : std::string();
}

// Reports what the preloader says about this process, in the Django example's views.
constexpr const char* django_view = R"PY(

VERSION = "one"


def preload(request):
    import sys
    from django.http import HttpResponse
    mods = getattr(sys.modules.get("_liveproxy_preload"), "modules", ())
    project = [m for m in mods if m.split(".")[0] == "mysite"]
    return HttpResponse("pid=%d\nversion=%s\npreloaded=%d\nmanagement=%d\nproject=%d\n" % (
        os.getpid(), VERSION, len(mods), "django.core.management" in mods, len(project)), content_type="text/plain")
)PY";

// A stdlib app whose library (fakelib, on PYTHONPATH, outside the project) says its version and whether it
// was preloaded. fakelib writes imported.<pid> into the state directory when a preloader imports it, and with
// the file "die" there it ends a preloader that imports it (as a C extension that cannot load outside the app
// would).
constexpr const char* small_app = R"PY(import http.server, os, sys
import fakelib
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        mods = getattr(sys.modules.get("_liveproxy_preload"), "modules", ())
        body = ("pid=%d\nlib=%s\npreloaded=%d\n" % (os.getpid(), fakelib.VERSION, "fakelib" in mods)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
if os.environ.get("LISTEN_FDS") == "1" and os.environ.get("LISTEN_PID") == str(os.getpid()):
    import socket
    class S(http.server.HTTPServer):
        def server_bind(self): pass
        def server_activate(self): pass
    srv = S(("127.0.0.1", 0), H, bind_and_activate=False)
    srv.socket = socket.socket(fileno=3)
else:
    srv = http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H)
srv.serve_forever()
# edits below
)PY";

constexpr const char* fake_lib = R"PY(import os, sys
VERSION = "a"
_state = os.environ["STATE_DIR"]
_preloading = hasattr(sys.modules["__main__"], "_liveproxy_preload")
if _preloading:
    if os.path.exists(os.path.join(_state, "die")):
        os._exit(3)
    open(os.path.join(_state, "imported.%d" % os.getpid()), "w").close()
)PY";

struct small_site {
  temp_dir root{"liveproxy-preload"};
  fs::path project = root.path() / "project";
  fs::path lib = root.path() / "lib";
  fs::path state = root.path() / "state";
  small_site() {
    fs::create_directories(project);
    fs::create_directories(lib);
    fs::create_directories(state);
    write_all(project / "app.py", small_app);
    write_all(lib / "fakelib.py", fake_lib);
    // An installed library is old: one written just now would count as changed while it was being preloaded.
    fs::last_write_time(lib / "fakelib.py", fs::file_time_type::clock::now() - 1h);
  }
  process_options options() const {
    process_options o;
    o.cwd = project;
    o.env = {{"PYTHONPATH", lib.string()}, {"STATE_DIR", state.string()}, {"PYTHONDONTWRITEBYTECODE", "1"}};
    return o;
  }
};

}  // namespace

TEST_CASE("a Django app restarts from a preloaded interpreter, and a settings error still gives the error page",
          "[integration][fs][net][preload]") {
  temp_dir root("liveproxy-preload-django");
  const fs::path site = root.path() / "site";
  fs::copy(fs::path(LIVEPROXY_SOURCE_DIR) / "examples/django", site, fs::copy_options::recursive);
  write_all(site / "mysite/views.py", read_all(site / "mysite/views.py") + django_view);
  replace_in(site / "mysite/urls.py", "urlpatterns = [", "urlpatterns = [path(\"preload\", views.preload), ");
  process_options opts;
  opts.cwd = site;
  opts.env = {{"PYTHONDONTWRITEBYTECODE", "1"}};
  // No command: the Django preset, which preloads.
  liveproxy_process proxy({"--port", "0", "--verbose"}, opts, 30s);
  CHECK(proxy.proc().output().find("liveproxy --preload ") != std::string::npos);

  const auto first = http_get(proxy.port(), "/preload", {}, 30s);
  INFO(first.error << "\n" << first.body);
  REQUIRE(first.status == 200);
  CHECK(fields(first.body)["version"] == "one");
  CHECK(fields(first.body)["preloaded"] == "0");  // the first run learns what to preload

  const std::string spare = next_spare(proxy, 0);
  REQUIRE_FALSE(spare.empty());
  const auto mark = proxy.proc().output().size();
  replace_in(site / "mysite/views.py", "VERSION = \"one\"", "VERSION = \"two\"");
  auto after = fields_when(proxy, "/preload", [&](fields_t& f) { return f["version"] == "two"; });
  REQUIRE((after["version"] == "two"));
  // The run serving the new code is the process announced before the edit, and Django's own modules came
  // from its preloading; the project's did not.
  CHECK(after["pid"] == spare);
  CHECK(std::stoi(after["preloaded"]) > 50);
  CHECK(after["management"] == "1");
  CHECK(after["project"] == "0");
  CHECK(proxy.proc().wait_for_output(std::regex(R"(mysite/views\.py → restarted in \d+ ms \(app start \d+ ms, preloaded\))"),
                                     10s, mark));

  SECTION("a SyntaxError in settings.py: the error page with the traceback, and the fix brings a warm run back") {
    const std::string next = next_spare(proxy, mark);
    REQUIRE_FALSE(next.empty());
    const std::string settings = read_all(site / "mysite/settings.py");
    write_all(site / "mysite/settings.py", settings + "\nbroken = (\n");
    http_response page;
    REQUIRE(wait_until(
        [&] {
          page = http_get(proxy.port(), "/", {}, 10s);
          return page.status == 502 && page.body.find("SyntaxError") != std::string::npos;
        },
        30s, 50ms));
    CHECK(page.body.find("settings.py") != std::string::npos);
    const auto crashed = proxy.proc().output().size();
    const std::string warm = next_spare(proxy, crashed);  // a crash leaves a warm interpreter for the fix
    REQUIRE_FALSE(warm.empty());
    write_all(site / "mysite/settings.py", settings);
    auto fixed = fields_when(proxy, "/preload", [&](fields_t& f) { return f["version"] == "two"; });
    REQUIRE((fixed["version"] == "two"));
    CHECK(fixed["pid"] == warm);
    CHECK(std::stoi(fixed["preloaded"]) > 50);
  }
}

TEST_CASE("a Flask app run with -m flask restarts from a preloaded interpreter", "[integration][fs][net][preload]") {
  temp_dir root("liveproxy-preload-flask");
  const fs::path site = root.path() / "site";
  fs::copy(fs::path(LIVEPROXY_SOURCE_DIR) / "examples/flask", site, fs::copy_options::recursive);
  process_options opts;
  opts.cwd = site;
  opts.env = {{"PYTHONDONTWRITEBYTECODE", "1"}};
  liveproxy_process proxy({"--port", "0", "--verbose"}, opts, 30s);  // the Flask preset: python -m flask ...
  static const std::regex footer(R"(Flask process (\d+))");
  auto pid_of = [&] {
    const auto page = http_get(proxy.port(), "/", {}, 10s);
    std::smatch m;
    return std::regex_search(page.body, m, footer) ? m[1].str() : std::string();
  };
  const std::string first = pid_of();
  REQUIRE_FALSE(first.empty());
  const std::string spare = next_spare(proxy, 0);
  REQUIRE_FALSE(spare.empty());
  write_all(site / "app.py", read_all(site / "app.py") + "\n# edited by the test\n");
  std::string now;
  REQUIRE(wait_until([&] { return (now = pid_of()) != first && !now.empty(); }, 30s, 20ms));
  CHECK(now == spare);
  // The preloader's own file is no library of the app: it never makes a run start the plain way (it did, under
  // another name in sys.modules, on Flask's first restart).
  CHECK(proxy.proc().output().find("changed since it was preloaded") == std::string::npos);
}

TEST_CASE("a preloaded library that changed is not used: that run starts the plain way and sees the new file",
          "[integration][fs][net][preload]") {
  small_site s;
  liveproxy_process proxy({"--port", "0", "--verbose", "--preload", "--", "/usr/bin/python3", "app.py"}, s.options(),
                          20s);
  REQUIRE(fields(http_get(proxy.port(), "/", {}, 20s).body)["lib"] == "a");
  const std::string spare = next_spare(proxy, 0);
  REQUIRE_FALSE(spare.empty());
  // The warm interpreter has imported fakelib; then fakelib changes (a pip install, an edit in site-packages).
  REQUIRE(wait_until([&] { return fs::exists(s.state / ("imported." + spare)); }, 20s));
  replace_in(s.lib / "fakelib.py", "VERSION = \"a\"", "VERSION = \"b\"");
  const auto later = fs::file_time_type::clock::now() + 2s;
  fs::last_write_time(s.lib / "fakelib.py", later);
  write_all(s.project / "app.py", read_all(s.project / "app.py") + "# edit 1\n");
  auto after = fields_when(proxy, "/", [&](fields_t& f) { return f["lib"] == "b"; });
  REQUIRE((after["lib"] == "b"));
  CHECK(after["pid"] == spare);  // the same process, started again from scratch (exec)
  CHECK(after["preloaded"] == "0");
  CHECK(proxy.proc().output().find("fakelib.py changed since it was preloaded") != std::string::npos);
  // The restart's line says it was not preloaded, and why.
  CHECK(proxy.proc().wait_for_output("(app start ", 10s));
  CHECK(proxy.proc().wait_for_output("not preloaded: fakelib.py changed since it was preloaded)", 10s));
}

TEST_CASE("a preloader that dies while importing is reported once, and runs start the plain way",
          "[integration][fs][net][preload]") {
  small_site s;
  write_all(s.state / "die", "");
  liveproxy_process proxy({"--port", "0", "--verbose", "--preload", "--", "/usr/bin/python3", "app.py"}, s.options(),
                          20s);
  const auto first = fields(http_get(proxy.port(), "/", {}, 20s).body);
  REQUIRE(first.count("pid") == 1);
  REQUIRE(proxy.proc().wait_for_output("the preloaded interpreter ended before it was used", 30s));
  write_all(s.project / "app.py", read_all(s.project / "app.py") + "# edit 1\n");
  auto after = fields_when(proxy, "/", [&](fields_t& f) { return !f["pid"].empty() && f["pid"] != first.at("pid"); });
  REQUIRE((!after["pid"].empty() && after["pid"] != first.at("pid")));
  CHECK(after["preloaded"] == "0");
  const auto out = proxy.proc().output();
  std::size_t said = 0;
  for (auto at = out.find("preloaded interpreter ended"); at != std::string::npos;
       at = out.find("preloaded interpreter ended", at + 1))
    ++said;
  CHECK(said == 1);
  CHECK(out.find("preloading the next run", out.find("preloaded interpreter ended")) == std::string::npos);
}

TEST_CASE("with --preload, a command that is not Python says why and runs it the plain way",
          "[integration][net][preload]") {
  small_site s;
  liveproxy_process proxy({"--port", "0", "--preload", "--", "/bin/sh", "-c", "exec /usr/bin/python3 app.py"},
                          s.options(), 20s);
  CHECK(fields(http_get(proxy.port(), "/", {}, 20s).body)["lib"] == "a");
  const auto out = proxy.proc().output();
  CHECK(out.find("--preload: the command does not start Python (sh); the app starts the plain way") !=
        std::string::npos);
}

TEST_CASE("a preloaded run takes the socket handed over with --fd, and LISTEN_PID names it",
          "[integration][fs][net][preload]") {
  small_site s;
  liveproxy_process proxy({"--port", "0", "--verbose", "--preload", "--fd", "--", "/usr/bin/python3", "app.py"},
                          s.options(), 20s);
  REQUIRE(fields(http_get(proxy.port(), "/", {}, 20s).body)["lib"] == "a");
  const std::string spare = next_spare(proxy, 0);
  REQUIRE_FALSE(spare.empty());
  REQUIRE(wait_until([&] { return fs::exists(s.state / ("imported." + spare)); }, 20s));
  write_all(s.project / "app.py", read_all(s.project / "app.py") + "# edit 1\n");
  auto after = fields_when(proxy, "/", [&](fields_t& f) { return f["pid"] == spare; });
  REQUIRE((after["pid"] == spare));
  CHECK(after["preloaded"] == "1");
}

TEST_CASE("a waiting preloaded interpreter does not outlive liveproxy, even killed with SIGKILL",
          "[integration][fs][net][preload]") {
  small_site s;
  auto opts = s.options();
  // liveproxy killed outright cannot remove its preload directory: keep it inside this test's own.
  opts.env.emplace_back("TMPDIR", s.root.path().string());
  opts.env.emplace_back("XDG_RUNTIME_DIR", "");
  liveproxy_process proxy({"--port", "0", "--verbose", "--preload", "--", "/usr/bin/python3", "app.py"}, opts, 20s);
  const auto first = fields(http_get(proxy.port(), "/", {}, 20s).body);
  REQUIRE(first.count("pid") == 1);
  const std::string spare = next_spare(proxy, 0);
  REQUIRE_FALSE(spare.empty());
  REQUIRE(wait_until([&] { return fs::exists(s.state / ("imported." + spare)); }, 20s));
  proxy.proc().signal(SIGKILL);
  CHECK(wait_until([&] { return process_is_gone(std::stoi(spare)); }, 10s));
  CHECK(wait_until([&] { return process_is_gone(std::stoi(first.at("pid"))); }, 10s));
}

TEST_CASE("with --preload, a Python older than 3.10 is said once and runs the plain way",
          "[integration][fs][net][preload]") {
  small_site s;
  // A stand-in for an old interpreter: it says 3.8 when asked its version and runs the real one otherwise.
  const fs::path old_python = s.root.path() / "python3.8";
  write_all(old_python, "#!/bin/sh\ncase \"$2\" in *version_info*) echo 3.8; exit 0;; esac\nexec /usr/bin/python3 \"$@\"\n");
  fs::permissions(old_python, fs::perms::owner_all);
  liveproxy_process proxy({"--port", "0", "--verbose", "--preload", "--", old_python.string(), "app.py"}, s.options(),
                          20s);
  auto first = fields(http_get(proxy.port(), "/", {}, 20s).body);
  CHECK(first["lib"] == "a");
  CHECK(first["preloaded"] == "0");
  const auto out = proxy.proc().output();
  CHECK(out.find("--preload needs Python 3.10 or newer (" + old_python.string() + " is 3.8)") != std::string::npos);
  CHECK(out.find("preloading the next run") == std::string::npos);
}
