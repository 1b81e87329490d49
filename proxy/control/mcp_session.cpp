// The MCP session: JSON-RPC envelopes checked, the protocol version agreed, and the six tools listed and called.
// One table describes each tool's arguments; it writes the input schemas and checks what clients send, so the
// two cannot disagree.
#include "proxy/control/mcp_session.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <span>
#include <utility>
#include <vector>

#include "proxy/base/utf8.hpp"
#include "proxy/browser/event_json.hpp"
#include "proxy/settings/json_document.hpp"

namespace liveproxy {
namespace {

using event_json::append_string;
using json::node;

// JSON-RPC 2.0's codes for what went wrong with a message (not with a tool: that is isError in a result).
constexpr int parse_error = -32700;
constexpr int invalid_request = -32600;
constexpr int method_not_found = -32601;
constexpr int invalid_params = -32602;

// Newest first; the first is also what an unknown version is answered with.
constexpr std::array<std::string_view, 3> supported_versions = {"2025-06-18", "2025-03-26", "2024-11-05"};
static_assert(supported_versions[0] == mcp_session::latest_protocol_version);

constexpr std::string_view instructions =
    "liveproxy runs the app behind a proxy and restarts it or reloads the browser when files change. After "
    "editing files, call wait_until_live before checking the result in a browser or with curl: it returns once "
    "the change is live, or with the app's error if it failed.";

/// One argument of a tool. Every argument is optional: integers have a default, strings default to empty.
struct param_spec {
  std::string_view name;
  bool is_integer;  ///< else a string
  std::string_view description;
  int minimum;
  int maximum;
  int fallback;  ///< an integer's default
};

struct tool_spec {
  std::string_view name;
  std::string_view title;
  std::string_view description;
  std::span<const param_spec> params;
  bool read_only;  ///< restart_app is the one tool that changes something
};

constexpr param_spec wait_params[] = {
    {"timeout", true, "Seconds to wait at most before giving up.", 1, 600, 30},
};
constexpr param_spec output_params[] = {
    {"lines", true, "How many of the app's last output lines to return.", 1, 1000, 50},
    {"filter", false, "Only lines containing this text (a plain substring, not a pattern; case-insensitive).", 0, 0,
     0},
};
constexpr param_spec console_params[] = {
    {"limit", true, "How many of the latest console messages to return.", 1, 100, 20},
};
constexpr param_spec restart_params[] = {
    {"app", false,
     "The name of the app to restart when liveproxy runs several (see status). Default: the main app.", 0, 0, 0},
};
constexpr param_spec changes_params[] = {
    {"limit", true, "How many of the latest changes to return.", 1, 50, 10},
};

constexpr tool_spec tool_table[] = {
    {"status", "Status",
     "liveproxy's current state: whether the app is running, starting or crashed, the URL to open, each app "
     "when there are several, and the last file changes with what they caused. Call it first to learn the URL, "
     "or whenever something seems off.",
     {}, true},
    {"wait_until_live", "Wait until live",
     "Waits until every file change made so far is applied (the app restarted and ready, or the browser tab "
     "reloaded), then says what happened. Call it after editing files and before checking the result in a "
     "browser or with curl. If the app failed to start or crashed, the result is its error (isError).",
     wait_params, true},
    {"app_output", "App output",
     "The app's last lines of output (stdout and stderr), oldest first; liveproxy keeps about the last 200. Use "
     "it to read a stack trace or a log line after a failure or a request.",
     output_params, true},
    {"browser_console", "Browser console",
     "The latest errors and warnings from the consoles of the browser tabs open through liveproxy (uncaught "
     "exceptions, rejected promises, console.error and console.warn), with page and source location. Use it to "
     "check a page after a change.",
     console_params, true},
    {"restart_app", "Restart app",
     "Restarts the app now; call wait_until_live afterwards to know when it is up again (or what failed). Use it "
     "when a change is not picked up by watching, for example after editing a file outside the watched folders "
     "or an environment file.",
     restart_params, false},
    {"recent_changes", "Recent changes",
     "The latest file changes liveproxy saw, oldest first, and what each one caused (a restart, a page reload, "
     "a stylesheet swap, or nothing). Use it to check that an edit was noticed.",
     changes_params, true},
};

/// A member of an object; the last of duplicates, as JavaScript's JSON.parse (and so most clients) reads them.
const node* field(const node& object, std::string_view key) {
  const node* found = nullptr;
  for (const auto& m : object.members) {
    if (m.key == key) found = &m.value;
  }
  return found;
}

/// A client's text for a message: cut short at a character boundary, so a huge name cannot make a huge answer.
std::string clipped(std::string_view s) {
  constexpr std::size_t most = 64;
  if (s.size() <= most) return std::string(s);
  std::size_t end = 0;
  while (end < most) {
    const std::size_t n = std::max<std::size_t>(1, utf8_length(s, end));
    if (end + n > most) break;
    end += n;
  }
  return std::string(s.substr(0, end)) + "…";
}

std::string quoted(std::string_view s) { return '"' + clipped(s) + '"'; }

/// What a client sent instead of what was expected, for a message: the value when short, else its kind.
std::string describe(const node& v) {
  switch (v.type) {
    case node::kind::object:
      return "an object";
    case node::kind::array:
      return "an array";
    case node::kind::string:
      return v.raw.size() <= 40 ? "the string " + v.raw : "a string";
    case node::kind::number:
      return v.raw.size() <= 40 ? v.raw : "a number";
    default:
      return v.raw;  // null, true, false
  }
}

std::string result_line(std::string_view id, std::string_view result) {
  std::string out = R"({"jsonrpc":"2.0","id":)";
  out += id;
  out += R"(,"result":)";
  out += result;
  out += '}';
  return out;
}

std::string error_line(std::string_view id, int code, std::string_view message) {
  std::string out = R"({"jsonrpc":"2.0","id":)";
  out += id;
  out += R"(,"error":{"code":)";
  out += std::to_string(code);
  out += R"(,"message":)";
  append_string(out, message);
  out += "}}";
  return out;
}

void append_schema(std::string& out, const tool_spec& tool) {
  out += R"({"type":"object","properties":{)";
  bool first = true;
  for (const auto& p : tool.params) {
    if (!first) out += ',';
    first = false;
    append_string(out, p.name);
    out += p.is_integer ? R"(:{"type":"integer")" : R"(:{"type":"string")";
    if (p.is_integer) {
      out += R"(,"minimum":)" + std::to_string(p.minimum) + R"(,"maximum":)" + std::to_string(p.maximum) +
             R"(,"default":)" + std::to_string(p.fallback);
    }
    out += R"(,"description":)";
    append_string(out, p.description);
    out += '}';
  }
  // No "required": every argument has a default.
  out += R"(},"additionalProperties":false})";
}

std::string tools_list() {
  std::string out = R"({"tools":[)";
  bool first = true;
  for (const auto& tool : tool_table) {
    if (!first) out += ',';
    first = false;
    out += R"({"name":)";
    append_string(out, tool.name);
    out += R"(,"title":)";
    append_string(out, tool.title);
    out += R"(,"description":)";
    append_string(out, tool.description);
    out += R"(,"inputSchema":)";
    append_schema(out, tool);
    // annotations.title too: clients of 2025-03-26 know only that one. Every tool acts on the local liveproxy
    // alone (a closed world); restart_app interrupts the app but loses nothing, and each call restarts again.
    out += R"(,"annotations":{"title":)";
    append_string(out, tool.title);
    out += tool.read_only ? R"(,"readOnlyHint":true)"
                          : R"(,"readOnlyHint":false,"destructiveHint":false,"idempotentHint":false)";
    out += R"(,"openWorldHint":false}})";
  }
  out += "]}";
  return out;
}

/// A tool's arguments once checked, every one present (defaults filled in).
struct argument_values {
  std::vector<std::pair<std::string_view, int>> integers;
  std::vector<std::pair<std::string_view, std::string>> strings;

  int integer(std::string_view name) const {
    for (const auto& [n, v] : integers) {
      if (n == name) return v;
    }
    return 0;
  }
  const std::string& text(std::string_view name) const {
    static const std::string none;
    for (const auto& [n, v] : strings) {
      if (n == name) return v;
    }
    return none;
  }
};

std::string known_arguments(const tool_spec& tool) {
  if (tool.params.empty()) return "it takes no arguments";
  std::string out = "it takes: ";
  for (std::size_t i = 0; i < tool.params.size(); ++i) {
    if (i > 0) out += ", ";
    out += tool.params[i].name;
  }
  return out;
}

/// Checks the arguments a client sent against the tool's schema: what is wrong, or nothing (and `out` filled).
std::optional<std::string> check_arguments(const tool_spec& tool, const node* given, argument_values& out) {
  for (const auto& p : tool.params) {
    if (p.is_integer) out.integers.emplace_back(p.name, p.fallback);
    else out.strings.emplace_back(p.name, std::string());
  }
  if (given == nullptr || given->type == node::kind::null) return std::nullopt;
  if (given->type != node::kind::object) return "arguments must be an object, not " + describe(*given);
  for (const auto& m : given->members) {
    const auto p = std::find_if(tool.params.begin(), tool.params.end(),
                                [&](const param_spec& s) { return s.name == m.key; });
    if (p == tool.params.end()) {
      return "unknown argument " + quoted(m.key) + " for " + std::string(tool.name) + " (" + known_arguments(tool) +
             ")";
    }
    const node& v = m.value;
    // null reads as "not given": models write it for an optional argument they mean to leave out.
    if (v.type == node::kind::null) continue;
    if (p->is_integer) {
      // An integer as JSON Schema counts them: 5.0 is one, 1.5 is not.
      const bool whole = v.type == node::kind::number && std::isfinite(v.number) && std::trunc(v.number) == v.number;
      if (!whole || v.number < p->minimum || v.number > p->maximum) {
        return std::string(p->name) + " must be an integer from " + std::to_string(p->minimum) + " to " +
               std::to_string(p->maximum) + ", not " + describe(v);
      }
      for (auto& [n, value] : out.integers) {
        if (n == p->name) value = static_cast<int>(v.number);
      }
    } else {
      if (v.type != node::kind::string) return std::string(p->name) + " must be a string, not " + describe(v);
      for (auto& [n, value] : out.strings) {
        if (n == p->name) value = v.text;
      }
    }
  }
  return std::nullopt;
}

mcp_tool_result run_tool(mcp_tools& tools, std::string_view name, const argument_values& a) {
  if (name == "status") return tools.status();
  if (name == "wait_until_live") return tools.wait_until_live(a.integer("timeout"));
  if (name == "app_output") return tools.app_output(a.integer("lines"), a.text("filter"));
  if (name == "browser_console") return tools.browser_console(a.integer("limit"));
  if (name == "restart_app") return tools.restart_app(a.text("app"));
  return tools.recent_changes(a.integer("limit"));
}

std::string call_tool(mcp_tools& tools, std::string_view id, const node* params) {
  const node* name = params != nullptr ? field(*params, "name") : nullptr;
  if (name == nullptr || name->type != node::kind::string) {
    return error_line(id, invalid_params, "Invalid params: tools/call needs params.name, the tool's name (a string)");
  }
  const auto tool = std::find_if(std::begin(tool_table), std::end(tool_table),
                                 [&](const tool_spec& t) { return t.name == name->text; });
  if (tool == std::end(tool_table)) {
    std::string known;
    for (const auto& t : tool_table) known += (known.empty() ? "" : ", ") + std::string(t.name);
    return error_line(id, invalid_params, "Invalid params: unknown tool " + quoted(name->text) + " (the tools are: " +
                                              known + ")");
  }
  argument_values values;
  if (auto wrong = check_arguments(*tool, field(*params, "arguments"), values)) {
    return error_line(id, invalid_params, "Invalid params: " + *wrong);
  }
  const mcp_tool_result r = run_tool(tools, tool->name, values);
  std::string out = R"({"content":[{"type":"text","text":)";
  append_string(out, r.text);
  out += R"(}],"isError":)";
  out += r.is_error ? "true}" : "false}";
  return result_line(id, out);
}

}  // namespace

mcp_session::mcp_session(mcp_tools& tools, std::string server_version)
    : tools_(tools), server_version_(std::move(server_version)) {}

const std::string& mcp_session::protocol_version() const { return protocol_version_; }

std::optional<std::string> mcp_session::handle(std::string_view line) {
  // Judged before parsing: the parser's work (and its tree) grows with the line.
  if (line.size() > max_line_bytes) {
    return error_line("null", invalid_request,
                      "Invalid Request: a message may be at most " + std::to_string(max_line_bytes) +
                          " bytes (1 MiB); this one has " + std::to_string(line.size()));
  }
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return std::nullopt;
  const auto parsed = json::parse(line);
  if (!parsed.root) {
    return error_line("null", parse_error,
                      "Parse error: " + parsed.error->what + " (at " + json::position_text(line, parsed.error->offset) +
                          ")");
  }
  const node& message = *parsed.root;
  if (message.type == node::kind::array) {
    return error_line("null", invalid_request,
                      "Invalid Request: batches (JSON arrays) are not part of MCP 2025-06-18; send one message a line");
  }
  if (message.type != node::kind::object) {
    return error_line("null", invalid_request, "Invalid Request: a message must be a JSON object");
  }
  const node* id = field(message, "id");
  const node* method = field(message, "method");
  // A response: this server never sends a request, so there is nothing to match it with.
  if (method == nullptr && (field(message, "result") != nullptr || field(message, "error") != nullptr)) {
    return std::nullopt;
  }
  // The id as the client wrote it (a string with its quotes): echoed byte for byte, so the client matches it.
  const bool id_valid = id != nullptr && (id->type == node::kind::string || id->type == node::kind::number);
  const std::string_view echo = id_valid ? std::string_view(id->raw) : std::string_view("null");
  const node* version = field(message, "jsonrpc");
  if (version == nullptr || version->type != node::kind::string || version->text != "2.0") {
    return error_line(echo, invalid_request, R"(Invalid Request: "jsonrpc" must be "2.0")");
  }
  if (method == nullptr || method->type != node::kind::string) {
    return error_line(echo, invalid_request, R"(Invalid Request: "method" must be a string)");
  }
  if (id != nullptr && !id_valid) {
    return error_line("null", invalid_request, R"(Invalid Request: "id" must be a string or a number)");
  }
  // A notification (initialized, cancelled, anything else): nothing is ever answered.
  if (id == nullptr) return std::nullopt;
  return answer(method->text, id->raw, field(message, "params"));
}

std::string mcp_session::answer(std::string_view method, std::string_view id, const json::node* params) {
  const bool known = method == "initialize" || method == "ping" || method == "tools/list" || method == "tools/call";
  if (!known) return error_line(id, method_not_found, "Method not found: " + quoted(method));
  if (params != nullptr && params->type == node::kind::null) params = nullptr;
  if (params != nullptr && params->type != node::kind::object) {
    return error_line(id, invalid_params, "Invalid params: params must be an object, not " + describe(*params));
  }
  // Requests before initialize are answered too: a client that skips it loses nothing by it.
  if (method == "initialize") return initialize(id, params);
  if (method == "ping") return result_line(id, "{}");
  // One page: six tools need no cursor, and a cursor a client sends is ignored.
  if (method == "tools/list") return result_line(id, tools_list());
  return call_tool(tools_, id, params);
}

std::string mcp_session::initialize(std::string_view id, const json::node* params) {
  const node* asked = params != nullptr ? field(*params, "protocolVersion") : nullptr;
  if (asked == nullptr || asked->type != node::kind::string) {
    return error_line(id, invalid_params,
                      R"(Invalid params: initialize needs params.protocolVersion, a string such as "2025-06-18")");
  }
  // A version we do not speak is answered with the newest we do; the client decides whether to go on.
  const bool supported =
      std::find(supported_versions.begin(), supported_versions.end(), asked->text) != supported_versions.end();
  protocol_version_ = supported ? asked->text : std::string(latest_protocol_version);
  std::string out = R"({"protocolVersion":)";
  append_string(out, protocol_version_);
  out += R"(,"capabilities":{"tools":{"listChanged":false}},"serverInfo":{"name":"liveproxy","title":"liveproxy",)";
  out += R"("version":)";
  append_string(out, server_version_);
  out += R"(},"instructions":)";
  append_string(out, instructions);
  out += '}';
  return result_line(id, out);
}

}  // namespace liveproxy
