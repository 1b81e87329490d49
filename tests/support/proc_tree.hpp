// Process-tree helpers for supervision tests: find processes by command line, walk descendants, and run
// liveproxy on a pseudo-terminal (so it reads typed commands from stdin).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace liveproxy::test {

/// Live (non-zombie) processes whose command line contains needle (e.g. a test's temp dir).
std::vector<pid_t> processes_with_cmdline(std::string_view needle);
/// The command line with NULs turned into spaces; empty if there is no such process.
std::string cmdline_of(pid_t pid);
/// Live (non-zombie) descendants of pid, at any depth.
std::vector<pid_t> descendants_of(pid_t pid);
/// The parent pid from /proc, or 0.
pid_t parent_of(pid_t pid);

/// A process started on a new pseudo-terminal: it is a session leader with the terminal as its
/// stdin/stdout/stderr, in the foreground. Output is captured; input can be typed.
/// The destructor kills its process group (SIGTERM, then SIGKILL).
class pty_process {
 public:
  pty_process(std::vector<std::string> argv, std::filesystem::path cwd = {},
              std::vector<std::pair<std::string, std::string>> env = {});
  ~pty_process();
  pty_process(const pty_process&) = delete;
  pty_process& operator=(const pty_process&) = delete;

  pid_t pid() const { return pid_; }
  /// Writes bytes as if typed.
  void type(std::string_view text);
  std::string output() const;
  /// Waits until the output after `from` contains needle; returns the offset just past it.
  std::optional<std::size_t> wait_for_output(std::string_view needle, std::chrono::milliseconds timeout,
                                             std::size_t from = 0) const;
  /// Raw wait status, or nullopt if still running after timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  void signal(int sig) const;

 private:
  void read_loop();
  pid_t pid_ = -1;
  int master_ = -1;
  std::optional<int> status_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string output_;
  std::thread reader_;
};

}  // namespace liveproxy::test
