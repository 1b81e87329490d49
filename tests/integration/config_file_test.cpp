// liveproxy.json through the real binary: found in the current directory, the command line over it, a broken
// file refused before anything starts, and edits applied while running (a broken edit keeps the old settings).
#include "support/flat_json.hpp"
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// The test app in a fresh directory, with a liveproxy.json.
struct project {
  temp_dir dir{"liveproxy-config"};
  temp_dir state{"liveproxy-config-state"};
  explicit project(const std::string& json) {
    fs::copy(fs::path(LIVEPROXY_SOURCE_DIR) / "tests/integration/apps", dir.path(), fs::copy_options::recursive);
    write_file(dir / "liveproxy.json", json);
  }
  process_options opts() const {
    process_options o;
    o.cwd = dir.path();
    o.env = {{"TEST_APP_STATE_DIR", state.path().string()}, {"PYTHONDONTWRITEBYTECODE", "1"}};
    return o;
  }
};

std::string argv_of(unsigned short port) {
  const auto res = http_get(port, "/info", {}, 5s);
  const auto info = parse_flat_json(res.body);
  return info ? info->at("argv") : "";
}

}  // namespace

TEST_CASE("liveproxy.json in the current directory says what to run", "[integration][config]") {
  project p(R"({
  "$schema": "./liveproxy.schema.json",
  "command": ["/usr/bin/python3", "test_app.py", "{port}", "--tag=from-file"],
  "hold_timeout": 5,
  "rules": [{"glob": "greeting.py", "action": "reload"}]
})");
  liveproxy_process proxy({"--port", "0"}, p.opts());
  REQUIRE(wait_until([&] { return http_get(proxy.port(), "/pid", {}, 2s).status == 200; }, 15s, 50ms));
  CHECK(proxy.proc().output().find("settings from liveproxy.json") != std::string::npos);
  CHECK(argv_of(proxy.port()).find("--tag=from-file") != std::string::npos);
  // The file's rule: greeting.py reloads the page instead of restarting the app.
  ws_client ws(proxy.port());
  REQUIRE(ws.read_json_message(5s));
  write_file(p.dir / "greeting.py", "GREETING = 'edited'\n");
  const auto msg = ws.read_json_message(10s);
  REQUIRE(msg);
  CHECK(msg->at("type") == "reload");
}

TEST_CASE("the command line wins over liveproxy.json", "[integration][config]") {
  project p(R"({"command": ["/usr/bin/python3", "test_app.py", "{port}", "--tag=from-file"]})");
  liveproxy_process proxy({"--port", "0", "--", "/usr/bin/python3", "test_app.py", "{port}", "--tag=from-cli"}, p.opts());
  REQUIRE(wait_until([&] { return http_get(proxy.port(), "/pid", {}, 2s).status == 200; }, 15s, 50ms));
  CHECK(argv_of(proxy.port()).find("--tag=from-cli") != std::string::npos);
}

TEST_CASE("a broken liveproxy.json names file, line and column, and nothing starts", "[integration][config]") {
  project p("{\n  \"command\": [\"/usr/bin/python3\", \"test_app.py\", \"{port}\"],\n  \"hold_timout\": 3\n}\n");
  process proxy({LIVEPROXY_BINARY, "--port", "0"}, p.opts());
  const auto status = proxy.wait_exit(10s);
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) == 2);
  INFO(proxy.output());
  CHECK(proxy.output().find("liveproxy.json:3:3: unknown key \"hold_timout\": did you mean \"hold_timeout\"?") !=
        std::string::npos);
  CHECK(proxy.output().find("starting app") == std::string::npos);
}

TEST_CASE("editing liveproxy.json while running applies it, and a broken edit keeps the old settings",
          "[integration][config]") {
  project p(R"({"command": ["/usr/bin/python3", "test_app.py", "{port}", "--tag=one"]})");
  liveproxy_process proxy({"--port", "0"}, p.opts());
  REQUIRE(wait_until([&] { return argv_of(proxy.port()).find("--tag=one") != std::string::npos; }, 15s, 50ms));

  write_file(p.dir / "liveproxy.json", R"({"command": ["/usr/bin/python3", "test_app.py", "{port}", "--tag=two"]})");
  CHECK(wait_until([&] { return argv_of(proxy.port()).find("--tag=two") != std::string::npos; }, 15s, 100ms));
  CHECK(proxy.proc().output().find("liveproxy.json changed") != std::string::npos);

  const auto before = http_get(proxy.port(), "/pid").body;
  const auto mark = proxy.proc().output().size();
  write_file(p.dir / "liveproxy.json", R"({"command": ["/usr/bin/python3", "test_app.py", "{port}", "--tag=three"],})");
  REQUIRE(proxy.proc().wait_for_output("the previous settings stay in force", 10s, mark));
  CHECK(proxy.proc().output().find("liveproxy.json:1:", mark) != std::string::npos);
  CHECK(http_get(proxy.port(), "/pid").body == before);  // not restarted
  CHECK(argv_of(proxy.port()).find("--tag=two") != std::string::npos);
}

TEST_CASE("liveproxy init writes a liveproxy.json for the project, with its schema beside it", "[integration][config]") {
  temp_dir dir("liveproxy-init");
  process_options o;
  o.cwd = dir.path();
  process make({"/usr/bin/python3", "-m", "django", "startproject", "mysite", "."}, o);
  REQUIRE(make.wait_exit(30s) == 0);
  process init({LIVEPROXY_BINARY, "init"}, o);
  REQUIRE(init.wait_exit(30s) == 0);
  const auto json = read_file(dir / "liveproxy.json");
  INFO(json);
  CHECK(json.find("\"$schema\": \"./liveproxy.schema.json\"") != std::string::npos);
  CHECK(json.find("\"runserver\", \"--noreload\", \"127.0.0.1:{port}\"") != std::string::npos);
  CHECK(read_file(dir / "liveproxy.schema.json").find("draft-07") != std::string::npos);
  process again({LIVEPROXY_BINARY, "init"}, o);
  CHECK(again.wait_exit(30s) == 256);  // never over an existing file
  // And the file it wrote runs the project.
  liveproxy_process proxy({"--port", "0"}, o);
  CHECK(wait_until([&] { return http_get(proxy.port(), "/", {}, 3s).status == 200; }, 30s, 100ms));
}
