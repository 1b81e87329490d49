// Child processes for tests: posix_spawn into a new process group, one capture thread per child.
#include "support/process.hpp"

#include "support/wait.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace liveproxy::test {

// Defined next to the Catch listener that prints process output on failure; using it links that in.
extern const bool process_output_on_failure_linked;

namespace {

// Live processes, so a failing assertion can show what they printed.
std::mutex registry_mutex;
std::set<const process*> registry;

std::runtime_error sys_error(const std::string& what, int err) {
  return std::runtime_error(what + ": " + std::strerror(err));
}

// The state letter from /proc/<pid>/stat ('Z' for a zombie), or 0 if there is no such process.
char proc_state(pid_t pid, pid_t* pgrp = nullptr) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  // The command name is in parentheses and may contain spaces: parse after the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 1));
  char state = 0;
  pid_t ppid = 0, group = 0;
  rest >> state >> ppid >> group;
  if (pgrp != nullptr) *pgrp = group;
  return state;
}

}  // namespace

process::process(std::vector<std::string> argv, process_options opts) {
  if (argv.empty()) throw std::invalid_argument("process: empty argv");
  name_ = opts.name.empty() ? argv[0] : opts.name;

  // Everything the child needs is built before spawning: nothing allocates in between.
  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env_map[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  for (auto& [k, v] : opts.env) env_map[k] = v;
  std::vector<std::string> env_strings;
  for (auto& [k, v] : env_map) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  // O_CLOEXEC, so pipes of one test process never leak into another and hide its EOF.
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw sys_error("pipe2", errno);
  if (::pipe2(stop_fd_, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(out[0]);
    ::close(out[1]);
    throw sys_error("pipe2", err);
  }

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  if (!opts.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, opts.cwd.c_str());
  // Its own process group, so stop() can take down everything it started.
  posix_spawnattr_setpgroup(&attr, 0);
  // The test binary may block or ignore signals; the child must start with defaults.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  const int rc = ::posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(stop_fd_[0]);
    ::close(stop_fd_[1]);
    throw sys_error("cannot start " + argv[0], rc);
  }
  out_fd_ = out[0];
  reader_ = std::thread([this] { read_loop(); });
  std::lock_guard lock(registry_mutex);
  if (process_output_on_failure_linked) registry.insert(this);
}

process::~process() {
  {
    std::lock_guard lock(registry_mutex);
    registry.erase(this);
  }
  stop();
  // The group may still hold the pipe (a grandchild that escaped): tell the reader to finish anyway.
  const char byte = 0;
  [[maybe_unused]] auto n = ::write(stop_fd_[1], &byte, 1);
  if (reader_.joinable()) reader_.join();
  ::close(out_fd_);
  ::close(stop_fd_[0]);
  ::close(stop_fd_[1]);
}

void process::read_loop() {
  char buf[4096];
  for (;;) {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {stop_fd_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) {
      const auto n = ::read(out_fd_, buf, sizeof buf);
      if (n > 0) {
        std::lock_guard lock(mutex_);
        output_.append(buf, static_cast<std::size_t>(n));
        changed_.notify_all();
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      break;  // EOF: every holder of the write end is gone
    }
    if (fds[1].revents != 0) break;
  }
  std::lock_guard lock(mutex_);
  reader_done_ = true;
  changed_.notify_all();
}

void process::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

void process::signal_group(int sig) const {
  if (pid_ > 0) ::killpg(pid_, sig);
}

bool process::exited() {
  if (status_) return true;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) status_ = status;
  return status_.has_value();
}

std::optional<int> process::wait_exit(std::chrono::milliseconds timeout) {
  if (!wait_until([this] { return exited(); }, timeout, std::chrono::milliseconds(10))) return status_;
  // The child has exited but the reader may not have drained the pipe yet (a loaded machine): what the
  // caller reads next must be all it printed. A grandchild may keep the pipe open, so the wait is bounded.
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, std::chrono::seconds(1), [this] { return reader_done_; });
  return status_;
}

void process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  if (!exited()) {
    // Reaped without waiting for the pipe to drain: the destructor ends the reader anyway.
    const auto reaped = [this] { return exited(); };
    signal_group(SIGTERM);
    if (!wait_until(reaped, grace, std::chrono::milliseconds(10))) {
      signal_group(SIGKILL);
      wait_until(reaped, std::chrono::seconds(5), std::chrono::milliseconds(10));
    }
  }
  // The leader is gone; anything left in its group (a grandchild) goes too.
  if (!process_group_is_gone(pid_)) ::killpg(pid_, SIGKILL);
}

std::string process::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

std::optional<std::size_t> process::wait_for_output(std::string_view needle, std::chrono::milliseconds timeout,
                                                    std::size_t from) const {
  std::unique_lock lock(mutex_);
  std::optional<std::size_t> found;
  changed_.wait_for(lock, timeout, [&] {
    if (from <= output_.size()) {
      const auto at = output_.find(needle, from);
      if (at != std::string::npos) found = at + needle.size();
    }
    return found.has_value();
  });
  return found;
}

std::optional<output_match> process::wait_for_output(const std::regex& re, std::chrono::milliseconds timeout,
                                                     std::size_t from) const {
  std::unique_lock lock(mutex_);
  std::optional<output_match> found;
  changed_.wait_for(lock, timeout, [&] {
    if (from > output_.size()) return false;
    std::smatch m;
    const auto begin = output_.cbegin() + static_cast<std::ptrdiff_t>(from);
    if (!std::regex_search(begin, output_.cend(), m, re)) return false;
    output_match result;
    result.end = from + static_cast<std::size_t>(m.position(0) + m.length(0));
    for (const auto& g : m) result.groups.push_back(g.str());
    found = std::move(result);
    return true;
  });
  return found;
}

void dump_live_process_outputs(std::ostream& out, std::size_t tail_bytes) {
  std::lock_guard lock(registry_mutex);
  for (const process* p : registry) {
    const std::string all = p->output();
    const std::string tail = all.size() > tail_bytes ? "..." + all.substr(all.size() - tail_bytes) : all;
    out << "----- output of " << p->name() << " (pid " << p->pid() << ") -----\n"
        << tail << (tail.empty() || tail.back() == '\n' ? "" : "\n") << "----- end of " << p->name()
        << " -----\n";
  }
}

bool process_is_gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  // A zombie is dead; it only waits for its new parent (maybe a non-reaping PID 1) to collect it.
  return proc_state(pid) == 'Z' || proc_state(pid) == 0;
}

bool process_group_is_gone(pid_t pgid) {
  if (::killpg(pgid, 0) != 0 && errno == ESRCH) return true;
  // killpg also succeeds for a group of zombies: look for a living member.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    pid_t group = 0;
    const char state = proc_state(static_cast<pid_t>(std::stol(name)), &group);
    if (state != 0 && state != 'Z' && group == pgid) return false;
  }
  return true;
}

}  // namespace liveproxy::test
