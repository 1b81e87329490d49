// The MCP session fed lines as a client writes them: envelopes, version agreement, the tool list, argument checks.
#include "proxy/control/mcp_session.hpp"

#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>
#include <vector>

#include "proxy/settings/json_document.hpp"

using namespace liveproxy;
using kind = json::node::kind;

namespace {

/// Records each call with its arguments ("app_output(50,err)") and answers the canned result.
struct recording_tools : mcp_tools {
  std::vector<std::string> calls;
  mcp_tool_result canned{"done", false};

  mcp_tool_result status() override { return record("status()"); }
  mcp_tool_result wait_until_live(int timeout_seconds) override {
    return record("wait_until_live(" + std::to_string(timeout_seconds) + ")");
  }
  mcp_tool_result app_output(int lines, const std::string& filter) override {
    return record("app_output(" + std::to_string(lines) + "," + filter + ")");
  }
  mcp_tool_result browser_console(int limit) override {
    return record("browser_console(" + std::to_string(limit) + ")");
  }
  mcp_tool_result restart_app(const std::string& app) override { return record("restart_app(" + app + ")"); }
  mcp_tool_result recent_changes(int limit) override {
    return record("recent_changes(" + std::to_string(limit) + ")");
  }

 private:
  mcp_tool_result record(std::string call) {
    calls.push_back(std::move(call));
    return canned;
  }
};

/// The session's answer to a line, parsed: it must answer, with one line of JSON, an object.
json::node reply(mcp_session& session, std::string_view line) {
  INFO(line);
  const auto out = session.handle(line);
  REQUIRE(out);
  INFO(*out);
  CHECK(out->find('\n') == std::string::npos);
  auto parsed = json::parse(*out);
  REQUIRE(parsed.root);
  REQUIRE(parsed.root->type == kind::object);
  return std::move(*parsed.root);
}

const json::node* member(const json::node& n, std::string_view key) {
  for (const auto& m : n.members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

/// The value at a path of keys; the test fails when one is missing.
const json::node& at(const json::node& n, std::initializer_list<std::string_view> keys) {
  const json::node* here = &n;
  for (const auto key : keys) {
    INFO("key " << key);
    here = member(*here, key);
    REQUIRE(here != nullptr);
  }
  return *here;
}

int rpc_code(const json::node& r) { return static_cast<int>(at(r, {"error", "code"}).number); }
const std::string& rpc_message(const json::node& r) { return at(r, {"error", "message"}).text; }

std::string call_line(std::string_view tool, std::string_view arguments = "") {
  std::string line = R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":")" + std::string(tool) + '"';
  if (!arguments.empty()) line += R"(,"arguments":)" + std::string(arguments);
  return line + "}}";
}

std::string initialize_line(std::string_view version) {
  return R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":")" + std::string(version) +
         R"(","capabilities":{},"clientInfo":{"name":"test","version":"1"}}})";
}

}  // namespace

TEST_CASE("mcp: initialize agrees on each supported version", "[unit][mcp]") {
  const std::string version = GENERATE("2025-06-18", "2025-03-26", "2024-11-05");
  recording_tools tools;
  mcp_session session(tools, "1.2.3");
  CHECK(session.protocol_version().empty());
  const auto r = reply(session, initialize_line(version));
  CHECK(at(r, {"jsonrpc"}).text == "2.0");
  CHECK(at(r, {"id"}).raw == "0");
  CHECK(at(r, {"result", "protocolVersion"}).text == version);
  CHECK(at(r, {"result", "serverInfo", "name"}).text == "liveproxy");
  CHECK(at(r, {"result", "serverInfo", "version"}).text == "1.2.3");
  CHECK(at(r, {"result", "capabilities", "tools", "listChanged"}).type == kind::boolean);
  CHECK_FALSE(at(r, {"result", "capabilities", "tools", "listChanged"}).boolean);
  CHECK_THAT(at(r, {"result", "instructions"}).text, Catch::Contains("wait_until_live"));
  CHECK(session.protocol_version() == version);
  CHECK(tools.calls.empty());
}

TEST_CASE("mcp: an unknown protocol version is answered with the newest", "[unit][mcp]") {
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  const auto r = reply(session, initialize_line("1999-01-01"));
  CHECK(at(r, {"result", "protocolVersion"}).text == "2025-06-18");
  CHECK(session.protocol_version() == "2025-06-18");
  // Without a version (required by the spec) there is nothing to agree on.
  const auto missing = reply(session, R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
  CHECK(rpc_code(missing) == -32602);
  CHECK_THAT(rpc_message(missing), Catch::Contains("protocolVersion"));
  const auto not_string =
      reply(session, R"({"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":20250618}})");
  CHECK(rpc_code(not_string) == -32602);
}

TEST_CASE("mcp: notifications, responses and empty lines are not answered", "[unit][mcp]") {
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  CHECK_FALSE(session.handle(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  CHECK_FALSE(session.handle(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}})"));
  CHECK_FALSE(session.handle(R"({"jsonrpc":"2.0","method":"notifications/whatever","params":[1]})"));
  // A notification of a request method is still a notification: nothing runs, nothing is said.
  CHECK_FALSE(session.handle(R"({"jsonrpc":"2.0","method":"tools/call","params":{"name":"restart_app"}})"));
  CHECK_FALSE(session.handle(R"({"jsonrpc":"2.0","id":9,"result":{}})"));
  CHECK_FALSE(session.handle(R"({"jsonrpc":"2.0","id":9,"error":{"code":-1,"message":"no"}})"));
  CHECK_FALSE(session.handle(""));
  CHECK_FALSE(session.handle("  \r"));
  CHECK(tools.calls.empty());
}

TEST_CASE("mcp: ping answers an empty result, before initialize too", "[unit][mcp]") {
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  const auto r = reply(session, R"({"jsonrpc":"2.0","id":"p1","method":"ping"})");
  CHECK(at(r, {"id"}).text == "p1");
  CHECK(at(r, {"result"}).type == kind::object);
  CHECK(at(r, {"result"}).members.empty());
  CHECK(session.handle(R"({"jsonrpc":"2.0","id":2,"method":"ping"})") == R"({"jsonrpc":"2.0","id":2,"result":{}})");
  CHECK(session.protocol_version().empty());
}

TEST_CASE("mcp: tools/list describes the six tools with object input schemas", "[unit][mcp]") {
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  const auto r = reply(session, R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}})");
  const auto& list = at(r, {"result", "tools"});
  REQUIRE(list.type == kind::array);
  std::vector<std::string> names;
  for (const auto& tool : list.items) {
    const auto& name = at(tool, {"name"}).text;
    INFO(name);
    names.push_back(name);
    CHECK_FALSE(at(tool, {"title"}).text.empty());
    CHECK(at(tool, {"description"}).text.size() > 40);
    const auto& schema = at(tool, {"inputSchema"});
    CHECK(at(schema, {"type"}).text == "object");
    CHECK(at(schema, {"properties"}).type == kind::object);
    CHECK(at(schema, {"additionalProperties"}).type == kind::boolean);
    CHECK_FALSE(at(schema, {"additionalProperties"}).boolean);
    // Every argument is optional.
    CHECK(member(schema, "required") == nullptr);
    // Read-only but for restart_app, which is neither destructive nor idempotent.
    CHECK(at(tool, {"annotations", "readOnlyHint"}).boolean == (name != "restart_app"));
    if (name == "restart_app") {
      CHECK(at(tool, {"annotations", "destructiveHint"}).type == kind::boolean);
      CHECK_FALSE(at(tool, {"annotations", "destructiveHint"}).boolean);
      CHECK_FALSE(at(tool, {"annotations", "idempotentHint"}).boolean);
    }
  }
  CHECK(names == std::vector<std::string>{"status", "wait_until_live", "app_output", "browser_console", "restart_app",
                                          "recent_changes"});
  const auto& timeout = at(list.items[1], {"inputSchema", "properties", "timeout"});
  CHECK(at(timeout, {"type"}).text == "integer");
  CHECK(at(timeout, {"minimum"}).number == 1);
  CHECK(at(timeout, {"maximum"}).number == 600);
  CHECK(at(timeout, {"default"}).number == 30);
  CHECK(at(list.items[2], {"inputSchema", "properties", "filter", "type"}).text == "string");
  CHECK(at(list.items[2], {"inputSchema", "properties", "lines", "maximum"}).number == 1000);
  CHECK(at(list.items[0], {"inputSchema", "properties"}).members.empty());
  CHECK_THAT(at(list.items[1], {"description"}).text, Catch::Contains("curl"));
}

TEST_CASE("mcp: tools/call runs each tool with its defaults", "[unit][mcp]") {
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  for (const auto* tool :
       {"status", "wait_until_live", "app_output", "browser_console", "restart_app", "recent_changes"}) {
    const auto r = reply(session, call_line(tool));
    CHECK(at(r, {"result", "content"}).items.size() == 1);
  }
  // "arguments" empty or null reads the same as no arguments.
  reply(session, call_line("wait_until_live", "{}"));
  reply(session, call_line("app_output", R"({"filter":null})"));
  CHECK(tools.calls == std::vector<std::string>{"status()", "wait_until_live(30)", "app_output(50,)",
                                                "browser_console(20)", "restart_app()", "recent_changes(10)",
                                                "wait_until_live(30)", "app_output(50,)"});
}

TEST_CASE("mcp: tools/call passes explicit arguments through", "[unit][mcp]") {
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  reply(session, call_line("status", "{}"));
  reply(session, call_line("wait_until_live", R"({"timeout":600})"));
  reply(session, call_line("wait_until_live", R"({"timeout":1})"));
  // A whole number written with a fraction or exponent is an integer, as JSON Schema counts them.
  reply(session, call_line("wait_until_live", R"({"timeout":5.0})"));
  reply(session, call_line("wait_until_live", R"({"timeout":1e2})"));
  reply(session, call_line("app_output", R"({"lines":1000,"filter":"Trace\u00e9"})"));
  reply(session, call_line("browser_console", R"({"limit":100})"));
  reply(session, call_line("restart_app", R"({"app":"api"})"));
  reply(session, call_line("recent_changes", R"({"limit":1})"));
  CHECK(tools.calls == std::vector<std::string>{"status()", "wait_until_live(600)", "wait_until_live(1)",
                                                "wait_until_live(5)", "wait_until_live(100)",
                                                "app_output(1000,Trace\u00e9)", "browser_console(100)",
                                                "restart_app(api)", "recent_changes(1)"});
}

TEST_CASE("mcp: a tool's text and isError reach the client", "[unit][mcp]") {
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  tools.canned = {"app crashed:\n\tSyntaxError: \"x\" at line 3", true};
  const auto failed = reply(session, call_line("wait_until_live"));
  const auto& content = at(failed, {"result", "content"});
  REQUIRE(content.items.size() == 1);
  CHECK(at(content.items[0], {"type"}).text == "text");
  CHECK(at(content.items[0], {"text"}).text == tools.canned.text);
  CHECK(at(failed, {"result", "isError"}).boolean);
  tools.canned = {"live", false};
  const auto ok = reply(session, call_line("wait_until_live"));
  CHECK(at(ok, {"result", "isError"}).type == kind::boolean);
  CHECK_FALSE(at(ok, {"result", "isError"}).boolean);
}

TEST_CASE("mcp: arguments outside the schema are invalid params naming the argument", "[unit][mcp]") {
  struct wrong {
    const char* tool;
    const char* arguments;
    const char* said;
  };
  const auto w = GENERATE(values<wrong>({
      {"wait_until_live", R"({"timeout":"5"})", R"(timeout must be an integer from 1 to 600, not the string "5")"},
      {"wait_until_live", R"({"timeout":0})", "timeout must be an integer from 1 to 600, not 0"},
      {"wait_until_live", R"({"timeout":601})", "timeout must be an integer from 1 to 600, not 601"},
      {"wait_until_live", R"({"timeout":1.5})", "timeout must be an integer from 1 to 600, not 1.5"},
      {"wait_until_live", R"({"timeout":true})", "timeout must be an integer from 1 to 600, not true"},
      {"wait_until_live", R"({"timeout":1e999})", "timeout must be an integer from 1 to 600, not 1e999"},
      {"app_output", R"({"lines":5000})", "lines must be an integer from 1 to 1000, not 5000"},
      {"app_output", R"({"filter":["a"]})", "filter must be a string, not an array"},
      {"restart_app", R"({"app":3})", "app must be a string, not 3"},
      {"browser_console", R"({"limit":-1})", "limit must be an integer from 1 to 100, not -1"},
      {"recent_changes", R"({"limit":51})", "limit must be an integer from 1 to 50, not 51"},
      {"wait_until_live", R"({"timeout":5,"timout":5})",
       R"(unknown argument "timout" for wait_until_live (it takes: timeout))"},
      {"status", R"({"verbose":true})", R"(unknown argument "verbose" for status (it takes no arguments))"},
      {"status", "[]", "arguments must be an object, not an array"},
  }));
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  INFO(w.tool << " " << w.arguments);
  const auto r = reply(session, call_line(w.tool, w.arguments));
  CHECK(at(r, {"id"}).raw == "5");
  CHECK(rpc_code(r) == -32602);
  CHECK(rpc_message(r) == std::string("Invalid params: ") + w.said);
  CHECK(member(r, "result") == nullptr);
  CHECK(tools.calls.empty());
}

TEST_CASE("mcp: an unknown tool is invalid params listing the known ones", "[unit][mcp]") {
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  const auto r = reply(session, call_line("reload_page"));
  CHECK(rpc_code(r) == -32602);
  CHECK(rpc_message(r) ==
        R"(Invalid params: unknown tool "reload_page" (the tools are: status, wait_until_live, app_output, )"
        "browser_console, restart_app, recent_changes)");
  const auto nameless = reply(session, R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{}}})");
  CHECK(rpc_code(nameless) == -32602);
  CHECK_THAT(rpc_message(nameless), Catch::Contains("params.name"));
  const auto no_params = reply(session, R"({"jsonrpc":"2.0","id":1,"method":"tools/call"})");
  CHECK(rpc_code(no_params) == -32602);
  const auto bad_params = reply(session, R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":"status"})");
  CHECK(rpc_code(bad_params) == -32602);
  // A huge name is cut in the message, not echoed whole.
  const auto long_name = reply(session, call_line(std::string(10'000, 'x')));
  CHECK(rpc_message(long_name).size() < 300);
  CHECK(tools.calls.empty());
}

TEST_CASE("mcp: an unknown method is method not found, naming it", "[unit][mcp]") {
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  const auto r = reply(session, R"({"jsonrpc":"2.0","id":4,"method":"resources/list","params":{}})");
  CHECK(at(r, {"id"}).raw == "4");
  CHECK(rpc_code(r) == -32601);
  CHECK(rpc_message(r) == R"(Method not found: "resources/list")");
}

TEST_CASE("mcp: ids are echoed exactly as the client wrote them", "[unit][mcp]") {
  const std::string id = GENERATE(R"("abc-1")", R"("")", R"("with \"quotes\" and \u00e9")", "0", "-7",
                                  "9007199254740993", "1e2", "2.5");
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  const auto prefix = R"({"jsonrpc":"2.0","id":)" + id + ",";
  CHECK_THAT(session.handle(R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"ping"})").value_or(""),
             Catch::StartsWith(prefix));
  CHECK_THAT(session.handle(R"({"method":"nope","jsonrpc":"2.0","id":)" + id + "}").value_or(""),
             Catch::StartsWith(prefix));
  // call_line writes id 5 at offset 22.
  CHECK_THAT(session.handle(call_line("status").replace(22, 1, id)).value_or(""), Catch::StartsWith(prefix));
}

TEST_CASE("mcp: a line that is not JSON is a parse error with a null id", "[unit][mcp]") {
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  for (const auto* line : {R"({"jsonrpc":"2.0","id":1,"method":"ping")", "not json", R"({'id':1})", "\xff"}) {
    const auto r = reply(session, line);
    CHECK(at(r, {"id"}).type == kind::null);
    CHECK(rpc_code(r) == -32700);
    CHECK_THAT(rpc_message(r), Catch::StartsWith("Parse error"));
  }
}

TEST_CASE("mcp: malformed requests are invalid requests", "[unit][mcp]") {
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  // Batches were removed in 2025-06-18.
  for (const auto* line : {R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", "[]", "5", R"("ping")"}) {
    const auto r = reply(session, line);
    CHECK(at(r, {"id"}).type == kind::null);
    CHECK(rpc_code(r) == -32600);
  }
  const auto no_version = reply(session, R"({"id":3,"method":"ping"})");
  CHECK(at(no_version, {"id"}).raw == "3");
  CHECK(rpc_code(no_version) == -32600);
  CHECK_THAT(rpc_message(no_version), Catch::Contains("jsonrpc"));
  CHECK(rpc_code(reply(session, R"({"jsonrpc":"1.0","id":3,"method":"ping"})")) == -32600);
  CHECK(rpc_code(reply(session, R"({"jsonrpc":2.0,"id":3,"method":"ping"})")) == -32600);
  const auto no_method = reply(session, R"({"jsonrpc":"2.0","id":"m"})");
  CHECK(at(no_method, {"id"}).text == "m");
  CHECK(rpc_code(no_method) == -32600);
  CHECK_THAT(rpc_message(no_method), Catch::Contains("method"));
  // An invalid request is answered even without an id (JSON-RPC 2.0's own example).
  const auto method_number = reply(session, R"({"jsonrpc":"2.0","method":1})");
  CHECK(at(method_number, {"id"}).type == kind::null);
  CHECK(rpc_code(method_number) == -32600);
  // MCP's ids are strings or numbers: anything else cannot be echoed back to match.
  for (const auto* id : {"null", "true", "{}", "[1]"}) {
    const auto r = reply(session, R"({"jsonrpc":"2.0","method":"ping","id":)" + std::string(id) + "}");
    CHECK(at(r, {"id"}).type == kind::null);
    CHECK(rpc_code(r) == -32600);
  }
  CHECK(tools.calls.empty());
}

TEST_CASE("mcp: a line over 1 MiB is refused unparsed", "[unit][mcp]") {
  recording_tools tools;
  mcp_session session(tools, "0.1.0");
  // Not JSON, yet an invalid request rather than a parse error: the size is judged first.
  const std::string huge(mcp_session::max_line_bytes + 1, '[');
  const auto r = reply(session, huge);
  CHECK(at(r, {"id"}).type == kind::null);
  CHECK(rpc_code(r) == -32600);
  CHECK_THAT(rpc_message(r), Catch::Contains("1048576 bytes"));
  // At the limit exactly, a line is read.
  std::string padded = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  padded.resize(mcp_session::max_line_bytes, ' ');
  CHECK(member(reply(session, padded), "result") != nullptr);
}
