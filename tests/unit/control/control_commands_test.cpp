// What `liveproxy wait` and `liveproxy status` say for liveproxy's JSON answers, how they find the port (the
// runtime file, liveproxy.json), and the runtime file itself: real files in a temporary $XDG_RUNTIME_DIR.
#include "proxy/control/control_commands.hpp"
#include "proxy/control/runtime_file.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "support/temp_dir.hpp"

using namespace liveproxy;
using liveproxy::test::temp_dir;
using liveproxy::test::write_file;
namespace fs = std::filesystem;

namespace {

json::node parsed(std::string_view text) {
  auto doc = json::parse(text);
  REQUIRE(doc.root);
  return std::move(*doc.root);
}

/// $XDG_RUNTIME_DIR set to a fresh directory for the test's life, then put back.
struct runtime_env {
  temp_dir dir{"liveproxy-xdg"};
  std::optional<std::string> before;
  runtime_env() {
    if (const char* v = std::getenv("XDG_RUNTIME_DIR")) before = v;
    ::setenv("XDG_RUNTIME_DIR", dir.path().c_str(), 1);
  }
  ~runtime_env() {
    if (before) ::setenv("XDG_RUNTIME_DIR", before->c_str(), 1);
    else ::unsetenv("XDG_RUNTIME_DIR");
  }
};

/// A PID no process has: a child that has exited and been reaped.
long dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

constexpr std::string_view crashed = R"({"type":"status","app":{"state":"exited","command":"python3 manage.py runserver"},
  "settled":true,"timed_out":false,"waited_ms":120,
  "changes":[{"files":"mysite/urls.py","action":"restart","outcome":"failed: app exited with status 1"}],
  "restart_ms":null,
  "error":{"app":"app","title":"The app exited during start-up","cause":"It exited with status 1.",
           "headline":"SyntaxError: '(' was never closed","where":"mysite/urls.py:24",
           "frames":["mysite/urls.py:24","manage.py:18"],
           "output":["Traceback (most recent call last):","  File \"mysite/urls.py\", line 24","SyntaxError: '(' was never closed"]}})";

}  // namespace

TEST_CASE("liveproxy wait: live, failed and timed out answers and their exit statuses", "[unit][wait]") {
  const auto live = describe_wait(parsed(R"({"app":{"state":"running","pid":42,"run":3},"settled":true,
    "changes":[{"files":"mysite/urls.py","action":"restart","outcome":"restarted in 50 ms"}],"error":null})"));
  CHECK(live.exit_status == wait_exit::live);
  CHECK(live.text == "live: the app is running (pid 42); mysite/urls.py: restart, restarted in 50 ms\n");

  // Nothing changed since the last wait: the last action is context, not news.
  const auto quiet = describe_wait(parsed(R"({"app":{"state":"running","pid":42},"settled":true,
    "changes":[{"files":"a.css","action":"css","outcome":"","before_wait":true}],"error":null})"));
  CHECK(quiet.text == "live: the app is running (pid 42)\n");

  const auto failed = describe_wait(parsed(crashed));
  CHECK(failed.exit_status == wait_exit::app_failed);
  CHECK(failed.text == "the app failed: SyntaxError: '(' was never closed\n"
                       "  at mysite/urls.py:24\n"
                       "  from manage.py:18\n"
                       "last output:\n"
                       "  Traceback (most recent call last):\n"
                       "    File \"mysite/urls.py\", line 24\n"
                       "  SyntaxError: '(' was never closed\n");
  // The output's tail only, as asked.
  CHECK(describe_wait(parsed(crashed), 1).text.ends_with("last output:\n  SyntaxError: '(' was never closed\n"));

  // One of several apps, with no recognised error: its name and the page's title and cause.
  const auto api = describe_wait(parsed(R"({"app":{"state":"running"},"settled":true,"error":{"app":"api",
    "title":"api exited during start-up","cause":"It exited with status 3.","headline":"","where":"","frames":[],
    "output":["bye"]}})"));
  CHECK(api.exit_status == wait_exit::app_failed);
  CHECK(api.text == "api failed: api exited during start-up\n  It exited with status 3.\nlast output:\n  bye\n");

  const auto late = describe_wait(parsed(R"({"app":{"state":"restarting"},"settled":false,"timed_out":true,
    "waited_ms":5003,"error":null})"));
  CHECK(late.exit_status == wait_exit::timed_out);
  CHECK(late.text == "not live after 5 s: the app is restarting (liveproxy wait --timeout S waits longer)\n");
}

TEST_CASE("liveproxy status: one screen of what the status page shows", "[unit][wait]") {
  const auto text = status_text(parsed(R"({"type":"status","mode":"command","url":"http://127.0.0.1:3000",
    "target":"127.0.0.1:41000","now":1000000,"since":880000,"tabs":2,"held":0,
    "app":{"state":"running","command":"python3 app.py","run":4,"pid":77,"start_ms":52,
           "error":{"headline":"NameError: name 'x' is not defined","where":"app.py:3"}},
    "apps":[{"name":"web","state":"running","pid":77,"run":4,"routes":"/","command":"python3 app.py","last":"","held":0},
            {"name":"css","state":"running","pid":78,"run":1,"routes":"","command":"tailwind","last":"","held":0}],
    "watch":{"backend":"inotify","roots":[{"path":"/p","dirs":3,"files":12}]},
    "actions":[{"at":999000,"files":"b.py","action":"restart","outcome":"restarted in 52 ms"},
               {"at":998000,"files":"a.css","action":"css","outcome":""}],
    "console":[{"at":999500,"level":"error","text":"/: TypeError: x is undefined"}],
    "output":["one","two","three"]})"),
                                2);
  CHECK_THAT(text, Catch::StartsWith("liveproxy http://127.0.0.1:3000 -> 127.0.0.1:41000   (up 2 min, 2 tabs)\n"
                                     "app: running, pid 77, run 4, last start 52 ms\n"
                                     "  error: NameError: name 'x' is not defined (app.py:3)\n"
                                     "  python3 app.py\n"
                                     "apps:\n"
                                     "  web: running, pid 77, /\n"
                                     "  css: running, pid 78, a side process\n"
                                     "watching (inotify): /p (12 files)\n"
                                     "recent changes:\n"));
  // Oldest first, as a terminal reads; the output's last lines only.
  CHECK(text.find("a.css: css") < text.find("b.py: restart, restarted in 52 ms"));
  CHECK_THAT(text, Catch::Contains("browser console:\n  error: /: TypeError: x is undefined\n"));
  CHECK_THAT(text, Catch::EndsWith("output:\n  two\n  three\n"));
}

TEST_CASE("runtime file: written for the project, found from below it, removed at the end", "[unit][wait][fs]") {
  runtime_env env;
  temp_dir project("liveproxy-project");
  fs::create_directories(project / "mysite/templates");
  fs::path written;
  {
    runtime_file file({static_cast<long>(::getpid()), 4123, "http://127.0.0.1:4123", project.path().string()});
    written = file.path();
    REQUIRE_FALSE(written.empty());
    CHECK(written.parent_path() == env.dir / "liveproxy");
    CHECK(fs::exists(written));
    for (const auto& from : {project.path(), project / "mysite", project / "mysite/templates"}) {
      const auto found = find_running(from);
      REQUIRE(found);
      CHECK(found->port == 4123);
      CHECK(found->url == "http://127.0.0.1:4123");
      CHECK(found->project == fs::canonical(project.path()).string());
    }
    // Another project, beside this one, has none.
    temp_dir other("liveproxy-other");
    CHECK_FALSE(find_running(other.path()));
    std::string how;
    CHECK(find_liveproxy_port(std::nullopt, project / "mysite", how) == 4123u);
    CHECK_THAT(how, Catch::Contains("started in " + fs::canonical(project.path()).string()));
    // --port wins.
    CHECK(find_liveproxy_port(9999u, project / "mysite", how) == 9999u);
    CHECK(how == "--port");
  }
  CHECK_FALSE(fs::exists(written));
  CHECK_FALSE(find_running(project.path()));
}

TEST_CASE("runtime file: a dead liveproxy's is ignored, and another's is not removed", "[unit][wait][fs]") {
  runtime_env env;
  temp_dir project("liveproxy-project");
  {
    runtime_file stale({dead_pid(), 4000, "http://127.0.0.1:4000", project.path().string()});
    CHECK_FALSE(find_running(project.path()));
    std::string how;
    CHECK_FALSE(find_liveproxy_port(std::nullopt, project.path(), how));
    CHECK_THAT(not_running_text(how, project.path()),
               Catch::StartsWith("liveproxy is not running here: no liveproxy was started in ") &&
                   Catch::Contains("with `liveproxy`") && Catch::Contains("--port N"));
  }
  // Two in one project: the second took the file over; the first's end leaves it.
  std::optional<runtime_file> first(std::in_place, runtime_info{static_cast<long>(::getppid()), 4001, "u1",
                                                                project.path().string()});
  runtime_file second({static_cast<long>(::getpid()), 4002, "u2", project.path().string()});
  first.reset();
  const auto found = find_running(project.path());
  REQUIRE(found);
  CHECK(found->port == 4002);
}

TEST_CASE("liveproxy.json's port is where liveproxy runs, before any runtime file", "[unit][wait][fs]") {
  runtime_env env;
  temp_dir project("liveproxy-project");
  runtime_file file({static_cast<long>(::getpid()), 4123, "u", project.path().string()});
  write_file(project / "liveproxy.json", R"({"port": 8123})");
  std::string how;
  CHECK(find_liveproxy_port(std::nullopt, project.path(), how) == 8123u);
  CHECK_THAT(how, Catch::Contains("\"port\" in"));
  // A file that names no port (or port 0, any free one) leaves it to the runtime file.
  write_file(project / "liveproxy.json", R"({"port": 0})");
  CHECK(find_liveproxy_port(std::nullopt, project.path(), how) == 4123u);
}

TEST_CASE("runtime dir: without $XDG_RUNTIME_DIR, a private folder under /tmp", "[unit][wait][fs]") {
  runtime_env env;
  ::unsetenv("XDG_RUNTIME_DIR");
  const auto dir = runtime_dir();
  REQUIRE_FALSE(dir.empty());
  CHECK(dir == "/tmp/liveproxy-" + std::to_string(::getuid()));
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  CHECK(st.st_uid == ::getuid());
}
