// A stop that follows a start at once stops the app promptly (issue 11): a restart asked for right after
// liveproxy forked the app, and liveproxy ended by a signal while its guard is about to fork the app.
#include "support/http_client.hpp"
#include "support/proc_tree.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <exception>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

/// The first CPU this test may run on.
int first_allowed_cpu() {
  cpu_set_t mine;
  if (::sched_getaffinity(0, sizeof mine, &mine) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &mine)) return cpu;
  return 0;
}

/// Pins a process (or thread) to one CPU; what it forks from then on inherits that.
bool pin_to_cpu(pid_t pid, int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  return ::sched_setaffinity(pid, sizeof one, &one) == 0;
}

/// Moves the calling thread to a CPU other than cpu (if there is one) for its lifetime.
class other_cpu_for_this_thread {
 public:
  explicit other_cpu_for_this_thread(int cpu) {
    saved_ok_ = ::sched_getaffinity(0, sizeof saved_, &saved_) == 0;
    if (!saved_ok_) return;
    cpu_set_t others = saved_;
    CPU_CLR(cpu, &others);
    if (CPU_COUNT(&others) > 0) ::sched_setaffinity(0, sizeof others, &others);
  }
  ~other_cpu_for_this_thread() {
    if (saved_ok_) ::sched_setaffinity(0, sizeof saved_, &saved_);
  }
  other_cpu_for_this_thread(const other_cpu_for_this_thread&) = delete;
  other_cpu_for_this_thread& operator=(const other_cpu_for_this_thread&) = delete;

 private:
  cpu_set_t saved_{};
  bool saved_ok_ = false;
};

/// The "under load" of the report, on one CPU: a busy thread at the lowest priority. liveproxy, its guard
/// and the app are pinned to the same CPU; there a freshly forked app waits for its first turn while
/// liveproxy, just woken, carries on, so a stop liveproxy sends at once reaches the app before it has run
/// a single instruction: the widest point of the window between the app's fork and its exec.
class busy_cpu {
 public:
  explicit busy_cpu(int cpu)
      : thread_([this, cpu] {
          pin_to_cpu(0, cpu);
          ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
          while (!stop_.load(std::memory_order_relaxed)) {
          }
        }) {}
  ~busy_cpu() {
    stop_ = true;
    thread_.join();
  }
  busy_cpu(const busy_cpu&) = delete;
  busy_cpu& operator=(const busy_cpu&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// Stops a process (SIGSTOP) until thaw() or the end of the scope, as a loaded machine may leave it unscheduled.
class frozen {
 public:
  explicit frozen(pid_t pid) : pid_(pid) { ::kill(pid_, SIGSTOP); }
  ~frozen() { thaw(); }
  frozen(const frozen&) = delete;
  frozen& operator=(const frozen&) = delete;
  void thaw() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

/// The children of pid, zombies included: empty once liveproxy has reaped the last guard. (getline, unlike an
/// istreambuf_iterator, does not throw when pid ends while the file is read.)
std::string children_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::string line;
  std::getline(in, line);
  return line;
}

/// No live process names needle on its command line. processes_with_cmdline throws if a process ends while
/// its command line is read, which is just when this is asked: then look again.
bool none_named(const std::string& needle) {
  try {
    return processes_with_cmdline(needle).empty();
  } catch (const std::exception&) {
    return false;
  }
}

/// The state letter from /proc/<pid>/stat ('T' when stopped), or 0 if there is no such process.
char state_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() ? line[close + 2] : 0;
}

std::string summary(const std::vector<long>& ms) {
  if (ms.empty()) return "none";
  std::vector<long> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  return std::to_string(sorted.size()) + " stops, median " + std::to_string(sorted[sorted.size() / 2]) + " ms, max " +
         std::to_string(sorted.back()) + " ms";
}

/// Well under the 3 s after which liveproxy (or the guard) would escalate to SIGKILL.
constexpr long prompt_ms = 2000;

}  // namespace

TEST_CASE("a restart asked for right after the app was forked stops it promptly, every time",
          "[integration][supervision]") {
  constexpr int rounds = 50;
  site_options opts;
  opts.proxy_args = {"--verbose"};  // each run's number and PID
  test_site site(opts);
  process& lp = site.proxy().proc();
  const int cpu = first_allowed_cpu();
  REQUIRE(pin_to_cpu(lp.pid(), cpu));
  busy_cpu load(cpu);
  const std::string host = "127.0.0.1:" + std::to_string(site.port());
  const std::string post = "POST /__liveproxy/restart HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 0\r\n\r\n";
  static const std::regex started(R"(starting app \(run (\d+), pid (\d+)\))");
  static const std::regex stopped(R"(app stopped in (\d+) ms \(run (\d+)\))");

  const auto first = site.app_pid(10s);
  REQUIRE(first);
  pid_t app = *first;
  std::vector<long> stop_ms;
  for (int round = 1; round <= rounds; ++round) {
    INFO("round " << round << " of " << rounds << "; so far " << summary(stop_ms));
    // The app ends by itself; once liveproxy has reaped its guard nothing runs, and a restart starts the app
    // at once, inside the request's handler.
    ::kill(app, SIGKILL);
    REQUIRE(wait_until([&] { return children_of(lp.pid()).empty(); }, 10s, 1ms));

    const auto mark = lp.output().size();
    // Two restarts in one segment: liveproxy reads the second from its buffer right after answering the
    // first, so it sends SIGTERM to the new app's group before it waits for anything, the app just forked.
    http_client c(site.port());
    REQUIRE(c.send_raw(post + post));
    CHECK(c.read_response().status == 202);
    CHECK(c.read_response().status == 202);
    const auto start = lp.wait_for_output(started, 5s, mark);
    REQUIRE(start);
    const auto stop = lp.wait_for_output(stopped, 10s, mark);
    REQUIRE(stop);
    REQUIRE(stop->groups[2] == start->groups[1]);  // the run stopped is the one just started
    const long ms = std::stol(stop->groups[1]);
    stop_ms.push_back(ms);
    INFO("run " << start->groups[1] << " (pid " << start->groups[2] << ") stopped in " << ms << " ms");
    REQUIRE(ms < prompt_ms);
    REQUIRE(process_is_gone(static_cast<pid_t>(std::stol(start->groups[2]))));
    // The second restart's run comes next; the next round ends it.
    const auto next = lp.wait_for_output(started, 5s, stop->end);
    REQUIRE(next);
    app = static_cast<pid_t>(std::stol(next->groups[2]));
  }
  CHECK(lp.output().find("did not stop within") == std::string::npos);
  SUCCEED("restart right after start: " << summary(stop_ms));

  // liveproxy stops the last run (perhaps not yet exec'd either) and exits; nothing of the test is left.
  lp.signal(SIGTERM);
  const auto status = lp.wait_exit(5s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  if (WIFEXITED(*status)) CHECK(WEXITSTATUS(*status) == 0);
  CHECK(wait_until([&] { return none_named(site.dir().string()); }, 3s));
}

TEST_CASE("liveproxy ended by a signal as it starts the app: the guard starts no app after that, leaves nothing",
          "[integration][supervision]") {
  constexpr int rounds = 30;
  temp_dir dir;
  std::filesystem::copy(std::filesystem::path(LIVEPROXY_SOURCE_DIR) / "tests" / "integration" / "apps", dir.path(),
                        std::filesystem::copy_options::recursive);
  // liveproxy, its guard and the app share one busy CPU from the start; this thread watches from another.
  const int cpu = first_allowed_cpu();
  const other_cpu_for_this_thread watcher(cpu);
  busy_cpu load(cpu);
  const std::vector<std::string> argv = {"/usr/bin/taskset", "-c", std::to_string(cpu),
                                         LIVEPROXY_BINARY, "--port", "0", "--watch", dir.path().string(), "--",
                                         "/usr/bin/python3", (dir / "test_app.py").string(), "{port}"};
  process_options opts;
  opts.cwd = dir.path();
  opts.env = {{"PYTHONDONTWRITEBYTECODE", "1"}};

  std::vector<long> stop_ms;
  int before_fork = 0;
  for (int round = 1; round <= rounds; ++round) {
    const int sig = std::array{SIGTERM, SIGINT, SIGKILL}[round % 3];
    INFO("round " << round << " of " << rounds << ", signal " << sig << "; so far " << summary(stop_ms));
    process lp(argv, opts);
    // As soon as the guard exists, freeze it (as a loaded machine might), and end liveproxy: it is usually still
    // in spawn_guarded, waiting for the app's pid with no handler of its own set, so the signal ends it outright.
    // Whatever the guard does next, it does with liveproxy gone.
    std::string children;
    REQUIRE(wait_until([&] { return !(children = children_of(lp.pid())).empty() || lp.exited(); }, 10s, 0ms));
    REQUIRE_FALSE(children.empty());
    const pid_t guard = static_cast<pid_t>(std::stol(children));
    frozen frozen_guard(guard);
    REQUIRE(wait_until([&] { return state_of(guard) == 'T'; }, 5s, 0ms));
    const bool app_forked = !children_of(guard).empty();
    lp.signal(sig);
    const auto sent = std::chrono::steady_clock::now();
    // Ended outright; or, if it had got as far as setting its handler, it stops the app and then waits for the
    // guard, so the guard must run again first.
    auto status = lp.wait_exit(200ms);
    frozen_guard.thaw();
    bool forked_later = false;
    REQUIRE(wait_until([&] {
      if (!app_forked && !children_of(guard).empty()) forked_later = true;
      return process_is_gone(guard);
    }, 5s, 0ms));
    if (!status) status = lp.wait_exit(5s);
    REQUIRE(status);
    CHECK(((WIFSIGNALED(*status) && WTERMSIG(*status) == sig) || (WIFEXITED(*status) && WEXITSTATUS(*status) == 0)));
    if (!app_forked && status && WIFSIGNALED(*status)) {
      // liveproxy died before the guard forked the app: nobody would serve it, so it is never started.
      ++before_fork;
      CHECK_FALSE(forked_later);
    }
    // The guard and the app (if there was one) both name dir on their command lines.
    REQUIRE(wait_until([&] { return none_named(dir.path().string()); }, 5s, 1ms));
    const long ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent).count();
    stop_ms.push_back(ms);
    INFO("the guard and the app gone " << ms << " ms after the signal");
    REQUIRE(ms < prompt_ms);
  }
  SUCCEED("liveproxy ended as it starts the app: " << summary(stop_ms) << "; in " << before_fork
                                                   << " rounds before the guard forked the app");
}
