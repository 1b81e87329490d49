// Process control on Linux: fork/exec into a new process group, pidfd for exit, one pipe for output.
#include "proxy/supervisor.hpp"

#include "proxy/limits.hpp"
#include "proxy/log.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace liveproxy {

struct supervisor::child {
  child(net::any_io_executor ex) : exit_fd(ex), output(ex), kill_timer(ex) {}
  pid_t pid = -1;
  std::uint64_t generation = 0;
  net::posix::stream_descriptor exit_fd;  ///< pidfd: readable when the process ends
  net::posix::stream_descriptor output;   ///< read end of the app's stdout+stderr
  steady_timer kill_timer;                ///< SIGTERM -> SIGKILL escalation
  bool ready = false;
  bool stopping = false;  ///< we asked it to end
  bool gone = false;
};

std::string app_exit::describe() const {
  if (signaled) return "killed by signal " + std::to_string(code) + " (" + ::strsignal(code) + ")";
  return "exited with status " + std::to_string(code);
}

supervisor::supervisor(net::any_io_executor ex, std::vector<std::string> command, std::string app_host,
                       std::uint16_t app_port, callbacks cb)
    : ex_(std::move(ex)),
      command_(std::move(command)),
      app_host_(std::move(app_host)),
      app_port_(app_port),
      cb_(std::move(cb)),
      output_(limits::app_output_lines) {}

supervisor::~supervisor() {
  // Last resort when the loop is torn down with the app alive: leave no process behind.
  if (child_ && !child_->gone) ::kill(-child_->pid, SIGKILL);
}

void supervisor::start() {
  if (!child_) spawn();
}

void supervisor::restart() {
  if (!child_) {
    spawn();
    return;
  }
  restart_pending_ = true;
  stop(false, nullptr);
}

void supervisor::stop(bool now, std::function<void()> on_stopped) {
  if (!child_) {
    restart_pending_ = false;
    if (on_stopped) on_stopped();
    return;
  }
  if (on_stopped) {
    restart_pending_ = false;
    on_stopped_.push_back(std::move(on_stopped));
  }
  auto c = child_;
  if (c->stopping && !now) return;
  c->stopping = true;
  // The whole group: runserver's reloader child, `npm run` -> sh -> node, and so on.
  ::kill(-c->pid, now ? SIGKILL : SIGTERM);
  if (!now) {
    c->kill_timer.expires_after(limits::app_stop_grace);
    c->kill_timer.async_wait([c](error_code ec) {
      if (!ec && !c->gone) {
        log::warn("app did not stop within " + std::to_string(limits::app_stop_grace.count()) +
                  " s of SIGTERM; sending SIGKILL");
        ::kill(-c->pid, SIGKILL);
      }
    });
  }
}

void supervisor::spawn() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  std::vector<char*> argv;
  for (auto& a : command_) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string port_env = "PORT=" + std::to_string(app_port_);
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::system_error(errno, std::generic_category(), "fork");
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // liveproxy died before prctl took effect
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::putenv(const_cast<char*>(port_env.c_str()));
    // Python buffers stdout on a pipe; a dev server's output should appear as it is written.
    ::putenv(const_cast<char*>("PYTHONUNBUFFERED=1"));
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvp(argv[0], argv.data());
    const char* msg = "liveproxy: cannot run ";
    [[maybe_unused]] auto r1 = ::write(STDERR_FILENO, msg, std::strlen(msg));
    [[maybe_unused]] auto r2 = ::write(STDERR_FILENO, argv[0], std::strlen(argv[0]));
    const char* why = errno == ENOENT ? ": command not found\n" : ": exec failed\n";
    [[maybe_unused]] auto r3 = ::write(STDERR_FILENO, why, std::strlen(why));
    ::_exit(127);
  }
  ::close(fds[1]);
  // Also from the parent, so a signal sent right after fork already finds the group.
  ::setpgid(pid, pid);

  auto c = std::make_shared<child>(ex_);
  c->pid = pid;
  c->generation = ++generation_;
  c->output.assign(fds[0]);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    ::kill(-pid, SIGKILL);
    throw std::system_error(errno, std::generic_category(), "pidfd_open (Linux 5.3 or newer is needed)");
  }
  c->exit_fd.assign(pidfd);
  child_ = c;
  output_.clear();

  std::string line = "starting app (run " + std::to_string(c->generation) + ", pid " + std::to_string(pid) + "):";
  for (const auto& a : command_) line += " " + a;
  log::info(line);

  net::co_spawn(ex_, watch_exit(c), net::detached);
  net::co_spawn(ex_, pump_output(c), net::detached);
  net::co_spawn(ex_, probe_ready(c), net::detached);
}

awaitable<void> supervisor::watch_exit(std::shared_ptr<child> c) {
  co_await c->exit_fd.async_wait(net::posix::stream_descriptor::wait_read, use_tuple);
  int status = 0;
  ::waitpid(c->pid, &status, 0);
  // The leader is gone; take the rest of its group with it.
  ::kill(-c->pid, SIGKILL);
  c->gone = true;
  c->kill_timer.cancel();
  app_exit e;
  e.pid = c->pid;
  e.signaled = WIFSIGNALED(status);
  e.code = e.signaled ? WTERMSIG(status) : WEXITSTATUS(status);
  e.was_ready = c->ready;
  if (c->stopping) {
    child_.reset();
    auto stopped = std::move(on_stopped_);
    on_stopped_.clear();
    for (auto& f : stopped) f();
    if (restart_pending_ && !child_) {
      restart_pending_ = false;
      spawn();
    }
    co_return;
  }
  child_.reset();
  on_child_gone(e);
}

void supervisor::on_child_gone(const app_exit& e) {
  if (cb_.exited) cb_.exited(e);
}

awaitable<void> supervisor::pump_output(std::shared_ptr<child> c) {
  std::array<char, 16 * 1024> buf;
  auto print = [](std::string_view line) {
    std::string out;
    out.reserve(line.size() + 8);
    out.append("  app | ").append(line).push_back('\n');
    [[maybe_unused]] auto n = ::write(STDOUT_FILENO, out.data(), out.size());
  };
  for (;;) {
    auto [ec, n] = co_await c->output.async_read_some(net::buffer(buf), use_tuple);
    if (ec) break;
    // Output of an older run that is still draining does not belong in the current log.
    if (child_ == c || !child_) output_.append(std::string_view(buf.data(), n), print);
  }
  if (child_ == c || !child_) output_.flush(print);
}

awaitable<void> supervisor::probe_ready(std::shared_ptr<child> c) {
  const tcp::endpoint ep(net::ip::make_address(app_host_), app_port_);
  steady_timer pause(ex_);
  while (!c->gone && !c->stopping) {
    tcp_socket probe(ex_);
    auto [ec] = co_await probe.async_connect(ep, use_tuple);
    if (c->gone || c->stopping) co_return;
    if (!ec) {
      c->ready = true;
      if (cb_.ready) cb_.ready(c->generation);
      co_return;
    }
    pause.expires_after(limits::ready_probe_interval);
    co_await pause.async_wait(use_tuple);
  }
}

}  // namespace liveproxy
