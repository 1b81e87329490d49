// The test helpers themselves, checked against the test app and small scripts (no liveproxy involved),
// so a failing integration test points at the product, not at its tools.
#include "support/flat_json.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <csignal>
#include <regex>
#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

const std::string python = "/usr/bin/python3";

std::string app_script() { return std::string(LIVEPROXY_SOURCE_DIR) + "/tests/integration/apps/test_app.py"; }

// Starts the test app directly on a port of its choice and returns that port (0 on failure).
unsigned short start_app_directly(process& app) {
  static const std::regex listening(R"(listening on 127\.0\.0\.1:(\d+))");
  const auto m = app.wait_for_output(listening, 10s);
  if (!m) return 0;
  const auto port = static_cast<unsigned short>(std::stoul(m->groups[1]));
  // The line comes just before listen(): wait until the port accepts connections.
  const bool up = wait_until([&] { return http_client(port, 500ms).connect_error().empty(); }, 5s, 10ms);
  return up ? port : 0;
}

}  // namespace

TEST_CASE("process captures output and exit status and sees env and cwd", "[integration][support]") {
  temp_dir dir;
  process p({"/bin/sh", "-c", "echo out-$GREETING; echo err-line >&2; pwd; exit 7"},
            {dir.path(), {{"GREETING", "hi"}}, "sh"});
  const auto status = p.wait_exit(5s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 7);
  CHECK(p.wait_for_output("out-hi\n", 2s));
  CHECK(p.wait_for_output("err-line\n", 2s));
  CHECK(p.wait_for_output(dir.path().string(), 2s));
  CHECK_FALSE(p.wait_for_output("never printed", 50ms));
}

TEST_CASE("process output can be awaited from an offset", "[integration][support]") {
  process p({"/bin/sh", "-c", "echo tick 1; read -t 0.2 x; echo tick 2"});
  const auto first = p.wait_for_output(std::regex(R"(tick (\d))"), 5s);
  REQUIRE(first);
  CHECK(first->groups[1] == "1");
  const auto second = p.wait_for_output(std::regex(R"(tick (\d))"), 5s, first->end);
  REQUIRE(second);
  CHECK(second->groups[1] == "2");
}

TEST_CASE("destroying a process kills its whole group", "[integration][support]") {
  pid_t leader = 0;
  pid_t grandchild = 0;
  {
    process p({"/bin/sh", "-c", "sleep 30 & echo child=$!; wait"});
    const auto m = p.wait_for_output(std::regex(R"(child=(\d+))"), 5s);
    REQUIRE(m);
    leader = p.pid();
    grandchild = static_cast<pid_t>(std::stol(m->groups[1]));
    CHECK_FALSE(process_is_gone(grandchild));
  }
  CHECK(process_is_gone(leader));
  CHECK(wait_until([&] { return process_is_gone(grandchild); }, 3s));
  CHECK(process_group_is_gone(leader));
}

TEST_CASE("a process that ignores SIGTERM is killed after the grace period", "[integration][support]") {
  process p({"/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"});
  REQUIRE(p.wait_for_output("ready", 5s));
  const auto started = std::chrono::steady_clock::now();
  p.stop(300ms);
  CHECK(p.exited());
  CHECK(std::chrono::steady_clock::now() - started < 3s);
}

TEST_CASE("http_client talks HTTP/1.1 keep-alive to the test app", "[integration][support][net]") {
  temp_dir state;
  process app({python, app_script(), "0"}, {{}, {{"TEST_APP_STATE_DIR", state.path().string()}}, "test_app"});
  const auto port = start_app_directly(app);
  REQUIRE(port != 0);

  http_client client(port);
  REQUIRE(client.connect_error().empty());
  const auto pid = client.get("/pid");
  REQUIRE(pid.ok());
  CHECK(pid.status == 200);
  CHECK(pid.body == std::to_string(app.pid()));
  CHECK(pid.keep_alive);
  const auto page = client.get("/");
  REQUIRE(page.ok());
  CHECK(page.header("Content-Type").find("text/html") == 0);
  const auto chunked = client.get("/chunked-html");
  REQUIRE(chunked.ok());
  CHECK(chunked.body.find("chunked body") != std::string::npos);
  const auto headers = client.get("/headers", {{"Host", "example.localhost:1"}, {"X-Test", "yes"}});
  const auto echoed = parse_flat_json(headers.body);
  REQUIRE(echoed);
  CHECK(find_ignoring_case(*echoed, "host") == "example.localhost:1");
  CHECK(find_ignoring_case(*echoed, "x-test") == "yes");
  CHECK(client.is_open());

  SECTION("timeouts end a request that takes too long") {
    http_client slow(port, 200ms);
    const auto res = slow.get("/slow?ms=2000");
    CHECK_FALSE(res.ok());
    CHECK(res.elapsed < 1500ms);
  }
  SECTION("nothing listening is an error, not a hang") {
    app.stop();
    const auto res = http_get(port, "/pid", {}, 2s);
    CHECK_FALSE(res.ok());
  }
  SECTION("the app writes its markers") {
    CHECK(std::filesystem::exists(state.path() / ("listening." + std::to_string(app.pid()))));
    app.signal(SIGTERM);
    CHECK(wait_until([&] { return std::filesystem::exists(state.path() / ("stopped." + std::to_string(app.pid()))); }, 5s));
  }
}

TEST_CASE("ws_client does the handshake and reads JSON and reports refusals", "[integration][support][net]") {
  // A reload-hub stand-in: says hello, then refuses any client whose Origin is not loopback.
  const std::string server = R"(
import asyncio, http, websockets
async def handler(ws, path):
    await ws.send('{"type": "hello", "instance": "ab12", "generation": 3}')
    await ws.send('{"type":"css","path":"/static/a\u00e9.css"}')
    await asyncio.sleep(5)
async def check(path, headers):
    if 'evil' in headers.get('Origin', ''):
        return http.HTTPStatus.FORBIDDEN, [], b'no'
async def main():
    async with websockets.serve(handler, '127.0.0.1', 0, process_request=check) as s:
        print('port', s.sockets[0].getsockname()[1], flush=True)
        await asyncio.sleep(30)
asyncio.run(main())
)";
  process p({python, "-c", server}, {{}, {}, "ws stand-in"});
  const auto m = p.wait_for_output(std::regex(R"(port (\d+))"), 10s);
  REQUIRE(m);
  const auto port = static_cast<unsigned short>(std::stoul(m->groups[1]));

  ws_client ok(port, {"/", "", "http://127.0.0.1", 5s, ""});
  INFO(ok.error());
  REQUIRE(ok.connected());
  CHECK(ok.handshake_status() == 101);
  const auto hello = ok.read_json_message(5s);
  REQUIRE(hello);
  CHECK(hello->at("type") == "hello");
  CHECK(hello->at("generation") == "3");
  const auto css = ok.read_json_message(5s);
  REQUIRE(css);
  CHECK(css->at("path") == "/static/a\xc3\xa9.css");
  const auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(ok.read_message(200ms));
  CHECK(std::chrono::steady_clock::now() - started < 2s);

  ws_client refused(port, {"/", "", "http://evil.example", 5s, ""});
  CHECK_FALSE(refused.connected());
  CHECK(refused.handshake_status() == 403);
}

TEST_CASE("parse_flat_json is strict about shape", "[integration][support]") {
  const auto ok = parse_flat_json(R"( {"a":"x\"y","n": 12, "t":true, "arr":[1,"]",{"k":"}"}], "o":{}} )");
  REQUIRE(ok);
  CHECK(ok->at("a") == "x\"y");
  CHECK(ok->at("n") == "12");
  CHECK(ok->at("t") == "true");
  CHECK(ok->at("arr") == R"([1,"]",{"k":"}"}])");
  CHECK(ok->at("o") == "{}");
  CHECK_FALSE(parse_flat_json(R"({"a":1,})"));
  CHECK_FALSE(parse_flat_json(R"({"a":1} trailing)"));
  CHECK_FALSE(parse_flat_json("not json"));
}
