// Several apps behind one front, as configured: "apps" in liveproxy.json and --route read through
// parse_command_line, which app becomes the main one, every mistake with its place, and which commands are
// front-end dev servers with hot module replacement of their own.
#include "proxy/settings/apps.hpp"
#include "proxy/settings/config.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

using namespace liveproxy;
using liveproxy::test::temp_dir;
using liveproxy::test::write_file;
namespace fs = std::filesystem;

namespace {

using strings = std::vector<std::string>;

/// parse_command_line for `liveproxy --config DIR/liveproxy.json ARGS...`, the file holding text.
config parse_with_file(const temp_dir& dir, std::string_view text, std::initializer_list<std::string> args = {}) {
  write_file(dir / "liveproxy.json", text);
  strings argv{"liveproxy", "--config", (dir / "liveproxy.json").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<const char*> ptrs;
  for (const auto& a : argv) ptrs.push_back(a.c_str());
  return parse_command_line(static_cast<int>(ptrs.size()), ptrs.data());
}

/// parse_command_line for a line without a file (the test's current directory has no liveproxy.json named).
config parse_line(std::initializer_list<std::string> args) {
  temp_dir dir;
  write_file(dir / "liveproxy.json", "{}");
  strings argv{"liveproxy", "--config", (dir / "liveproxy.json").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<const char*> ptrs;
  for (const auto& a : argv) ptrs.push_back(a.c_str());
  return parse_command_line(static_cast<int>(ptrs.size()), ptrs.data());
}

/// The config_error parse_command_line throws for the file text (and args), with the temporary directory taken
/// out of the file name: "liveproxy.json:L:C: ...". Empty if it throws nothing.
std::string error_for(std::string_view text, std::initializer_list<std::string> args = {}) {
  temp_dir dir;
  try {
    parse_with_file(dir, text, args);
  } catch (const config_error& e) {
    std::string message = e.what();
    const std::string prefix = dir.path().string() + "/";
    if (message.starts_with(prefix)) message.erase(0, prefix.size());
    return message;
  }
  return {};
}

const app_spec* app_named(const config& cfg, std::string_view name) {
  const auto it = std::find_if(cfg.apps.begin(), cfg.apps.end(), [&](const app_spec& a) { return a.name == name; });
  return it == cfg.apps.end() ? nullptr : &*it;
}

strings names_of(const config& cfg) {
  strings out;
  for (const auto& a : cfg.apps) out.push_back(a.name);
  return out;
}

bool watched(const config& cfg, const fs::path& dir) {
  const auto canon = fs::canonical(dir);
  return std::find(cfg.watch_dirs.begin(), cfg.watch_dirs.end(), canon) != cfg.watch_dirs.end();
}

}  // namespace

TEST_CASE("apps: the issue's example parses as written", "[unit][config][apps]") {
  temp_dir dir;
  fs::create_directories(dir / "web");
  const auto cfg = parse_with_file(dir, R"({
  "apps": {
    "api": {"command": ["python3", "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"], "routes": ["/api/", "/admin/", "/static/"]},
    "web": {"command": ["npx", "vite", "--port", "{port}", "--strictPort"], "cwd": "web", "routes": ["/"]},
    "css": {"command": ["npx", "tailwindcss", "-i", "src/in.css", "-o", "static/site.css", "--watch"]}
  }
})",
                                   {"--watch", dir.path().string()});
  // The app routed at "/" is the main one, though it is not the first.
  CHECK(cfg.app_name == "web");
  CHECK(cfg.app_command == strings{"npx", "vite", "--port", "{port}", "--strictPort"});
  CHECK(cfg.app_cwd == fs::canonical(dir / "web"));
  CHECK(cfg.app_routes == strings{"/"});
  CHECK(cfg.app_hmr);
  CHECK_FALSE(cfg.upstream);
  CHECK_FALSE(cfg.serve_dir);
  CHECK_FALSE(cfg.detect_project);
  // The others stay, in the file's order.
  CHECK(names_of(cfg) == strings{"api", "css"});
  const auto* api = app_named(cfg, "api");
  REQUIRE(api);
  CHECK(api->command == strings{"python3", "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"});
  CHECK(api->routes == strings{"/api/", "/admin/", "/static/"});
  CHECK(api->cwd.empty());
  CHECK_FALSE(api->upstream);
  CHECK(api->hmr == false);
  const auto* css = app_named(cfg, "css");
  REQUIRE(css);
  CHECK(css->routes.empty());  // a side process
  CHECK(css->hmr == false);
  CHECK(css->command.back() == "--watch");
  // Everything is under the one watched directory: nothing added.
  CHECK(cfg.watch_dirs == std::vector<fs::path>{fs::canonical(dir.path())});
}

TEST_CASE("apps: the main app is the one routed at /, else the first with routes", "[unit][config][apps]") {
  temp_dir dir;
  SECTION("routed at / among others, and not first") {
    const auto cfg = parse_with_file(dir, R"({"apps": {
      "worker": {"command": ["python3", "worker.py"]},
      "api": {"command": ["python3", "api.py"], "routes": ["/api/"]},
      "site": {"command": ["python3", "site.py"], "routes": ["/admin/", "/"]}}})");
    CHECK(cfg.app_name == "site");
    CHECK(cfg.app_command == strings{"python3", "site.py"});
    CHECK(cfg.app_routes == strings{"/admin/", "/"});
    CHECK(names_of(cfg) == strings{"worker", "api"});
  }
  SECTION("none routed at /: the first with routes, side processes skipped") {
    const auto cfg = parse_with_file(dir, R"({"apps": {
      "worker": {"command": ["python3", "worker.py"]},
      "api": {"command": ["python3", "api.py"], "routes": ["/api/"]},
      "admin": {"command": ["python3", "admin.py"], "routes": ["/admin/"]}}})");
    CHECK(cfg.app_name == "api");
    CHECK(cfg.app_command == strings{"python3", "api.py"});
    CHECK(cfg.app_routes == strings{"/api/"});
    CHECK(names_of(cfg) == strings{"worker", "admin"});
  }
  SECTION("an upstream as the main app") {
    const auto cfg = parse_with_file(dir, R"({"apps": {
      "front": {"upstream": "http://127.0.0.1:5173", "routes": ["/"]},
      "api": {"command": ["python3", "api.py"], "routes": ["/api/"]}}})");
    CHECK(cfg.app_name == "front");
    REQUIRE(cfg.upstream);
    CHECK(cfg.upstream->text() == "http://127.0.0.1:5173");
    CHECK(cfg.app_command.empty());
    CHECK(names_of(cfg) == strings{"api"});
  }
  SECTION("an upstream beside the main app") {
    const auto cfg = parse_with_file(dir, R"({"apps": {
      "web": {"command": "python3 -m http.server {port}", "routes": ["/"]},
      "api": {"upstream": "http://localhost:8000/", "routes": ["/api/"]}}})");
    // A command given as one line runs through the shell, as the top-level "command" does.
    CHECK(cfg.app_command == strings{"/bin/sh", "-c", "python3 -m http.server {port}"});
    const auto* api = app_named(cfg, "api");
    REQUIRE(api);
    REQUIRE(api->upstream);
    CHECK(api->upstream->text() == "http://localhost:8000");
    CHECK(api->command.empty());
  }
  SECTION("a command on the command line is the main app: every app of the file stays beside it") {
    const auto cfg = parse_with_file(dir, R"({"apps": {
      "web": {"command": ["python3", "web.py"], "routes": ["/"]},
      "api": {"command": ["python3", "api.py"], "routes": ["/api/"]}}})",
                                     {"--", "ruby", "app.rb"});
    CHECK(cfg.app_command == strings{"ruby", "app.rb"});
    CHECK(cfg.app_name == "app");
    CHECK(names_of(cfg) == strings{"web", "api"});
  }
  SECTION("a top-level command in the file is the main app too") {
    const auto cfg = parse_with_file(dir, R"({"command": ["ruby", "app.rb"], "apps": {
      "api": {"command": ["python3", "api.py"], "routes": ["/api/"]},
      "css": {"command": ["npx", "tailwindcss", "--watch"]}}})");
    CHECK(cfg.app_command == strings{"ruby", "app.rb"});
    CHECK(cfg.app_name == "app");
    CHECK(names_of(cfg) == strings{"api", "css"});
  }
}

TEST_CASE("apps: env, watch and hmr of the main app and of the others", "[unit][config][apps]") {
  temp_dir dir;
  const auto cfg = parse_with_file(dir, R"({"env": {"A": "1"}, "apps": {
    "web": {"command": ["python3", "web.py"], "routes": ["/"], "env": {"B": "2"}, "watch": ["**/*.py"], "hmr": true},
    "front": {"command": ["npx", "vite"], "routes": ["/app/"], "hmr": false, "env": {"C": "3", "D": ""}},
    "worker": {"command": ["python3", "worker.py"], "watch": ["worker/**", "*.toml"]}}})");
  // The main app's environment comes after the file's own.
  CHECK(cfg.env == strings{"A=1", "B=2"});
  CHECK(cfg.app_watch == strings{"**/*.py"});
  // Told, whatever the command says.
  CHECK(cfg.app_hmr);
  const auto* front = app_named(cfg, "front");
  REQUIRE(front);
  CHECK(front->env == strings{"C=3", "D="});
  CHECK(front->hmr == false);
  const auto* worker = app_named(cfg, "worker");
  REQUIRE(worker);
  CHECK(worker->watch == strings{"worker/**", "*.toml"});
  CHECK(worker->env.empty());
  // Not told: recognised from the command.
  CHECK(worker->hmr == false);
  const auto vite = parse_with_file(dir, R"({"apps": {
    "web": {"command": ["python3", "web.py"], "routes": ["/"]},
    "front": {"command": ["npx", "vite", "--port", "{port}"], "routes": ["/app/"]}}})");
  CHECK_FALSE(vite.app_hmr);
  REQUIRE(app_named(vite, "front"));
  CHECK(app_named(vite, "front")->hmr == true);
}

TEST_CASE("apps: preload, fd and restart_on_crash are each app's own", "[unit][config][apps]") {
  temp_dir dir;
  const auto cfg = parse_with_file(dir, R"({"apps": {
    "web": {"command": ["python3", "web.py"], "routes": ["/"], "fd": true, "restart_on_crash": true},
    "api": {"command": ["python3", "api.py"], "routes": ["/api/"], "preload": true, "fd": true},
    "worker": {"command": ["python3", "worker.py"], "preload": false}}})");
  // The main app's become the settings of the same names.
  CHECK(cfg.socket_handoff);
  CHECK(cfg.restart_on_crash);
  CHECK_FALSE(cfg.preload.has_value());
  const auto* api = app_named(cfg, "api");
  REQUIRE(api);
  CHECK(api->preload == true);
  CHECK(api->fd);
  CHECK_FALSE(api->restart_on_crash);
  const auto* worker = app_named(cfg, "worker");
  REQUIRE(worker);
  CHECK(worker->preload == false);
  CHECK_FALSE(worker->fd);
  // The command line's --no-preload stays the main app's choice over the file's.
  const auto line = parse_with_file(
      dir, R"({"apps": {"web": {"command": ["python3", "web.py"], "routes": ["/"], "preload": true}}})", {"--no-preload"});
  CHECK(line.preload == false);
  const auto file = parse_with_file(dir, R"({"apps": {"web": {"command": ["python3", "web.py"], "routes": ["/"], "preload": true}}})");
  CHECK(file.preload == true);
  // A change of any of them is a change of the apps (the running ones are started again).
  const auto other = parse_with_file(dir, R"({"apps": {
    "web": {"command": ["python3", "web.py"], "routes": ["/"], "fd": true, "restart_on_crash": true},
    "api": {"command": ["python3", "api.py"], "routes": ["/api/"], "preload": true},
    "worker": {"command": ["python3", "worker.py"], "preload": false}}})");
  CHECK(describe_apps(cfg.apps) != describe_apps(other.apps));
}

TEST_CASE("apps: cwd is relative to the file, and an app's directory is watched", "[unit][config][apps]") {
  temp_dir dir;
  fs::create_directories(dir / "project/web");
  fs::create_directories(dir / "project/api");
  fs::create_directories(dir / "elsewhere/worker");
  const std::string text = R"({"apps": {
    "web": {"command": ["python3", "web.py"], "cwd": "web", "routes": ["/"]},
    "api": {"command": ["python3", "api.py"], "cwd": "api", "routes": ["/api/"]},
    "worker": {"command": ["python3", "worker.py"], "cwd": "../elsewhere/worker"}}})";
  // The file lives in project/, not in the test's current directory.
  write_file(dir / "project/liveproxy.json", text);
  const strings argv_text{"liveproxy", "--config", (dir / "project/liveproxy.json").string(), "--watch",
                          (dir / "project/api").string()};
  std::vector<const char*> argv;
  for (const auto& a : argv_text) argv.push_back(a.c_str());
  const auto cfg = parse_command_line(static_cast<int>(argv.size()), argv.data());
  CHECK(cfg.app_cwd == fs::canonical(dir / "project/web"));
  REQUIRE(app_named(cfg, "api"));
  CHECK(app_named(cfg, "api")->cwd == fs::canonical(dir / "project/api"));
  REQUIRE(app_named(cfg, "worker"));
  CHECK(app_named(cfg, "worker")->cwd == fs::canonical(dir / "elsewhere/worker"));
  // Only project/api is watched as given: the others' directories are added, each once.
  CHECK(watched(cfg, dir / "project/api"));
  CHECK(watched(cfg, dir / "elsewhere/worker"));
  CHECK(std::count(cfg.watch_dirs.begin(), cfg.watch_dirs.end(), fs::canonical(dir / "project/api")) == 1);
  // The main app's directory is one of the apps' directories as well: a change to web.py must be seen.
  CHECK(watched(cfg, dir / "project/web"));
}

TEST_CASE("apps: --route PREFIX=URL adds an upstream app named by its prefix", "[unit][config][apps]") {
  const auto cfg = parse_line({"--route", "/api/=http://127.0.0.1:8000", "--route=/admin/panel/=https://localhost:9443",
                               "--route", "/=http://127.0.0.1:7000", "--", "python3", "app.py"});
  CHECK(cfg.app_command == strings{"python3", "app.py"});
  REQUIRE(cfg.apps.size() == 3);
  CHECK(cfg.apps[0].name == "api");
  CHECK(cfg.apps[0].routes == strings{"/api/"});
  REQUIRE(cfg.apps[0].upstream);
  CHECK(cfg.apps[0].upstream->text() == "http://127.0.0.1:8000");
  CHECK(cfg.apps[0].command.empty());
  CHECK(cfg.apps[0].hmr == false);
  CHECK(cfg.apps[1].routes == strings{"/admin/panel/"});
  REQUIRE(cfg.apps[1].upstream);
  CHECK(cfg.apps[1].upstream->tls);
  // "/" has no word to be named by: named by its address.
  CHECK(cfg.apps[2].name == "127.0.0.1:7000");

  // Beside the file's apps.
  temp_dir dir;
  const auto both = parse_with_file(dir, R"({"apps": {"web": {"command": ["python3", "web.py"], "routes": ["/"]}}})",
                                    {"--route", "/api/=http://127.0.0.1:8000"});
  CHECK(both.app_name == "web");
  CHECK(names_of(both) == strings{"api"});

  CHECK(parse_route_option("/api/=http://127.0.0.1:8000").name == "api");
  CHECK(parse_route_option("/api=http://127.0.0.1:8000").name == "api");
  CHECK(parse_route_option("/api=http://127.0.0.1:8000").routes == strings{"/api"});
}

TEST_CASE("apps: --route alone leaves the main app to the project found here", "[unit][config][apps]") {
  // `liveproxy --route /api/=URL` in a project: what runs at / is what plain `liveproxy` would run there; the
  // upstream answers /api/ only, not every path.
  const auto cfg = parse_line({"--route", "/api/=http://127.0.0.1:8000"});
  CHECK(cfg.detect_project);
  CHECK_FALSE(cfg.upstream);
  CHECK(names_of(cfg) == strings{"api"});
}

TEST_CASE("apps: --route mistakes", "[unit][config][apps]") {
  CHECK_THROWS_WITH(parse_line({"--route", "/api/"}),
                    "--route /api/: expected PREFIX=URL, such as /api/=http://127.0.0.1:8000");
  CHECK_THROWS_WITH(parse_line({"--route", "=http://127.0.0.1:8000"}),
                    "--route =http://127.0.0.1:8000: expected PREFIX=URL, such as /api/=http://127.0.0.1:8000");
  CHECK_THROWS_WITH(parse_line({"--route", "api/=http://127.0.0.1:8000"}),
                    "--route api/=http://127.0.0.1:8000: a route is a path prefix starting with /, such as \"/api/\"");
  CHECK_THROWS_WITH(parse_line({"--route", "/api/*=http://127.0.0.1:8000"}),
                    Catch::StartsWith("--route /api/*=http://127.0.0.1:8000: a route is a plain path prefix"));
  CHECK_THROWS_WITH(parse_line({"--route", "/api/=127.0.0.1:8000"}), Catch::StartsWith("--route /api/=127.0.0.1:8000: "));
  CHECK_THROWS_WITH(parse_line({"--route", "/api/=ftp://127.0.0.1:8000"}),
                    Catch::StartsWith("--route /api/=ftp://127.0.0.1:8000: "));
  CHECK_THROWS_WITH(parse_line({"--route", "/api/=http://127.0.0.1:8000/v1"}),
                    Catch::StartsWith("--route /api/=http://127.0.0.1:8000/v1: "));
  CHECK_THROWS_WITH(parse_line({"--route"}), "--route needs a value");
  // The same prefix twice, and two apps with one name.
  CHECK_THROWS_WITH(parse_line({"--route", "/api/=http://127.0.0.1:8000", "--route", "/api/=http://127.0.0.1:8001",
                                "--", "python3", "app.py"}),
                    "two apps are named \"api\": give one of them another name");
  CHECK_THROWS_WITH(parse_line({"--route", "/api/=http://127.0.0.1:8000", "--route", "/api=http://127.0.0.1:8001",
                                "--", "python3", "app.py"}),
                    "two apps are named \"api\": give one of them another name");
}

TEST_CASE("apps: mistakes in the file name their line and column", "[unit][config][apps]") {
  struct example {
    std::string text;
    std::string message;
  };
  const std::vector<example> examples{
      {R"({"apps": []})",
       "liveproxy.json:1:10: \"apps\" must be an object of named apps, such as {\"api\": {\"command\": [...], "
       "\"routes\": [\"/api/\"]}}"},
      {R"({"apps": {"web": "python3 web.py"}})",
       "liveproxy.json:1:18: \"apps.web\" must be an object with a \"command\" or an \"upstream\""},
      {R"({"apps": {"web": {"command": ["python3"], "routes": ["/"], "route": ["/api/"]}}})",
       "liveproxy.json:1:60: unknown key \"route\" in \"apps.web\" (an app takes \"command\", \"upstream\", \"cwd\", "
       "\"env\", \"routes\", \"watch\", \"hmr\", \"preload\", \"fd\", \"restart_on_crash\")"},
      {R"({"apps": {"web": {"command": ["a"], "routes": ["/"]}, "api": {"upstream": "http://127.0.0.1:8000", "fd": true}}})",
       "liveproxy.json:1:100: \"apps.api.fd\" is for an app liveproxy runs (a \"command\"); an \"upstream\" is started "
       "by someone else"},
      {R"({"apps": {"web": {"command": ["a"], "routes": ["/"], "preload": 1}}})",
       "liveproxy.json:1:65: \"apps.web.preload\" must be true or false (got 1)"},
      {R"({"apps": {"web": {"command": ["python3"], "upstream": "http://127.0.0.1:8000", "routes": ["/"]}}})",
       "liveproxy.json:1:43: \"apps.web.upstream\": an app has a \"command\" or an \"upstream\", not both (the other "
       "at 1:19)"},
      {R"({"apps": {"web": {"routes": ["/"]}}})",
       "liveproxy.json:1:11: \"apps.web\" needs a \"command\" to run or an \"upstream\" URL to proxy"},
      {R"({"apps": {"web": {"command": ["python3"], "routes": ["/", "api/"]}}})",
       "liveproxy.json:1:59: \"apps.web.routes\": \"api/\": a route is a path prefix starting with /, such as "
       "\"/api/\""},
      {R"({"apps": {"web": {"command": ["python3"], "routes": ["/api?x=1"]}}})",
       "liveproxy.json:1:54: \"apps.web.routes\": \"/api?x=1\": a route is a plain path prefix (no query, fragment, "
       "space or wildcard), such as \"/api/\""},
      {R"({"apps": {"web": {"command": ["a"], "routes": ["/"]}, "web": {"command": ["b"]}}})",
       "liveproxy.json:1:55: \"apps.web\" is given twice (first at 1:11)"},
      {R"({"apps": {"my app": {"command": ["a"], "routes": ["/"]}}})",
       "liveproxy.json:1:11: \"apps\": \"my app\" is not a name (a word, no spaces)"},
      {R"({"apps": {"": {"command": ["a"], "routes": ["/"]}}})",
       "liveproxy.json:1:11: \"apps\": \"\" is not a name (a word, no spaces)"},
      // Wrong types.
      {R"({"apps": {"web": {"command": ["python3"], "routes": "/"}}})",
       "liveproxy.json:1:53: \"apps.web.routes\" must be an array of path prefixes, such as [\"/api/\"] (got \"/\")"},
      {R"({"apps": {"web": {"command": ["python3"], "routes": [1]}}})",
       "liveproxy.json:1:54: \"apps.web.routes[0]\" must be a path prefix (got 1)"},
      {R"({"apps": {"web": {"command": ["python3"], "routes": ["/", ""]}}})",
       "liveproxy.json:1:59: \"apps.web.routes[1]\" must be a path prefix, not empty"},
      {R"({"apps": {"web": {"command": ["python3"], "routes": ["/"], "hmr": "yes"}}})",
       "liveproxy.json:1:67: \"apps.web.hmr\" must be true or false (got \"yes\")"},
      {R"({"apps": {"web": {"command": ["python3"], "routes": ["/"], "watch": "*.py"}}})",
       "liveproxy.json:1:69: \"apps.web.watch\" must be an array of globs, such as [\"**/*.py\"] (got \"*.py\")"},
      {R"({"apps": {"web": {"command": ["python3"], "routes": ["/"], "cwd": 3}}})",
       "liveproxy.json:1:67: \"apps.web.cwd\" must be a directory (a string) (got 3)"},
      {R"({"apps": {"web": {"upstream": 8000, "routes": ["/"]}}})",
       "liveproxy.json:1:31: \"apps.web.upstream\" must be a URL such as \"http://127.0.0.1:5173\" (got 8000)"},
  };
  for (const auto& e : examples) {
    INFO(e.text);
    CHECK(error_for(e.text) == e.message);
  }
}

TEST_CASE("apps: mistakes in an app's command, env, cwd and upstream are placed too", "[unit][config][apps]") {
  // These go through the same checks as the top-level keys: the place is exact, the message says what is wrong.
  struct example {
    std::string text;
    std::string place;
    std::string says;
  };
  const std::vector<example> examples{
      {R"({"apps": {"web": {"command": [], "routes": ["/"]}}})", "liveproxy.json:1:30: ", "is empty"},
      {R"({"apps": {"web": {"command": "  ", "routes": ["/"]}}})", "liveproxy.json:1:30: ", "is empty"},
      {R"({"apps": {"web": {"command": ["python3", 3], "routes": ["/"]}}})", "liveproxy.json:1:42: ", "must be a string"},
      {R"({"apps": {"web": {"command": 3, "routes": ["/"]}}})", "liveproxy.json:1:30: ", "(got 3)"},
      {R"({"apps": {"web": {"command": ["a"], "routes": ["/"], "env": ["A=1"]}}})", "liveproxy.json:1:61: ",
       "must be an object of variables"},
      {R"({"apps": {"web": {"command": ["a"], "routes": ["/"], "env": {"A": 1}}}})", "liveproxy.json:1:67: ",
       "must be a string (got 1)"},
      {R"({"apps": {"web": {"command": ["a"], "routes": ["/"], "cwd": "nowhere"}}})", "liveproxy.json:1:61: ",
       "\"apps.web.cwd\": \"nowhere\" is not a directory ("},
      {R"({"apps": {"web": {"upstream": "ftp://127.0.0.1", "routes": ["/"]}}})", "liveproxy.json:1:31: ",
       "\"apps.web.upstream\": \"ftp://127.0.0.1\": "},
      {R"({"apps": {"web": {"upstream": "", "routes": ["/"]}}})", "liveproxy.json:1:31: ", "not empty"},
  };
  for (const auto& e : examples) {
    INFO(e.text);
    const auto message = error_for(e.text);
    CHECK_THAT(message, Catch::StartsWith(e.place) && Catch::Contains(e.says));
  }
}

TEST_CASE("apps: a multi-line file's mistakes name the right line", "[unit][config][apps]") {
  const std::string text =
      "{\n"
      "  \"port\": 3000,\n"
      "  \"apps\": {\n"
      "    \"api\": {\"command\": [\"python3\", \"api.py\"], \"routes\": [\"/api/\"]},\n"
      "    \"web\": {\n"
      "      \"command\": [\"npx\", \"vite\"],\n"
      "      \"routes\": [\"/\"],\n"
      "      \"hot\": true\n"
      "    }\n"
      "  }\n"
      "}\n";
  CHECK_THAT(error_for(text), Catch::StartsWith("liveproxy.json:8:7: unknown key \"hot\" in \"apps.web\""));
  const std::string twice =
      "{\"apps\": {\n"
      "  \"api\": {\"command\": [\"a\"], \"routes\": [\"/\"]},\n"
      "  \"api\": {\"command\": [\"b\"]}\n"
      "}}\n";
  CHECK(error_for(twice) == "liveproxy.json:3:3: \"apps.api\" is given twice (first at 2:3)");
}

TEST_CASE("apps: what the whole set makes wrong", "[unit][config][apps]") {
  CHECK(error_for(R"({"apps": {"css": {"command": ["npx", "tailwindcss", "--watch"]}, "worker": {"command": ["w"]}}})") ==
        "\"apps\": no app has \"routes\", so none answers the browser: give the one that serves the pages "
        "\"routes\": [\"/\"]");
  CHECK(error_for(R"({"apps": {"web": {"command": ["a"], "routes": ["/", "/api/"]},
                               "api": {"command": ["b"], "routes": ["/api/"]}}})") ==
        "the route \"/api/\" is given to both \"web\" and \"api\": each prefix goes to one app");
  CHECK(error_for(R"({"apps": {"web": {"command": ["a"], "routes": ["/"]},
                               "api": {"command": ["b"], "routes": ["/api/"]},
                               "api2": {"upstream": "http://127.0.0.1:8000", "routes": ["/api/"]}}})") ==
        "the route \"/api/\" is given to both \"api\" and \"api2\": each prefix goes to one app");
  // "/api" and "/api/" answer the same paths: given to two apps, the message says so.
  CHECK(error_for(R"({"apps": {"web": {"command": ["a"], "routes": ["/"]},
                               "api": {"command": ["b"], "routes": ["/api/"]},
                               "v2": {"command": ["c"], "routes": ["/api"]}}})") ==
        "the route \"/api\" is given to both \"api\" and \"v2\" (\"/api/\" and \"/api\" answer the same paths): each "
        "prefix goes to one app");
  // A --route on a prefix the file gives an app, or named as one of the file's apps.
  CHECK(error_for(R"({"apps": {"web": {"command": ["a"], "routes": ["/"]}, "backend": {"command": ["b"], "routes": ["/api/"]}}})",
                  {"--route", "/v1/=http://127.0.0.1:8000", "--route", "/api/=http://127.0.0.1:8001"}) ==
        "the route \"/api/\" is given to both \"backend\" and \"api\": each prefix goes to one app");
  CHECK(error_for(R"({"apps": {"web": {"command": ["a"], "routes": ["/"]}}})", {"--route", "/web/=http://127.0.0.1:8000"}) ==
        "two apps are named \"web\": give one of them another name");
  // Side processes alone beside a command on the line are fine: the command answers every path.
  CHECK(error_for(R"({"apps": {"css": {"command": ["npx", "tailwindcss", "--watch"]}}})", {"--", "python3", "app.py"})
            .empty());
}

TEST_CASE("apps: front-end dev servers with their own hot module replacement are recognised by command",
          "[unit][config][apps]") {
  const std::vector<strings> dev_servers{
      {"vite"},
      {"vite", "--port", "{port}", "--strictPort"},
      {"vite", "dev"},
      {"vite", "serve"},
      {"./node_modules/.bin/vite"},
      {"/usr/local/bin/vite", "--host", "127.0.0.1"},
      {"npx", "vite"},
      {"npx", "--yes", "vite", "--port", "{port}"},
      {"npm", "exec", "vite"},
      {"npm", "exec", "--", "vite"},
      {"pnpm", "dlx", "vite"},
      {"pnpm", "exec", "vite"},
      {"yarn", "vite"},
      {"webpack", "serve"},
      {"npx", "webpack", "serve", "--mode", "development"},
      {"webpack-dev-server"},
      {"npx", "webpack-dev-server", "--port", "{port}"},
      {"esbuild", "src/app.js", "--bundle", "--outdir=www", "--serve"},
      {"npx", "esbuild", "app.ts", "--serve=127.0.0.1:{port}", "--servedir=www"},
      {"next", "dev"},
      {"npx", "next", "dev", "-p", "{port}"},
      {"nuxt", "dev"},
      {"npx", "nuxi", "dev"},
      {"astro", "dev"},
      {"npx", "astro", "dev", "--port", "{port}"},
  };
  for (const auto& argv : dev_servers) {
    INFO(shell_quote(argv));
    CHECK(runs_hmr_dev_server(argv));
  }
  const std::vector<strings> others{
      {},
      {"npx"},
      {"vite", "build"},
      {"vite", "preview"},
      {"npx", "vite", "build", "--watch"},
      {"webpack"},
      {"webpack", "--watch"},
      {"webpack", "build"},
      {"npx", "webpack", "--mode", "production"},
      {"esbuild", "app.js", "--bundle", "--watch", "--outfile=out.js"},
      {"next", "build"},
      {"next", "start"},
      {"npx", "next", "start"},
      {"nuxt", "build"},
      {"nuxt", "generate"},
      {"astro", "build"},
      {"astro", "preview"},
      {"npx", "tailwindcss", "-i", "src/in.css", "-o", "static/site.css", "--watch"},
      {"python3", "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"},
      {"node", "server.js"},
      {"node", "vite.config.js"},
      {"python3", "vite.py"},
      {"cargo", "run"},
  };
  for (const auto& argv : others) {
    INFO(shell_quote(argv));
    CHECK_FALSE(runs_hmr_dev_server(argv));
  }
}

TEST_CASE("apps: a dev server given as one command line is recognised too", "[unit][config][apps]") {
  // "command": "npx vite --port {port}" is how many people write it; it is the same Vite.
  temp_dir dir;
  const auto cfg = parse_with_file(dir, R"({"apps": {
    "web": {"command": "npx vite --port {port} --strictPort", "routes": ["/"]},
    "api": {"command": "python3 api.py", "routes": ["/api/"]}}})");
  CHECK(cfg.app_hmr);
  REQUIRE(app_named(cfg, "api"));
  CHECK(app_named(cfg, "api")->hmr == false);
}
