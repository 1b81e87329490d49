// The guard's signal hand-over (issue 11): a SIGTERM sent the moment the app is forked is never lost, and
// the exec'd app starts with nothing blocked and none of liveproxy's or the guard's ignored signals.
#include "proxy/app/process_guard.hpp"

#include <catch2/catch.hpp>

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

using namespace liveproxy;
using namespace std::chrono_literals;

namespace {

/// Ignores SIGPIPE for its lifetime, as liveproxy does: the guard may be gone when we write to its control pipe.
class sigpipe_ignored {
 public:
  sigpipe_ignored() {
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ign, &saved_);
  }
  ~sigpipe_ignored() { ::sigaction(SIGPIPE, &saved_, nullptr); }
  sigpipe_ignored(const sigpipe_ignored&) = delete;
  sigpipe_ignored& operator=(const sigpipe_ignored&) = delete;

 private:
  struct sigaction saved_ {};
};

/// For its lifetime, the calling thread (and what it forks: the guard, then the app) runs on one CPU, which a
/// busy thread at the lowest priority shares: the "under load" of the report. A freshly forked app then waits
/// for its first turn while the caller, woken by the guard's report of the pid, carries on: the SIGTERM lands
/// before the app has run a single instruction, the widest point of the window between its fork and exec.
class one_busy_cpu {
 public:
  one_busy_cpu() {
    saved_ok_ = ::sched_getaffinity(0, sizeof saved_, &saved_) == 0;
    const int cpu = std::max(::sched_getcpu(), 0);
    CPU_ZERO(&one_);
    CPU_SET(cpu, &one_);
    ::sched_setaffinity(0, sizeof one_, &one_);
    hog_ = std::thread([this] {
      ::sched_setaffinity(0, sizeof one_, &one_);
      ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
      while (!stop_.load(std::memory_order_relaxed)) {
      }
    });
  }
  ~one_busy_cpu() {
    stop_ = true;
    hog_.join();
    if (saved_ok_) ::sched_setaffinity(0, sizeof saved_, &saved_);
  }
  one_busy_cpu(const one_busy_cpu&) = delete;
  one_busy_cpu& operator=(const one_busy_cpu&) = delete;

 private:
  cpu_set_t saved_{};
  cpu_set_t one_{};
  bool saved_ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread hog_;
};

/// The app's raw wait status from the run's status pipe, or nullopt if it did not end within timeout.
std::optional<int> app_status(const guarded_run& run, std::chrono::milliseconds timeout) {
  pollfd p{run.status_fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  std::int32_t st = 0;
  if (::read(run.status_fd, &st, sizeof st) != sizeof st) return std::nullopt;
  return st;
}

/// Has the guard kill whatever is left, waits for it and closes the run's descriptors.
void finish(const guarded_run& run) {
  [[maybe_unused]] auto n = ::write(run.control_fd, "k", 1);
  pollfd p{run.guard_pidfd, POLLIN, 0};
  ::poll(&p, 1, 5000);
  ::waitpid(run.guard, nullptr, 0);
  for (int fd : {run.guard_pidfd, run.status_fd, run.output_fd, run.control_fd}) ::close(fd);
}

/// Reads the app's output until EOF (the whole tree is gone) or 5 s pass.
std::string all_output(const guarded_run& run) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{run.output_fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    const ssize_t n = ::read(run.output_fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

/// The hexadecimal signal set on the "Name:" line of /proc/<pid>/status text.
std::uint64_t sigset_field(const std::string& status, const std::string& name) {
  std::istringstream in(status);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name + ":", 0) == 0) return std::stoull(line.substr(name.size() + 1), nullptr, 16);
  FAIL("no " << name << " line in:\n" << status);
  return 0;
}

constexpr std::uint64_t bit(int sig) { return std::uint64_t{1} << (sig - 1); }

}  // namespace

TEST_CASE("a SIGTERM sent to the app's group as soon as spawn_guarded returns stops it", "[unit][supervision]") {
  // This is liveproxy's stop (supervisor::stop): kill(-app, SIGTERM) once the guard has told the pid. `sleep`
  // keeps SIGTERM's default action, so a delivered SIGTERM ends it at once and a lost one leaves it sleeping.
  constexpr int runs = 200;
  const sigpipe_ignored like_liveproxy;
  const one_busy_cpu load;
  for (int i = 0; i < runs; ++i) {
    spawn_spec spec;
    spec.argv = {"/bin/sleep", "30"};
    const guarded_run run = spawn_guarded(spec);
    ::kill(-run.app, SIGTERM);
    const auto st = app_status(run, 2s);
    finish(run);
    INFO("run " << i + 1 << " of " << runs);
    REQUIRE(st);  // else the SIGTERM was lost: the app still ran 2 s later
    // Ended by it before exec (it was held until the dispositions were reset) or as `sleep`.
    REQUIRE(WIFSIGNALED(*st));
    REQUIRE(WTERMSIG(*st) == SIGTERM);
  }
}

TEST_CASE("the app starts with no blocked signals and default stop signals, whatever liveproxy had",
          "[unit][supervision]") {
  const sigpipe_ignored like_liveproxy;
  // Worse than liveproxy: SIGINT ignored too, and SIGTERM and SIGUSR1 blocked in the spawning thread.
  struct sigaction ign {}, saved_int {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ign, &saved_int);
  sigset_t block, saved_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &block, &saved_mask);

  spawn_spec spec;
  spec.argv = {"/bin/cat", "/proc/self/status"};
  const guarded_run run = spawn_guarded(spec);

  ::pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
  ::sigaction(SIGINT, &saved_int, nullptr);

  const std::string status = all_output(run);
  const auto st = app_status(run, 5s);
  finish(run);
  REQUIRE(st);
  CHECK(WIFEXITED(*st));
  INFO(status);
  CHECK(sigset_field(status, "SigBlk") == 0);
  const std::uint64_t ignored = sigset_field(status, "SigIgn");
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD}) {
    INFO("signal " << sig << " (" << ::strsignal(sig) << ")");
    CHECK((ignored & bit(sig)) == 0);
  }
}
