// Finding the watchman service's socket and connecting to it.
#pragma once

#include <string>

namespace liveproxy::watcher::watchman {

/// The socket to use: `configured` when set, else $WATCHMAN_SOCK, else what `watchman get-sockname`
/// says (which, like every watchman client, starts the per-user service when it is not running).
/// Throws std::runtime_error saying why there is none (no binary, no answer).
std::string find_socket(const std::string& configured);

/// A connected, blocking unix stream socket (close-on-exec). Throws std::runtime_error with the reason.
int connect_socket(const std::string& path);

}  // namespace liveproxy::watcher::watchman
