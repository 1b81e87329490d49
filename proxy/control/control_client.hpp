// The HTTP client of `liveproxy wait|status|mcp`: one request to the liveproxy running on 127.0.0.1:PORT, with a
// deadline, and an answer or a sentence saying why there is none.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace liveproxy {

struct control_answer {
  int status = 0;  ///< 0: no answer (see error)
  std::string body;
  std::string error;  ///< "connection refused", "timed out after 40 s", ...
  bool ok() const { return status != 0; }
};

/// GET or POST (`post`) `target` on 127.0.0.1:port; the whole exchange within `timeout`. The body is bounded
/// (limit: 16 MiB); no Origin is sent (a script, not a page).
control_answer control_request(unsigned port, bool post, const std::string& target, std::chrono::milliseconds timeout);

}  // namespace liveproxy
