// What liveproxy's own exit status says about how the app ended.
#pragma once

#include <optional>

namespace liveproxy {

struct app_exit;

/// liveproxy's exit status when it stops:
///   0          the app was running (or starting) and we stopped it on request (Ctrl-C, SIGTERM, SIGHUP)
///   N (1-125)  the app had exited by itself with status N and was not running again when we stopped
///   128 + S    the app had been killed by signal S (shell convention), likewise
///   1          liveproxy itself failed (e.g. the front port is taken); 2: usage error
/// `unrecovered` is the app's last exit if it ended by itself and no later run replaced it.
int exit_status_for(const std::optional<app_exit>& unrecovered);

}  // namespace liveproxy
