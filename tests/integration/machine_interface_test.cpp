// The machine interface (issue 26) driven as a script or a coding agent drives it: GET /__liveproxy/wait right
// after an edit, `liveproxy wait|status|mcp` finding the running liveproxy by itself, and their answers when the
// app fails, is slow, or nothing runs at all.
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// How liveproxy and its clients run here: in `cwd`, with a runtime directory of the test's own (so that the
/// runtime file is found by the clients and never touches the user's), and no .pyc files written into the
/// watched project.
process_options in(const fs::path& cwd, const temp_dir& runtime, std::string name) {
  return {cwd, {{"XDG_RUNTIME_DIR", runtime.path().string()}, {"PYTHONDONTWRITEBYTECODE", "1"}}, std::move(name)};
}

/// A client command run to its end.
struct cli_result {
  int code = -1;  ///< the exit status; -1 if it did not exit in time or was killed by a signal
  std::string output;
  std::chrono::milliseconds elapsed{0};
};

/// Runs `liveproxy ARGS...` (wait, status, mcp) as a child and waits for it to exit.
cli_result run_cli(std::vector<std::string> args, process_options opts, std::chrono::milliseconds timeout = 60s) {
  args.insert(args.begin(), LIVEPROXY_BINARY);
  const auto start = std::chrono::steady_clock::now();
  process p(std::move(args), std::move(opts));
  const auto status = p.wait_exit(timeout);
  cli_result r;
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  r.output = p.output();
  if (status && WIFEXITED(*status)) r.code = WEXITSTATUS(*status);
  return r;
}

/// `liveproxy mcp` with the given newline-delimited requests on its stdin (process gives a child /dev/null, so
/// the requests come from a file through the shell), run until it has answered them all and stdin ended.
cli_result run_mcp(const std::vector<std::string>& requests, const temp_dir& scratch, process_options opts) {
  std::string text;
  for (const auto& r : requests) text += r + "\n";
  const auto file = scratch / "requests.jsonl";
  write_file(file, text);
  const auto start = std::chrono::steady_clock::now();
  process p({"/bin/sh", "-c", "exec \"$0\" mcp < \"$1\"", LIVEPROXY_BINARY, file.string()}, std::move(opts));
  const auto status = p.wait_exit(120s);
  cli_result r;
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  r.output = p.output();
  if (status && WIFEXITED(*status)) r.code = WEXITSTATUS(*status);
  return r;
}

/// One JSON-RPC request line.
std::string rpc(int id, std::string_view method, std::string_view params = "{}") {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + std::string(method) +
         R"(","params":)" + std::string(params) + "}";
}

/// A tools/call request line.
std::string tool_call(int id, std::string_view tool, std::string_view arguments = "{}") {
  return rpc(id, "tools/call", R"({"name":")" + std::string(tool) + R"(","arguments":)" + std::string(arguments) + "}");
}

/// The JSON-RPC replies in an MCP server's output, each line by its id.
std::map<std::int64_t, std::string> replies_by_id(const std::string& output) {
  std::map<std::int64_t, std::string> out;
  simdjson::dom::parser parser;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("{")) continue;
    simdjson::dom::element doc;
    std::int64_t id = 0;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS || doc["id"].get(id) != simdjson::SUCCESS) continue;
    out[id] = line;
  }
  return out;
}

/// What a tools/call answered: its one text item and isError.
struct tool_reply {
  bool well_formed = false;
  std::string text;
  bool is_error = false;
};

tool_reply tool_result(const std::string& line) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  tool_reply r;
  std::string_view type, text;
  if (parser.parse(line).get(doc) != simdjson::SUCCESS) return r;
  const auto result = doc["result"];
  if (result["content"].at(0)["type"].get(type) != simdjson::SUCCESS ||
      result["content"].at(0)["text"].get(text) != simdjson::SUCCESS ||
      result["isError"].get(r.is_error) != simdjson::SUCCESS)
    return r;
  r.well_formed = type == "text";
  r.text = std::string(text);
  return r;
}

/// A fresh `django-admin startproject mysite .`, as a new user makes one.
void start_django_project(const temp_dir& dir) {
  process make({"/usr/bin/python3", "-m", "django", "startproject", "mysite", "."}, {dir.path(), {}, "startproject"});
  REQUIRE(make.wait_exit(30s) == 0);
}

/// Appends text to a file in one write, as an editor saves, and returns the number of the file's last line.
int append_lines(const fs::path& file, std::string_view text) {
  const auto content = read_file(file) + std::string(text);
  write_file(file, content);
  return static_cast<int>(std::count(content.begin(), content.end(), '\n'));
}

/// A small app on $PORT that sleeps DELAY seconds before it listens: a slow start made to order.
std::string slow_app(int delay_seconds) {
  return "import http.server, os, time\nDELAY = " + std::to_string(delay_seconds) + R"src(
time.sleep(DELAY)
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        body = ("app delay %d" % DELAY).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H)
print("app listening after %d s" % DELAY, flush=True)
srv.serve_forever()
)src";
}

/// A loopback port nothing listens on (bound, read back and closed again).
unsigned short free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::address_v4::loopback(), 0});
  return acceptor.local_endpoint().port();
}

/// The runtime files under a runtime directory: one per running liveproxy.
std::vector<fs::path> runtime_files(const temp_dir& runtime) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(runtime / "liveproxy", ec))
    if (e.path().extension() == ".json") out.push_back(e.path());
  return out;
}

bool contains(const std::string& text, std::string_view needle) { return text.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("wait on a fresh Django project answers once the edit is live: the request right after it sees the new "
          "route, three edits in a row",
          "[integration][net][fs][wait]") {
  temp_dir dir("liveproxy-wait-django"), runtime("liveproxy-wait-run");
  start_django_project(dir);
  // Plain `liveproxy`: it finds the Django project itself.
  liveproxy_process proxy({"--port", "0"}, in(dir.path(), runtime, "liveproxy"), 30s);
  INFO(proxy.proc().output());
  // The first start is not what is tested: the app is up before the first edit.
  REQUIRE(http_get(proxy.port(), "/__liveproxy/wait", {}, 40s).status == 200);

  simdjson::dom::parser parser;
  for (int i = 1; i <= 3; ++i) {
    const auto route = "fresh" + std::to_string(i) + "/";
    const auto answer = "fresh answer " + std::to_string(i);
    append_lines(dir / "mysite/urls.py", "\nfrom django.http import HttpResponse\nurlpatterns.append(path(\"" + route +
                                             "\", lambda r: HttpResponse(\"" + answer +
                                             "\", content_type=\"text/plain\")))\n");
    // At once, no sleep: the wait itself must cover a change written just before it was asked.
    const auto waited = http_get(proxy.port(), "/__liveproxy/wait", {}, 40s);
    const auto fresh = http_get(proxy.port(), "/" + route, {}, 10s);
    INFO("edit " << i << ": wait answered " << waited.status << " " << waited.body);
    REQUIRE(waited.status == 200);
    CHECK(waited.header("Content-Type") == "application/json");
    CHECK(fresh.status == 200);
    CHECK(fresh.body == answer);

    simdjson::dom::element doc;
    REQUIRE(parser.parse(waited.body).get(doc) == simdjson::SUCCESS);
    bool settled = false, timed_out = true;
    CHECK(doc["settled"].get(settled) == simdjson::SUCCESS);
    CHECK(settled);
    CHECK(doc["timed_out"].get(timed_out) == simdjson::SUCCESS);
    CHECK_FALSE(timed_out);
    CHECK(doc["restart_ms"].is_number());
    CHECK(doc["error"].is_null());
    std::string_view state;
    CHECK(doc["app"]["state"].get(state) == simdjson::SUCCESS);
    CHECK(state == "running");
    // The wait names the edit it covered and what was done for it.
    simdjson::dom::array changes;
    REQUIRE(doc["changes"].get(changes) == simdjson::SUCCESS);
    bool covered = false;
    for (const auto c : changes) {
      std::string_view files, action, outcome;
      if (c["files"].get(files) != simdjson::SUCCESS || c["action"].get(action) != simdjson::SUCCESS ||
          c["outcome"].get(outcome) != simdjson::SUCCESS)
        continue;
      covered = covered || (contains(std::string(files), "mysite/urls.py") && action == "restart" &&
                            outcome.starts_with("restarted") && c["before_wait"].error() != simdjson::SUCCESS);
    }
    CHECK(covered);
  }
}

TEST_CASE("liveproxy wait finds liveproxy from the project and below it, exits 1 with the SyntaxError and its "
          "file:line, and 0 once the edit is fixed",
          "[integration][net][fs][wait]") {
  temp_dir dir("liveproxy-wait-broken"), runtime("liveproxy-wait-run");
  start_django_project(dir);
  liveproxy_process proxy({"--port", "0"}, in(dir.path(), runtime, "liveproxy"), 30s);
  INFO(proxy.proc().output());
  // No --port: the runtime file liveproxy wrote says where it is.
  const auto first = run_cli({"wait"}, in(dir.path(), runtime, "liveproxy wait"));
  INFO(first.output);
  REQUIRE(first.code == 0);
  CHECK(first.output.starts_with("live: the app is running (pid "));

  const auto urls = dir / "mysite/urls.py";
  const auto original = read_file(urls);
  const int line = append_lines(urls, "urlpatterns.append(path(\"broken/\", lambda r: None)\n");
  const auto broken = run_cli({"wait"}, in(dir.path(), runtime, "liveproxy wait"));
  INFO(broken.output);
  CHECK(broken.code == 1);
  CHECK(contains(broken.output, "the app failed: SyntaxError"));
  CHECK(contains(broken.output, "  at mysite/urls.py:" + std::to_string(line) + "\n"));
  CHECK(contains(broken.output, "last output:"));
  // Long before the wait's 30 s: a crash settles the wait.
  CHECK(broken.elapsed < 20s);

  write_file(urls, original);
  // From a subdirectory of the project, as an editor's terminal often is.
  const auto fixed = run_cli({"wait"}, in(dir / "mysite", runtime, "liveproxy wait"));
  INFO(fixed.output);
  CHECK(fixed.code == 0);
  CHECK(fixed.output.starts_with("live: the app is running"));
  // A new process on the fixed code. (Whether the line also names the edit depends on whether the restart was
  // over before this wait began, which a busy machine decides.)
  CHECK(fixed.output.substr(0, fixed.output.find(')')) != first.output.substr(0, first.output.find(')')));
  CHECK(http_get(proxy.port(), "/admin/", {}, 10s).status == 302);
}

TEST_CASE("liveproxy mcp over stdio: initialize, the six tools, wait_until_live, app_output, status and "
          "restart_app answer as an agent expects",
          "[integration][net][fs][wait]") {
  temp_dir dir("liveproxy-mcp"), runtime("liveproxy-wait-run"), scratch("liveproxy-mcp-requests");
  start_django_project(dir);
  liveproxy_process proxy({"--port", "0"}, in(dir.path(), runtime, "liveproxy"), 30s);
  INFO(proxy.proc().output());

  const auto mcp = run_mcp(
      {rpc(1, "initialize",
           R"({"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}})"),
       R"({"jsonrpc":"2.0","method":"notifications/initialized"})", rpc(2, "tools/list"),
       tool_call(3, "wait_until_live", R"({"timeout":60})"), tool_call(4, "app_output", R"({"lines":50})"),
       tool_call(5, "status"), tool_call(6, "restart_app"), tool_call(7, "wait_until_live", R"({"timeout":60})")},
      scratch, in(dir.path(), runtime, "liveproxy mcp"));
  INFO(mcp.output);
  CHECK(mcp.code == 0);
  const auto replies = replies_by_id(mcp.output);
  // One reply per request; none to the notification.
  CHECK(replies.size() == 7);

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view server;
  REQUIRE(replies.contains(1));
  REQUIRE(parser.parse(replies.at(1)).get(doc) == simdjson::SUCCESS);
  CHECK(doc["result"]["serverInfo"]["name"].get(server) == simdjson::SUCCESS);
  CHECK(server == "liveproxy");

  REQUIRE(replies.contains(2));
  REQUIRE(parser.parse(replies.at(2)).get(doc) == simdjson::SUCCESS);
  std::set<std::string> names;
  simdjson::dom::array tools;
  REQUIRE(doc["result"]["tools"].get(tools) == simdjson::SUCCESS);
  for (const auto t : tools) {
    std::string_view name;
    if (t["name"].get(name) == simdjson::SUCCESS) names.emplace(name);
  }
  CHECK(names == std::set<std::string>{"status", "wait_until_live", "app_output", "browser_console", "restart_app",
                                       "recent_changes"});

  const auto live = tool_result(replies.contains(3) ? replies.at(3) : "");
  CHECK(live.well_formed);
  CHECK_FALSE(live.is_error);
  CHECK(live.text.starts_with("live: the app is running (pid "));

  const auto output = tool_result(replies.contains(4) ? replies.at(4) : "");
  CHECK(output.well_formed);
  CHECK_FALSE(output.is_error);
  CHECK(contains(output.text, "Quit the server with CONTROL-C."));

  const auto status = tool_result(replies.contains(5) ? replies.at(5) : "");
  CHECK(status.well_formed);
  CHECK_FALSE(status.is_error);
  CHECK(contains(status.text, "liveproxy " + proxy.url()));
  CHECK(contains(status.text, "\napp: running, pid "));

  const auto restart = tool_result(replies.contains(6) ? replies.at(6) : "");
  CHECK(restart.well_formed);
  CHECK_FALSE(restart.is_error);
  CHECK(contains(restart.text, "wait_until_live"));

  // The wait after restart_app covers the restart: it answers on a new process.
  const auto again = tool_result(replies.contains(7) ? replies.at(7) : "");
  CHECK(again.well_formed);
  CHECK_FALSE(again.is_error);
  const std::regex pid(R"(\(pid (\d+)\))");
  std::smatch before, after;
  REQUIRE(std::regex_search(live.text, before, pid));
  REQUIRE(std::regex_search(again.text, after, pid));
  CHECK(before[1] != after[1]);
}

TEST_CASE("wait refuses a foreign Host, a page of another origin or without the token, and a bad timeout",
          "[integration][net][fs][wait]") {
  temp_dir dir("liveproxy-wait-guard"), runtime("liveproxy-wait-run");
  write_file(dir / "app.py", slow_app(0));
  liveproxy_process proxy({"--port", "0", "--", "/usr/bin/python3", "app.py"}, in(dir.path(), runtime, "liveproxy"));
  INFO(proxy.proc().output());
  const auto port = proxy.port();
  // The token a page of ours carries, read as the status page shows it.
  const auto page = http_get(port, "/__liveproxy/", {}, 10s);
  std::smatch m;
  REQUIRE(std::regex_search(page.body, m, std::regex(R"(name="liveproxy-token" content="([0-9a-f]+)\")")));
  const std::string token = m[1];
  const std::string own_origin = "http://127.0.0.1:" + std::to_string(port);

  // A DNS-rebinding page names its own Host.
  CHECK(http_get(port, "/__liveproxy/wait?timeout=0", {{"Host", "evil.example"}}, 10s).status == 403);
  // A browser page of another site, with or without the token; another local server's page without it.
  CHECK(http_get(port, "/__liveproxy/wait?timeout=0", {{"Origin", "http://evil.example"}}, 10s).status == 403);
  CHECK(http_get(port, "/__liveproxy/wait?timeout=0&token=" + token, {{"Origin", "http://evil.example"}}, 10s)
            .status == 403);
  CHECK(http_get(port, "/__liveproxy/wait?timeout=0", {{"Origin", "http://localhost:5173"}}, 10s).status == 403);
  CHECK(http_get(port, "/__liveproxy/wait?timeout=0", {{"Origin", own_origin}}, 10s).status == 403);
  CHECK(http_get(port, "/__liveproxy/wait?timeout=0&token=0123", {{"Origin", own_origin}}, 10s).status == 403);
  // Our own page with this run's token, in the query or the header; a script, with no Origin, needs none.
  CHECK(http_get(port, "/__liveproxy/wait?timeout=20&token=" + token, {{"Origin", own_origin}}, 30s).status == 200);
  CHECK(http_get(port, "/__liveproxy/wait?timeout=20", {{"Origin", own_origin}, {"X-Liveproxy-Token", token}}, 30s)
            .status == 200);
  CHECK(http_get(port, "/__liveproxy/wait?timeout=20", {}, 30s).status == 200);

  for (const std::string bad : {"abc", "-1", "601", "1e9", "", "5s"}) {
    const auto r = http_get(port, "/__liveproxy/wait?timeout=" + bad, {}, 10s);
    INFO("timeout=" << bad << ": " << r.body);
    // An empty value is the default (30 s) and would wait on a settled app: it answers at once.
    CHECK(r.status == (bad.empty() ? 200 : 400));
  }
}

TEST_CASE("liveproxy wait --timeout gives up with 124 while a slow app starts, and exits 0 once it listens",
          "[integration][net][fs][wait]") {
  temp_dir dir("liveproxy-wait-slow"), runtime("liveproxy-wait-run");
  write_file(dir / "app.py", slow_app(0));
  liveproxy_process proxy({"--port", "0", "--", "/usr/bin/python3", "app.py"}, in(dir.path(), runtime, "liveproxy"));
  INFO(proxy.proc().output());
  const auto port = std::to_string(proxy.port());
  REQUIRE(run_cli({"wait", "--port", port, "--timeout", "20"}, in(dir.path(), runtime, "liveproxy wait")).code == 0);

  // The new code sleeps 3 s before it listens.
  write_file(dir / "app.py", slow_app(3));
  const auto early = run_cli({"wait", "--port", port, "--timeout", "0.5"}, in(dir.path(), runtime, "liveproxy wait"));
  INFO(early.output);
  CHECK(early.code == 124);
  CHECK(contains(early.output, "not live after 0 s: the app is starting"));
  CHECK(early.elapsed < 2500ms);
  // The same over HTTP: the snapshot says it timed out and not settled.
  const auto json = http_get(proxy.port(), "/__liveproxy/wait?timeout=0.2", {}, 10s);
  INFO(json.body);
  CHECK(json.status == 200);
  CHECK(contains(json.body, R"("settled":false,"timed_out":true)"));

  const auto late = run_cli({"wait", "--port", port, "--timeout", "20"}, in(dir.path(), runtime, "liveproxy wait"));
  INFO(late.output);
  CHECK(late.code == 0);
  CHECK(late.output.starts_with("live: the app is running"));
  CHECK(http_get(proxy.port(), "/", {}, 10s).body == "app delay 3");
}

TEST_CASE("with no liveproxy running, wait, status and mcp say so and how to start it, exit 3, and usage errors "
          "exit 2",
          "[integration][net][fs][wait]") {
  temp_dir dir("liveproxy-wait-none"), runtime("liveproxy-wait-run"), scratch("liveproxy-mcp-requests");
  const auto here = in(dir.path(), runtime, "liveproxy client");
  const auto advice = "Start it in " + dir.path().string() + " with `liveproxy`";

  const auto wait = run_cli({"wait"}, here);
  INFO(wait.output);
  CHECK(wait.code == 3);
  CHECK(contains(wait.output, "liveproxy is not running here"));
  CHECK(contains(wait.output, advice));

  const auto status = run_cli({"status"}, here);
  INFO(status.output);
  CHECK(status.code == 3);
  CHECK(contains(status.output, "liveproxy is not running here"));
  CHECK(contains(status.output, advice));

  const auto mcp = run_mcp({rpc(1, "initialize", R"({"protocolVersion":"2025-06-18","capabilities":{}})"),
                            tool_call(2, "status"), tool_call(3, "wait_until_live", R"({"timeout":1})")},
                           scratch, here);
  INFO(mcp.output);
  CHECK(mcp.code == 0);
  const auto replies = replies_by_id(mcp.output);
  for (const std::int64_t id : {2, 3}) {
    const auto r = tool_result(replies.contains(id) ? replies.at(id) : "");
    CHECK(r.well_formed);
    CHECK(r.is_error);
    CHECK(contains(r.text, "liveproxy is not running here"));
    CHECK(contains(r.text, advice));
  }

  // A port nothing listens on: said at once, the same way.
  const auto nobody = std::to_string(free_port());
  const auto refused = run_cli({"wait", "--port", nobody}, here);
  INFO(refused.output);
  CHECK(refused.code == 3);
  CHECK(contains(refused.output, "nothing answers on port " + nobody));
  CHECK(refused.elapsed < 10s);

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"wait", "--timeout", "abc"}, {"wait", "--bogus"}, {"status", "--port", "0"}, {"wait", "--port"}}) {
    const auto usage = run_cli(args, here);
    INFO(args.front() << " " << args.at(1) << ": " << usage.output);
    CHECK(usage.code == 2);
  }
}

TEST_CASE("liveproxy status in text and JSON, found by the runtime file or liveproxy.json's port, and the runtime "
          "file gone after Ctrl-C",
          "[integration][net][fs][wait]") {
  temp_dir dir("liveproxy-status"), runtime("liveproxy-wait-run"), elsewhere("liveproxy-status-config"),
      no_runtime("liveproxy-wait-run-empty");
  write_file(dir / "app.py", slow_app(0));
  liveproxy_process proxy({"--port", "0", "--", "/usr/bin/python3", "app.py"}, in(dir.path(), runtime, "liveproxy"));
  INFO(proxy.proc().output());
  const auto port = std::to_string(proxy.port());

  // The runtime file: one, naming this liveproxy, its port and the project it was started in.
  const auto files = runtime_files(runtime);
  REQUIRE(files.size() == 1);
  const auto record = read_file(files.front());
  INFO(record);
  CHECK(contains(record, "\"port\":" + port));
  CHECK(contains(record, "\"pid\":" + std::to_string(proxy.proc().pid())));
  CHECK(contains(record, "\"project\":\"" + fs::canonical(dir.path()).string() + "\""));

  REQUIRE(run_cli({"wait"}, in(dir.path(), runtime, "liveproxy wait")).code == 0);
  const auto text = run_cli({"status"}, in(dir.path(), runtime, "liveproxy status"));
  INFO(text.output);
  CHECK(text.code == 0);
  CHECK(text.output.starts_with("liveproxy " + proxy.url() + " -> "));
  CHECK(contains(text.output, "\napp: running, pid "));
  CHECK(contains(text.output, "/usr/bin/python3 app.py"));
  CHECK(contains(text.output, "\noutput:\n"));
  CHECK(contains(text.output, "app listening after 0 s"));

  const auto json = run_cli({"status", "--json"}, in(dir.path(), runtime, "liveproxy status --json"));
  INFO(json.output);
  CHECK(json.code == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json.output).get(doc) == simdjson::SUCCESS);
  std::string_view type, url, state;
  CHECK(doc["type"].get(type) == simdjson::SUCCESS);
  CHECK(type == "status");
  CHECK(doc["url"].get(url) == simdjson::SUCCESS);
  CHECK(url == proxy.url());
  CHECK(doc["app"]["state"].get(state) == simdjson::SUCCESS);
  CHECK(state == "running");

  // Elsewhere, with no runtime file to find, liveproxy.json's "port" says where it runs.
  write_file(elsewhere / "liveproxy.json", "{\"port\": " + port + "}\n");
  const auto by_config = run_cli({"status"}, in(elsewhere.path(), no_runtime, "liveproxy status"));
  INFO(by_config.output);
  CHECK(by_config.code == 0);
  CHECK(by_config.output.starts_with("liveproxy " + proxy.url()));

  // Ctrl-C: liveproxy exits 0 and takes its runtime file with it, so no client finds a stale port.
  proxy.proc().signal(SIGINT);
  const auto exit = proxy.proc().wait_exit(20s);
  REQUIRE(exit);
  CHECK(WIFEXITED(*exit));
  CHECK(WEXITSTATUS(*exit) == 0);
  CHECK(runtime_files(runtime).empty());
  const auto after = run_cli({"wait"}, in(dir.path(), runtime, "liveproxy wait"));
  INFO(after.output);
  CHECK(after.code == 3);
  CHECK(contains(after.output, "liveproxy is not running here"));
}
