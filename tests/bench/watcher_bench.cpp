// Watcher benchmark: time to ready, memory, idle CPU and write->event latency per backend and tree size.
// Usage: watcher_bench [--idle SECONDS] [--writes N] [--poll-ms MS] [--trees 20000,100000] [--dir /tmp]
//                      [--watchman yes]   (adds a watchman row: a private watchman service per tree)
//                      [--keep-trees]     (leave the generated trees for the next run, which reuses them)
// Progress goes to stderr, one line per tree and per row. The trees (about 0.5 GB for the defaults) are removed at
// the end, also on Ctrl-C and SIGTERM: a thread waits for those signals, stops the measuring child and watchman,
// removes the trees and exits.
#include "watcher/watcher.hpp"

// GCC 12 at -O2 reports a false "potential null pointer dereference" inside Asio's scheduler.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
namespace net = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct settings {
  double idle_seconds = 30;
  int writes = 200;
  int poll_ms = 500;
  std::vector<int> trees{20000, 100000};
  fs::path dir = "/tmp";
  bool watchman = false;
  bool keep_trees = false;
};

constexpr const char* usage =
    "usage: watcher_bench [--idle S] [--writes N] [--poll-ms MS] [--trees 20000,100000] [--dir D] [--watchman yes]"
    " [--keep-trees]\n";

// What a signal must clean up: the trees (and watchman state dirs) made so far, and the processes running now.
struct cleanup_state {
  std::mutex mutex;
  std::vector<fs::path> paths;
};
cleanup_state cleanup;
std::atomic<pid_t> measuring_child{0};
std::atomic<bool> stopping{false};  // set by the signal thread: the main thread must stop writing trees
std::atomic<pid_t> watchman_service{0};

void remember(const fs::path& p) {
  const std::lock_guard lock(cleanup.mutex);
  cleanup.paths.push_back(p);
}

void remove_all_remembered_once() {
  const std::lock_guard lock(cleanup.mutex);
  for (const auto& p : cleanup.paths) {
    std::error_code ec;
    fs::remove_all(p, ec);
  }
}

bool nothing_left() {
  const std::lock_guard lock(cleanup.mutex);
  std::error_code ec;
  return std::none_of(cleanup.paths.begin(), cleanup.paths.end(), [&](const fs::path& p) { return fs::exists(p, ec); });
}

void remove_all_remembered() {
  remove_all_remembered_once();
  const std::lock_guard lock(cleanup.mutex);
  cleanup.paths.clear();
}

// A child must not outlive us, nor keep the signals blocked that the parent's signal thread waits for.
void child_setup(bool unblock) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (unblock) {
    sigset_t all;
    ::sigemptyset(&all);
    ::sigaddset(&all, SIGINT);
    ::sigaddset(&all, SIGTERM);
    ::pthread_sigmask(SIG_UNBLOCK, &all, nullptr);
  }
}

// SIGINT and SIGTERM are blocked in every thread and taken here with sigwait, so the cleanup runs in a normal thread.
void start_signal_thread(const sigset_t& set) {
  std::thread([set] {
    int sig = 0;
    if (::sigwait(&set, &sig) != 0) return;
    stopping = true;
    std::cerr << "\nwatcher_bench: " << (sig == SIGINT ? "interrupted" : "terminated") << ": removing the trees\n";
    for (auto* who : {&measuring_child, &watchman_service}) {
      if (const pid_t pid = who->load(); pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
    // The main thread parks at its next file once it sees `stopping`; until then a removal may race with it.
    for (int i = 0; i < 100; ++i) {
      remove_all_remembered_once();
      if (nothing_left()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::_exit(128 + sig);
  }).detach();
}

enum class mode { native, poll, watchman };

// 10 files per directory, directories two levels deep (top/sub) so watches are spread as in real trees.
fs::path make_tree(const fs::path& base, int files) {
  const int dirs = files / 10;
  const fs::path root = base / ("liveproxy-watcher-bench-" + std::to_string(files));
  remember(root);
  if (fs::exists(root / ".complete")) {
    std::cerr << "reusing the tree of " << files << " files under " << root << " (kept by --keep-trees)\n";
    return root;
  }
  std::cerr << "generating " << files << " files in " << dirs << " directories under " << root << " ...\n";
  fs::remove_all(root);
  const int tops = std::max(1, dirs / 50);
  int made = 0;
  for (int t = 0; t < tops; ++t) {
    const fs::path top = root / ("t" + std::to_string(t));
    for (int s = 0; s < dirs / tops; ++s) {
      // The top directory itself counts as one of the directories.
      const fs::path d = s == 0 ? top : top / ("s" + std::to_string(s));
      fs::create_directories(d);
      static const char* const names[] = {"f0.css", "f1.html", "f2.py", "f3.js", "f4.py",
                                          "f5.png", "f6.py",   "f7.txt", "f8.py", "f9.json"};
      for (const char* n : names) {
        while (stopping) ::pause();  // the signal thread is removing the tree and will end the process
        const int fd = ::open((d / n).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
          (void)!::write(fd, "x\n", 2);
          ::close(fd);
        }
      }
      ++made;
    }
  }
  std::ofstream(root / ".complete") << made << "\n";
  return root;
}

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// VmRSS and VmHWM in MB.
std::pair<double, double> memory_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  double rss = 0;
  double hwm = 0;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) rss = std::atof(line.c_str() + 6) / 1024.0;
    if (line.starts_with("VmHWM:")) hwm = std::atof(line.c_str() + 6) / 1024.0;
  }
  return {rss, hwm};
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Runs one measurement; returns a formatted table row. Runs in a child process for clean memory figures.
std::string measure(const fs::path& root, int files, mode m, const settings& s, const std::string& socket) {
  const bool poll = m == mode::poll;
  net::io_context io;
  liveproxy::watcher::options opts;
  opts.roots = {root};
  if (poll) opts.poll_interval = std::chrono::milliseconds(s.poll_ms);
  if (m == mode::watchman) {
    opts.use_watchman = true;
    opts.watchman_socket = socket;
  }
  // Latency is measured on the leading edge of browser-only batches; a short coalesce keeps writes independent.
  opts.browser_coalesce = 1ms;
  clock_type::time_point got{};
  bool seen = false;
  liveproxy::watcher::watcher w(io.get_executor(), opts, [&](const liveproxy::watcher::batch&) {
    got = clock_type::now();
    seen = true;
  });

  const auto t0 = clock_type::now();
  w.start();
  const double ready = std::chrono::duration<double>(clock_type::now() - t0).count();
  const auto [rss, hwm] = memory_mb();

  // Let any start-up work settle before measuring idle CPU.
  io.run_for(200ms);
  io.restart();
  const double cpu0 = cpu_seconds();
  io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(s.idle_seconds)));
  io.restart();
  const double idle_cpu = cpu_seconds() - cpu0;

  std::mt19937 rng(42);
  std::uniform_int_distribution<int> pick(0, files / 10 - 1);
  std::uniform_int_distribution<int> gap(0, 1 << 20);
  std::vector<std::string> targets;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().filename() == "f0.css") targets.push_back(e.path().string());
  std::vector<double> lat_ms;
  for (int i = 0; i < s.writes; ++i) {
    const std::string& target = targets[static_cast<std::size_t>(pick(rng)) % targets.size()];
    seen = false;
    const auto tw = clock_type::now();
    const int fd = ::open(target.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    const std::string content = "body{order:" + std::to_string(i) + "}\n";
    (void)!::write(fd, content.data(), content.size());
    ::close(fd);
    const auto deadline = tw + std::chrono::milliseconds(10 * s.poll_ms + 2000);
    while (!seen && clock_type::now() < deadline) {
      io.run_one_for(100ms);
      io.restart();
    }
    if (seen) lat_ms.push_back(std::chrono::duration<double, std::milli>(got - tw).count());
    // Past the coalesce window, so the next write is a new leading edge; for polling also a random
    // phase, or every write would land just after a scan and wait a whole period.
    io.run_for(poll ? std::chrono::milliseconds(3 + gap(rng) % s.poll_ms) : 3ms);
    io.restart();
  }
  w.stop();

  char row[256];
  std::snprintf(row, sizeof row, "%-14s %8d %9.3f %9.1f %9.1f %10.2f %8.3f %8.3f %6zu/%d\n", w.backend_name().c_str(),
                files, ready, rss, hwm, idle_cpu, percentile(lat_ms, 0.5), percentile(lat_ms, 0.99), lat_ms.size(),
                s.writes);
  return row;
}

std::string in_child(const fs::path& root, int files, mode m, const settings& s, const std::string& socket = {}) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed\n";
  const pid_t pid = ::fork();
  if (pid == 0) {
    child_setup(false);
    ::close(fds[0]);
    const std::string row = measure(root, files, m, s, socket);
    (void)!::write(fds[1], row.data(), row.size());
    ::_exit(0);
  }
  measuring_child = pid;
  ::close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  while (stopping) ::pause();  // the child was killed by the signal thread, which ends the process
  int status = 0;
  ::waitpid(pid, &status, 0);
  measuring_child = 0;
  return out.empty() ? "measurement failed\n" : out;
}

bool accepts(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

// (utime + stime) seconds and VmRSS MB of another process.
std::pair<double, double> usage_of(pid_t pid) {
  double cpu = 0;
  double rss = 0;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (std::getline(stat, line)) {
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14 || i == 15) cpu += std::atof(field.c_str()) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) rss = std::atof(line.c_str() + 6) / 1024.0;
  return {cpu, rss};
}

// A watchman row: a fresh private service (its own socket and state), so "ready" includes its crawl.
std::string watchman_row(const fs::path& root, int files, const settings& s) {
  const fs::path state = s.dir / ("liveproxy-watcher-bench-watchman-" + std::to_string(::getpid()));
  remember(state);
  fs::create_directories(state);
  const std::string sock = (state / "sock").string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    child_setup(true);
    const std::string a1 = "--sockname=" + sock, a2 = "--statefile=" + (state / "state").string(),
                      a3 = "--logfile=" + (state / "log").string(), a4 = "--pidfile=" + (state / "pid").string();
    ::execlp("watchman", "watchman", "--foreground", "--no-save-state", a1.c_str(), a2.c_str(), a3.c_str(),
             a4.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  watchman_service = pid;
  std::string row = "watchman did not start\n";
  for (int i = 0; i < 500 && !accepts(sock); ++i) ::usleep(10'000);
  if (accepts(sock)) {
    row = in_child(root, files, mode::watchman, s, sock);
    const auto [cpu, rss] = usage_of(pid);
    char extra[128];
    std::snprintf(extra, sizeof extra, "%-14s the watchman service itself: %.1f MB RSS, %.2f s CPU in all\n", "",
                  rss, cpu);
    row += extra;
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  watchman_service = 0;
  fs::remove_all(state);
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return 0;
    }
    if (a == "--keep-trees") {
      s.keep_trees = true;
      continue;
    }
    static const char* const valued[] = {"--idle", "--writes", "--poll-ms", "--dir", "--watchman", "--trees"};
    if (std::find(std::begin(valued), std::end(valued), a) == std::end(valued)) {
      std::cerr << "watcher_bench: unknown argument " << a << "\n" << usage;
      return 2;
    }
    if (i + 1 >= argc) {
      std::cerr << "watcher_bench: " << a << " wants a value\n" << usage;
      return 2;
    }
    const char* v = argv[++i];
    if (a == "--idle") s.idle_seconds = std::atof(v);
    else if (a == "--writes") s.writes = std::atoi(v);
    else if (a == "--poll-ms") s.poll_ms = std::atoi(v);
    else if (a == "--dir") s.dir = v;
    else if (a == "--watchman") s.watchman = std::string(v) == "yes";
    else if (a == "--trees") {
      s.trees.clear();
      std::stringstream ss(v);
      for (std::string t; std::getline(ss, t, ',');) s.trees.push_back(std::atoi(t.c_str()));
    } else {
      std::cerr << "watcher_bench: unknown argument " << a << "\n" << usage;
      return 2;
    }
  }
  if (s.writes < 1 || s.poll_ms < 1 || s.trees.empty() ||
      std::any_of(s.trees.begin(), s.trees.end(), [](int n) { return n < 10; })) {
    std::cerr << "watcher_bench: --writes and --poll-ms want positive numbers, --trees sizes of 10 or more\n" << usage;
    return 2;
  }

  sigset_t signals;
  ::sigemptyset(&signals);
  ::sigaddset(&signals, SIGINT);
  ::sigaddset(&signals, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  start_signal_thread(signals);

  std::vector<std::pair<int, fs::path>> trees;
  for (const int files : s.trees) trees.emplace_back(files, make_tree(s.dir, files));

  std::printf("idle period %.1f s, %d writes per run\n", s.idle_seconds, s.writes);
  std::printf("%-14s %8s %9s %9s %9s %10s %8s %8s %8s\n", "backend", "files", "ready s", "RSS MB", "HWM MB",
              "idle CPU s", "p50 ms", "p99 ms", "events");
  std::fflush(stdout);
  for (const auto& [files, root] : trees) {
    for (const mode m : {mode::native, mode::poll}) {
      std::cerr << "measuring " << (m == mode::poll ? "polling" : "the native backend") << " on " << files
                << " files: " << s.idle_seconds << " s idle, then " << s.writes << " writes\n";
      std::fputs(in_child(root, files, m, s).c_str(), stdout);
      std::fflush(stdout);
    }
    if (s.watchman) {
      std::cerr << "measuring watchman on " << files << " files\n";
      std::fputs(watchman_row(root, files, s).c_str(), stdout);
      std::fflush(stdout);
    }
  }
  if (s.keep_trees) {
    std::cerr << "kept the trees under " << s.dir << " (--keep-trees)\n";
  } else {
    std::cerr << "removing the trees\n";
    remove_all_remembered();
  }
  return 0;
}
