// The guard: a fork of liveproxy that never execs. After fork it only uses system calls and stack buffers.
#include "proxy/app/process_guard.hpp"

#include <algorithm>
#include <utility>
#include <cerrno>
#include <cstdint>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <initializer_list>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace liveproxy {
namespace {

/// Leftovers of a run get this long after SIGTERM before SIGKILL (liveproxy died, or the leader exited).
constexpr int leftover_grace_ms = 3000;
constexpr int app_fd = 3;  // SD_LISTEN_FDS_START

/// The guard ignores these: Ctrl-C, Ctrl-\, a hang-up or a SIGTERM to liveproxy's process group are liveproxy's
/// to act on (it tells the guard through the control pipe, or its death does); SIGPIPE, because the guard
/// writes to pipes whose reader may be gone.
constexpr int guard_ignored[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
/// What the terminal sends to its foreground process group (liveproxy's, which the app is in until setpgid),
/// other than SIGTERM: the app drops these if they arrived before it had its own group.
constexpr int terminal_signals[] = {SIGINT, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};

[[noreturn]] void die(const char* what) {
  const char* msg = "liveproxy guard: ";
  [[maybe_unused]] auto r1 = ::write(STDERR_FILENO, msg, std::strlen(msg));
  [[maybe_unused]] auto r2 = ::write(STDERR_FILENO, what, std::strlen(what));
  [[maybe_unused]] auto r3 = ::write(STDERR_FILENO, "\n", 1);
  ::_exit(125);
}

long now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1'000'000L;
}

char* format_uint(char* end, unsigned long v) {
  *--end = '\0';
  do *--end = static_cast<char>('0' + v % 10); while ((v /= 10) != 0);
  return end;
}

/// Signals the app's group and every direct child of the guard (and the group each may lead): orphans
/// of the tree are reparented to us (we are a subreaper), so repeating this reaches every descendant.
void signal_tree(pid_t app, int sig) {
  ::kill(-app, sig);
  char path[64] = "/proc/self/task/";
  char num[24];
  std::strcat(path, format_uint(num + sizeof num, static_cast<unsigned long>(::getpid())));
  std::strcat(path, "/children");
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  long pid = 0;
  for (char* p = buf;; ++p) {
    if (*p >= '0' && *p <= '9') {
      pid = pid * 10 + (*p - '0');
      continue;
    }
    if (pid > 0) {
      ::kill(static_cast<pid_t>(pid), sig);
      ::kill(static_cast<pid_t>(-pid), sig);
    }
    pid = 0;
    if (*p == '\0') break;
  }
}

/// Reaps what has ended; records the app's status. Returns false once no child is left.
bool reap(pid_t app, int& app_status, bool& app_done) {
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(-1, &st, WNOHANG);
    if (r > 0) {
      if (r == app) {
        app_status = st;
        app_done = true;
      }
      continue;
    }
    return !(r < 0 && errno == ECHILD);
  }
}

/// Discards a pending (blocked) sig and keeps its disposition: setting SIG_IGN discards a pending signal.
void discard_pending(int sig) {
  struct sigaction keep {};
  ::sigaction(sig, nullptr, &keep);
  ::signal(sig, SIG_IGN);
  ::sigaction(sig, &keep, nullptr);
}

/// True if liveproxy's end of the control pipe is closed: liveproxy is gone.
bool control_closed(int control_fd) {
  pollfd p{control_fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)) != 0;
}

[[noreturn]] void exec_app(const spawn_spec& spec, char* const* argv, char** envp, char* listen_pid_slot,
                           std::size_t slot_size, int out_fd, pid_t guard) {
  // We were forked with every signal blocked (see run_guard), so a SIGTERM for our group waits here instead
  // of meeting the guard's SIG_IGN and vanishing. Its default comes back while it is still blocked, which keeps
  // one already pending: it ends us when the mask is lifted below, before exec.
  ::signal(SIGTERM, SIG_DFL);
  const bool pty = spec.pty_slave >= 0;
  if (pty) {
    // A session of its own, led by the app, with its pseudo-terminal as the controlling terminal: Ctrl-C typed
    // there reaches its whole group, as in a terminal. setsid makes the group too (pgid == pid).
    if (::setsid() < 0 || ::ioctl(out_fd, TIOCSCTTY, 0) != 0) ::_exit(126);
  } else {
    ::setpgid(0, 0);
  }
  // Until setpgid we were in liveproxy's process group too: the terminal's Ctrl-C, Ctrl-\, hang-up or Ctrl-Z
  // that reached us there was meant for liveproxy, which stops the app itself. Delivered now, Ctrl-Z would
  // leave us stopped in a group that nobody continues.
  for (int sig : terminal_signals) discard_pending(sig);
  // If the guard itself is killed outright, the app must not outlive it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != guard) ::_exit(127);
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(out_fd, STDERR_FILENO);
  if (pty) {
    ::dup2(out_fd, STDIN_FILENO);
  } else {
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
  }
  int first_closed = app_fd;
  if (spec.listen_fd >= 0) {
    if (spec.listen_fd == app_fd) {
      ::fcntl(app_fd, F_SETFD, 0);
    } else {
      ::dup2(spec.listen_fd, app_fd);  // dup2 clears FD_CLOEXEC on the copy
    }
    first_closed = app_fd + 1;
  }
  if (spec.go_fd >= 0) {
    // spawn_guarded placed it above both numbers, so neither dup2 overwrote the other.
    ::dup2(spec.go_fd, go_fd_number);
    if (first_closed == app_fd) ::close(app_fd);
    first_closed = go_fd_number + 1;
  }
  if (spec.listen_fd >= 0 && spec.listen_env) {
    // LISTEN_PID must name the process that execs: us.
    char num[24];
    std::strncat(listen_pid_slot, format_uint(num + sizeof num, static_cast<unsigned long>(::getpid())),
                 slot_size - std::strlen(listen_pid_slot) - 1);
  }
  // Nothing of liveproxy's (front listener, inotify, other runs' pipes) may leak into the app.
  ::syscall(SYS_close_range, first_closed, ~0U, 0);
  // exec keeps ignored dispositions and the mask: the app gets the default action for every signal liveproxy
  // or the guard changed (their handlers were reset in the guard) and nothing blocked. A SIGTERM held since
  // fork is delivered here.
  for (int sig : guard_ignored) ::signal(sig, SIG_DFL);
  ::signal(SIGCHLD, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
    const char* m = "liveproxy: cannot enter the app's directory ";
    [[maybe_unused]] auto w1 = ::write(STDERR_FILENO, m, std::strlen(m));
    [[maybe_unused]] auto w2 = ::write(STDERR_FILENO, spec.cwd.c_str(), spec.cwd.size());
    [[maybe_unused]] auto w3 = ::write(STDERR_FILENO, "\n", 1);
    ::_exit(127);
  }
  ::execvpe(argv[0], argv, envp);
  const char* msg = "liveproxy: cannot run ";
  [[maybe_unused]] auto r1 = ::write(STDERR_FILENO, msg, std::strlen(msg));
  [[maybe_unused]] auto r2 = ::write(STDERR_FILENO, argv[0], std::strlen(argv[0]));
  const char* why = errno == ENOENT ? ": command not found\n" : errno == EACCES ? ": permission denied\n" : ": exec failed\n";
  [[maybe_unused]] auto r3 = ::write(STDERR_FILENO, why, std::strlen(why));
  ::_exit(127);
}

[[noreturn]] void run_guard(const spawn_spec& spec, char* const* argv, char** envp, char* listen_pid_slot,
                            std::size_t slot_size, int out_fd, int status_fd, int control_fd) {
  // spawn_guarded forked us with every signal blocked, and they stay blocked until the app is forked, so the
  // app is born holding a SIGTERM sent to it early instead of ignoring it. First, no handler of liveproxy's
  // may ever run here (they write to its loop's pipe): back to defaults, then ours.
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa {};
    if (sig != SIGKILL && sig != SIGSTOP && ::sigaction(sig, nullptr, &sa) == 0 && sa.sa_handler != SIG_DFL &&
        sa.sa_handler != SIG_IGN)
      ::signal(sig, SIG_DFL);
  }
  for (int sig : guard_ignored) ::signal(sig, SIG_IGN);
  ::signal(SIGCHLD, SIG_DFL);
  // Orphans of the app's tree (a double fork, setsid()) become our children, so we can find and stop them.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) die("PR_SET_CHILD_SUBREAPER failed");
  // liveproxy died before the app was forked (it would have sent the stop we could not yet pass on): start
  // nothing. If it dies from now on, the loop below stops the app, which holds that SIGTERM until exec.
  if (control_closed(control_fd)) ::_exit(0);
  const pid_t guard = ::getpid();
  const pid_t app = ::fork();
  if (app < 0) die("fork failed");
  if (app == 0) {
    ::close(status_fd);
    ::close(control_fd);
    exec_app(spec, argv, envp, listen_pid_slot, slot_size, out_fd, guard);
  }
  // The group exists before liveproxy learns the pid: its kill(-app) can never miss (the app sets it too).
  // With a terminal the app makes its group by setsid, which a setpgid here would make fail: wait for it
  // instead (it is the app's first step; a signal sent meanwhile is held by its mask until exec).
  if (spec.pty_slave < 0) {
    ::setpgid(app, app);
  } else {
    for (int i = 0; i < 2000 && ::getsid(app) != app; ++i) {
      timespec pause{0, 50'000};
      ::nanosleep(&pause, nullptr);
    }
  }
  // The app holds its own signals now; the guard takes its signals again (those it must survive are ignored).
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::close(out_fd);
  if (spec.listen_fd >= 0) ::close(spec.listen_fd);
  if (spec.go_fd >= 0) ::close(spec.go_fd);
  const std::int32_t app_pid = app;
  [[maybe_unused]] auto w1 = ::write(status_fd, &app_pid, sizeof app_pid);

  const int app_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, app, 0));
  int app_status = 0;
  bool app_done = false, status_sent = false, kill_now = false;
  long deadline = -1;  // set once cleanup has begun
  for (;;) {
    const bool children_left = reap(app, app_status, app_done);
    if (app_done && !status_sent) {
      const std::int32_t st = app_status;
      [[maybe_unused]] auto w2 = ::write(status_fd, &st, sizeof st);
      status_sent = true;
      ::close(status_fd);
    }
    if (!children_left) ::_exit(0);
    if (deadline < 0 && app_done) {
      // The leader is gone: whatever it left behind gets SIGTERM now, SIGKILL after the grace period.
      deadline = now_ms() + leftover_grace_ms;
      signal_tree(app, SIGTERM);
    }
    if (deadline >= 0 && (kill_now || now_ms() >= deadline)) signal_tree(app, SIGKILL);

    pollfd fds[2];
    nfds_t n = 0;
    const int ctl = control_fd >= 0 ? static_cast<int>(n) : -1;
    if (control_fd >= 0) fds[n++] = {control_fd, POLLIN, 0};
    if (app_pidfd >= 0 && !app_done) fds[n++] = {app_pidfd, POLLIN, 0};
    // While leftovers are being stopped, look again soon; otherwise sleep until something happens
    // (orphans that exit on their own are reaped at least once a second).
    const int timeout = deadline >= 0 ? 5 : (app_pidfd >= 0 ? 1000 : 20);
    if (::poll(fds, n, timeout) > 0 && ctl >= 0 && (fds[ctl].revents & (POLLIN | POLLHUP | POLLERR))) {
      char c = 0;
      const ssize_t got = ::read(control_fd, &c, 1);
      if (got == 1 && c == 'k') {
        kill_now = true;
        signal_tree(app, SIGKILL);
      } else if (got <= 0) {
        // liveproxy is gone (or closed the pipe): stop the whole tree, gracefully first.
        ::close(control_fd);
        control_fd = -1;
        if (deadline < 0) {
          deadline = now_ms() + leftover_grace_ms;
          signal_tree(app, SIGTERM);
        }
      }
      if (kill_now && deadline < 0) deadline = now_ms();
    }
  }
}

/// Closes every descriptor from 3 up except those in keep (the guard must hold nothing of liveproxy's).
void close_all_but(std::initializer_list<int> keep_list) {
  int keep[8];
  int n = 0;
  for (int fd : keep_list)
    if (fd > 2 && n < 8) keep[n++] = fd;
  // A few entries: insertion sort, no library call.
  for (int i = 1; i < n; ++i)
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) std::swap(keep[j - 1], keep[j]);
  int from = 3;
  for (int i = 0; i < n; ++i) {
    if (keep[i] > from) ::syscall(SYS_close_range, from, keep[i] - 1, 0);
    from = keep[i] + 1;
  }
  ::syscall(SYS_close_range, from, ~0U, 0);
}

std::string env_name(std::string_view kv) { return std::string(kv.substr(0, kv.find('='))); }

}  // namespace

guarded_run spawn_guarded(const spawn_spec& spec) {
  // Everything the children need is built before fork.
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> added = spec.env_add;
  const bool listen_env = spec.listen_fd >= 0 && spec.listen_env;
  if (listen_env) {
    added.emplace_back("LISTEN_FDS=1");
    added.emplace_back("LISTEN_FDNAMES=app");
  }
  std::vector<std::string> names;
  for (const auto& kv : added) names.push_back(env_name(kv));
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string name = env_name(*e);
    // A LISTEN_* we inherited was meant for us, not for the app.
    if (name == "LISTEN_PID" || name == "LISTEN_FDS" || name == "LISTEN_FDNAMES") continue;
    if (std::find(names.begin(), names.end(), name) == names.end()) env.emplace_back(*e);
  }
  for (auto& kv : added) env.push_back(std::move(kv));
  std::vector<char*> envp;
  for (auto& kv : env) envp.push_back(kv.data());
  char listen_pid[48] = "LISTEN_PID=";  // the app appends its own pid after fork
  if (listen_env) envp.push_back(listen_pid);
  envp.push_back(nullptr);

  int out[2], status[2], control[2];
  if (spec.pty_slave >= 0) {
    // The app writes to its terminal; the guard holds the slave only until the app is forked.
    out[0] = -1;
    out[1] = ::fcntl(spec.pty_slave, F_DUPFD_CLOEXEC, 3);
    if (out[1] < 0) throw std::system_error(errno, std::generic_category(), "fcntl(F_DUPFD_CLOEXEC)");
  } else if (::pipe2(out, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  if (::pipe2(status, O_CLOEXEC) != 0) {
    const int err = errno;
    if (out[0] >= 0) ::close(out[0]);
    ::close(out[1]);
    throw std::system_error(err, std::generic_category(), "pipe2");
  }
  if (::pipe2(control, O_CLOEXEC) != 0) {
    const int err = errno;
    if (out[0] >= 0) ::close(out[0]);
    ::close(out[1]), ::close(status[0]), ::close(status[1]);
    throw std::system_error(err, std::generic_category(), "pipe2");
  }
  auto close_all = [&] {
    for (int fd : {out[0], out[1], status[0], status[1], control[0], control[1]})
      if (fd >= 0) ::close(fd);
  };
  // No signal handler of liveproxy's may run in the guard between fork and its own set-up.
  sigset_t all, old;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, &old);
  const pid_t guard = ::fork();
  if (guard < 0) {
    const int err = errno;
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    close_all();
    throw std::system_error(err, std::generic_category(), "fork");
  }
  if (guard == 0) {
    close_all_but({out[1], status[1], control[0], spec.listen_fd, spec.go_fd});
    run_guard(spec, argv.data(), envp.data(), listen_pid, sizeof listen_pid, out[1], status[1], control[0]);
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  ::close(out[1]);
  ::close(status[1]);
  ::close(control[0]);

  guarded_run run;
  run.guard = guard;
  run.output_fd = out[0];
  run.status_fd = status[0];
  run.control_fd = control[1];
  // The guard reports the app's pid at once; a short blocking read keeps start() synchronous.
  std::int32_t app = -1;
  ssize_t got = 0;
  do got = ::read(status[0], &app, sizeof app);
  while (got < 0 && errno == EINTR);
  run.guard_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, guard, 0));
  if (got != sizeof app || app <= 0 || run.guard_pidfd < 0) {
    const int err = run.guard_pidfd < 0 ? errno : ECHILD;
    ::kill(guard, SIGKILL);
    ::waitpid(guard, nullptr, 0);
    for (int fd : {run.output_fd, run.status_fd, run.control_fd, run.guard_pidfd})
      if (fd >= 0) ::close(fd);
    throw std::system_error(err, std::generic_category(),
                            run.guard_pidfd < 0 ? "pidfd_open (Linux 5.3 or newer is needed)"
                                                : "the app guard failed to start");
  }
  run.app = app;
  return run;
}

}  // namespace liveproxy
