// `liveproxy mcp`: mcp_session on stdin/stdout, its tools carried out over the running liveproxy's endpoints.
#pragma once

#include <optional>
#include <string>

namespace liveproxy {

/// Reads JSON-RPC lines from stdin until it closes, answers on stdout; the port as `liveproxy wait` finds it,
/// looked up again at each call (a liveproxy started after the client is found). Returns the exit status.
int run_mcp_stdio(std::optional<unsigned> port, const std::string& version);

}  // namespace liveproxy
