// A child process for tests: started in its own process group, output captured, never left behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace liveproxy::test {

/// How to start a process. The environment is the test's own, plus `env` (which overrides).
struct process_options {
  std::filesystem::path cwd;                              ///< empty: the test's cwd
  std::vector<std::pair<std::string, std::string>> env;  ///< added or replaced variables
  std::string name;                                       ///< shown in failure logs; default argv[0]
};

/// Where a match ended in the output, and the regex groups (group 0 is the whole match).
struct output_match {
  std::size_t end = 0;
  std::vector<std::string> groups;
};

/// Runs argv[0] (looked up on PATH if it has no '/') with stdin from /dev/null and stdout+stderr
/// captured, in arrival order, into one buffer filled by a background thread.
/// The destructor sends SIGTERM to the whole process group, then SIGKILL after a grace period,
/// so no test leaves orphans, even when it fails half-way.
class process {
 public:
  process(std::vector<std::string> argv, process_options opts = {});
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

  /// Sends sig to the process itself (not its group).
  void signal(int sig) const;
  /// Sends sig to the whole process group.
  void signal_group(int sig) const;

  /// Waits for the process to exit. Returns the raw wait status (use WIFEXITED etc.),
  /// or nullopt if it is still running after timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  /// True once the process has exited (and has been reaped by us).
  bool exited();

  /// Everything captured so far (stdout and stderr interleaved as they arrived).
  std::string output() const;
  /// Waits until the output after byte offset `from` contains needle. Returns the offset just past it.
  std::optional<std::size_t> wait_for_output(std::string_view needle, std::chrono::milliseconds timeout,
                                             std::size_t from = 0) const;
  /// Waits until the output after byte offset `from` matches re (searched, not fully matched).
  std::optional<output_match> wait_for_output(const std::regex& re, std::chrono::milliseconds timeout,
                                              std::size_t from = 0) const;

  /// Stops the process group: SIGTERM, then SIGKILL after `grace`. Safe to call more than once.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(3));

 private:
  void read_loop();

  std::string name_;
  pid_t pid_ = -1;
  std::optional<int> status_;
  int out_fd_ = -1;   // read end of the child's stdout+stderr pipe
  int stop_fd_[2] = {-1, -1};  // self-pipe that tells the reader thread to finish
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string output_;
  bool reader_done_ = false;
  std::thread reader_;
};

/// Writes the tail of every live process's output to out (used when a test assertion fails).
void dump_live_process_outputs(std::ostream& out, std::size_t tail_bytes = 6000);

/// True if pid no longer runs: no such process, or only a zombie is left of it.
bool process_is_gone(pid_t pid);
/// True if no process (other than zombies) is left in process group pgid.
bool process_group_is_gone(pid_t pgid);

}  // namespace liveproxy::test
