// `liveproxy wait`, `liveproxy status` and `liveproxy mcp`: subcommands that talk to the liveproxy already
// running for this project over its HTTP endpoints. What they print is decided by the pure functions here.
#pragma once

#include "proxy/settings/json_document.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace liveproxy {

/// Exit statuses of `liveproxy wait` (124 as timeout(1) uses it).
namespace wait_exit {
inline constexpr int live = 0;
inline constexpr int app_failed = 1;
inline constexpr int usage = 2;
inline constexpr int not_running = 3;
inline constexpr int timed_out = 124;
}  // namespace wait_exit

/// Which port the running liveproxy is on: `given` (--port), else liveproxy.json's "port" in `dir`, else the
/// runtime file of `dir` or the nearest directory above it. `how` says where it came from, or why there is none.
std::optional<unsigned> find_liveproxy_port(std::optional<unsigned> given, const std::filesystem::path& dir,
                                            std::string& how);

/// What to tell someone who asked but no liveproxy answers (the reason, and how to start one).
std::string not_running_text(const std::string& why, const std::filesystem::path& dir);

struct wait_outcome {
  int exit_status = wait_exit::live;
  std::string text;  ///< for the terminal, ending in a newline
};
/// Reads /__liveproxy/wait's answer: live (0), the app failed (1: its headline, file:line, the output's tail) or
/// not settled within the timeout (124).
wait_outcome describe_wait(const json::node& answer, std::size_t output_lines = 20);

/// status.json as one screen of text: the app's state, the URL, the apps, watching, recent changes, the browser
/// console, the output's tail.
std::string status_text(const json::node& status, std::size_t output_lines = 10);

/// The member `key` of an object node, or null.
const json::node* member_of(const json::node& object, std::string_view key);

/// Runs `liveproxy wait|status|mcp ARGS` (argv[1] is the subcommand); its exit status. `version`: liveproxy's,
/// for MCP's serverInfo.
int run_control_command(int argc, char** argv, const std::string& version);

}  // namespace liveproxy
