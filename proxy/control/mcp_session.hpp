// `liveproxy mcp`: one Model Context Protocol conversation (revision 2025-06-18, JSON-RPC 2.0, one message a
// line on stdio), decided without I/O so tests feed it lines and read the answers.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace liveproxy {

namespace json {
struct node;
}

/// What a tool answered: text for the model, and whether it reports a failure (MCP's isError).
struct mcp_tool_result {
  std::string text;
  bool is_error = false;
};

/// What the tools do. The real implementation talks HTTP to the running liveproxy (written elsewhere).
class mcp_tools {
 public:
  virtual ~mcp_tools() = default;
  virtual mcp_tool_result status() = 0;
  virtual mcp_tool_result wait_until_live(int timeout_seconds) = 0;
  virtual mcp_tool_result app_output(int lines, const std::string& filter) = 0;
  virtual mcp_tool_result browser_console(int limit) = 0;
  virtual mcp_tool_result restart_app(const std::string& app) = 0;
  virtual mcp_tool_result recent_changes(int limit) = 0;
};

/// One MCP conversation over stdio: a line in, at most one line out. Arguments are checked against the tools'
/// input schemas here, so mcp_tools is only ever called with values in range (defaults filled in).
class mcp_session {
 public:
  /// Longest line judged: a longer one is refused unparsed. The reader should stop buffering a line past this.
  static constexpr std::size_t max_line_bytes = 1024 * 1024;
  /// The revision answered when the client asks for one we do not speak (the newest).
  static constexpr std::string_view latest_protocol_version = "2025-06-18";

  mcp_session(mcp_tools& tools, std::string server_version);

  /// One line the client wrote (without its '\n'); the line to write back (without '\n'), or nullopt when
  /// nothing is answered (a notification, an empty line).
  std::optional<std::string> handle(std::string_view line);

  /// The protocol version agreed in initialize (empty before).
  const std::string& protocol_version() const;

 private:
  /// The answer to a request (it has an id): a result or an error, as a whole line.
  std::string answer(std::string_view method, std::string_view id, const json::node* params);
  std::string initialize(std::string_view id, const json::node* params);

  mcp_tools& tools_;
  std::string server_version_;
  std::string protocol_version_;
};

}  // namespace liveproxy
