// /proc scans and a forkpty-based process for the supervision tests.
#include "support/proc_tree.hpp"

#include "support/proc_stats.hpp"
#include "support/wait.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <sstream>
#include <stdexcept>

namespace liveproxy::test {
namespace {

struct proc_stat {
  char state = 0;
  pid_t ppid = 0;
};

std::optional<proc_stat> read_stat(pid_t pid) {
  const std::string line = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  if (line.empty()) return std::nullopt;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  proc_stat st;
  rest >> st.state >> st.ppid;
  return st;
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> pids;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return pids;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long v = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && v > 0) pids.push_back(static_cast<pid_t>(v));
  }
  ::closedir(d);
  return pids;
}

}  // namespace

std::vector<pid_t> processes_with_cmdline(std::string_view needle) {
  std::vector<pid_t> found;
  for (pid_t pid : all_pids()) {
    const std::string cmd = read_proc_file("/proc/" + std::to_string(pid) + "/cmdline");
    if (cmd.find(needle) == std::string::npos) continue;
    const auto st = read_stat(pid);
    if (st && st->state != 'Z') found.push_back(pid);
  }
  return found;
}

std::string cmdline_of(pid_t pid) {
  std::string cmd = read_proc_file("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& c : cmd)
    if (c == '\0') c = ' ';
  return cmd;
}

pid_t parent_of(pid_t pid) {
  const auto st = read_stat(pid);
  return st ? st->ppid : 0;
}

std::vector<pid_t> descendants_of(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  std::map<pid_t, char> states;
  for (pid_t pid : all_pids())
    if (const auto st = read_stat(pid)) {
      children.emplace(st->ppid, pid);
      states[pid] = st->state;
    }
  std::vector<pid_t> out, todo{root};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    auto [b, e] = children.equal_range(p);
    for (auto it = b; it != e; ++it) {
      if (states[it->second] != 'Z') out.push_back(it->second);
      todo.push_back(it->second);
    }
  }
  return out;
}

pty_process::pty_process(std::vector<std::string> argv, std::filesystem::path cwd,
                         std::vector<std::pair<std::string, std::string>> env) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) throw std::runtime_error("forkpty failed");
  if (pid == 0) {
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    for (auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  pid_ = pid;
  master_ = master;
  reader_ = std::thread([this] { read_loop(); });
}

pty_process::~pty_process() {
  if (!status_) {
    ::kill(-pid_, SIGTERM);
    if (!wait_exit(std::chrono::seconds(5))) {
      ::kill(-pid_, SIGKILL);
      wait_exit(std::chrono::seconds(5));
    }
  }
  if (master_ >= 0) ::close(master_);
  if (reader_.joinable()) reader_.join();
}

void pty_process::read_loop() {
  char buf[4096];
  for (;;) {
    pollfd p{master_, POLLIN, 0};
    const int r = ::poll(&p, 1, 100);
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) {
      std::lock_guard lock(mutex_);
      if (status_) break;
      continue;
    }
    const ssize_t n = ::read(master_, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the last slave side closes
    std::lock_guard lock(mutex_);
    output_.append(buf, static_cast<std::size_t>(n));
    changed_.notify_all();
  }
}

void pty_process::type(std::string_view text) {
  [[maybe_unused]] auto n = ::write(master_, text.data(), text.size());
}

std::string pty_process::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

std::optional<std::size_t> pty_process::wait_for_output(std::string_view needle, std::chrono::milliseconds timeout,
                                                        std::size_t from) const {
  std::unique_lock lock(mutex_);
  std::optional<std::size_t> at;
  changed_.wait_for(lock, timeout, [&] {
    const auto pos = output_.find(needle, std::min(from, output_.size()));
    if (pos != std::string::npos) at = pos + needle.size();
    return at.has_value();
  });
  return at;
}

std::optional<int> pty_process::wait_exit(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  int st = 0;
  const bool done = wait_until([&] { return ::waitpid(pid_, &st, WNOHANG) == pid_; }, timeout);
  if (!done) return std::nullopt;
  std::lock_guard lock(mutex_);
  status_ = st;
  return status_;
}

void pty_process::signal(int sig) const { ::kill(pid_, sig); }

}  // namespace liveproxy::test
