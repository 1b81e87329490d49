// A private watchman service for the watcher tests: its own socket, state and log under a temp dir.
#pragma once

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace liveproxy::test {

/// `watchman --foreground` with a private socket, state file, log and pid file: nothing shared with
/// a user's own watchman. Stopped (its process group killed) when destroyed.
class watchman_server {
 public:
  /// Starts it and waits until its socket accepts connections; throws std::runtime_error if it does not.
  watchman_server();
  watchman_server(const watchman_server&) = delete;
  watchman_server& operator=(const watchman_server&) = delete;

  const std::string& socket() const { return socket_; }
  std::filesystem::path log_file() const { return dir_ / "log"; }

 private:
  temp_dir dir_{"watcher-watchman"};
  std::string socket_;
  std::unique_ptr<process> proc_;
};

/// Is the watchman binary on PATH?
bool have_watchman();
/// One server for the whole test run, started on first use and stopped at exit.
const watchman_server& shared_watchman();

}  // namespace liveproxy::test
