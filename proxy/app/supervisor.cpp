// Process control on Linux: a guard process per run (see process_guard.hpp), pidfd for exit, one pipe for output.
#include "proxy/app/supervisor.hpp"

#include "proxy/app/process_guard.hpp"
#include "proxy/base/limits.hpp"
#include "proxy/base/log.hpp"
#include "proxy/base/terminal_text.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

namespace liveproxy {
namespace {

using namespace std::chrono_literals;

/// Connect-probe interval while the app starts: a refused loopback connect costs ~20 us, so 2 ms
/// adds at most 2 ms to a restart at negligible CPU. After the start timeout it slows down.
constexpr auto probe_interval = 2ms;
constexpr auto slow_probe_interval = 100ms;
/// How long to wait for an old process to release the app port before starting anyway.
constexpr auto port_release_timeout = 5s;
constexpr auto port_check_interval = 2ms;

/// --fd: how often the handed-over socket's accept queue is looked at while the app starts.
constexpr auto accept_check_interval = 20ms;

/// Connections waiting in a listening socket's accept queue (Linux reports it as tcpi_unacked).
std::uint32_t accept_queue_length(int listen_fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(listen_fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return 0;
  return info.tcpi_unacked;
}

long long to_ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

/// True if something still listens on (or holds) host:port: a bind with SO_REUSEADDR then fails.
bool port_in_use(const std::string& host, std::uint16_t port) {
  error_code ec;
  const auto addr = net::ip::make_address(host, ec);
  if (ec) return false;
  const int fd = ::socket(addr.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const tcp::endpoint ep(addr, port);
  const bool busy = ::bind(fd, ep.data(), static_cast<socklen_t>(ep.size())) != 0 && errno == EADDRINUSE;
  ::close(fd);
  return busy;
}

}  // namespace

struct supervisor::child {
  explicit child(net::any_io_executor ex) : guard_fd(ex), status(ex), output(ex), kill_timer(ex) {}
  ~child() {
    if (control_fd >= 0) ::close(control_fd);
    if (go_fd >= 0) ::close(go_fd);
  }
  pid_t guard = -1;
  pid_t pid = -1;  ///< the app, leader of its process group
  int control_fd = -1;
  int go_fd = -1;         ///< a spare's go pipe (write end): one byte and it runs the app
  bool spare = false;     ///< started as a spare and not yet told to go
  std::uint64_t generation = 0;
  std::chrono::steady_clock::time_point started_at{};
  std::chrono::steady_clock::time_point stop_requested_at{};
  net::posix::stream_descriptor guard_fd;  ///< pidfd of the guard: readable when the whole tree is gone
  net::posix::stream_descriptor status;    ///< the app's wait status arrives here when it exits
  net::posix::stream_descriptor output;    ///< read end of the app's stdout+stderr
  steady_timer kill_timer;                 ///< SIGTERM -> SIGKILL escalation
  bool pty = false;                        ///< output is the master side of the app's pseudo-terminal
  std::string typed;                       ///< keys not yet taken by the app's terminal (bounded)
  bool flushing = false;
  bool ready = false;
  bool stopping = false;  ///< we asked it to end
  bool app_done = false;  ///< the app (group leader) has exited
  bool gone = false;      ///< the guard has exited: nothing of this run is left

  /// Tells the guard to SIGKILL everything that is left of the run.
  void kill_all() {
    ::kill(-pid, SIGKILL);
    if (control_fd >= 0) {
      [[maybe_unused]] auto n = ::write(control_fd, "k", 1);
    }
  }
};

std::string app_exit::describe() const {
  if (signaled) return "was killed by signal " + std::to_string(code) + " (" + ::strsignal(code) + ")";
  return "exited with status " + std::to_string(code);
}

supervisor::supervisor(net::any_io_executor ex, supervisor_options opts, callbacks cb)
    : ex_(std::move(ex)),
      opts_(std::move(opts)),
      cb_(std::move(cb)),
      output_(limits::app_output_lines, limits::app_output_line_bytes, limits::app_output_bytes),
      spare_timer_(ex_),
      echo_({!log::verbose(), opts_.app_port}) {}  // --verbose shows every start-up in full

void supervisor::show(const std::vector<echo_piece>& pieces) const {
  for (const auto& p : pieces) {
    if (p.what == echo_piece::kind::text) log::app_output(p.text, opts_.name);
    else log::app_collapsed(p.lines, opts_.name);
  }
}

supervisor::~supervisor() {
  // Last resort when the loop is torn down with the app alive; the guard also stops the rest
  // when its control pipe closes with the child.
  if (child_ && !child_->gone) child_->kill_all();
  discard_spare();
}

void supervisor::reconfigure(std::vector<std::string> command, std::vector<std::string> env,
                             std::chrono::milliseconds start_timeout, std::vector<std::string> spare_command,
                             std::vector<std::string> spare_env) {
  opts_.command = std::move(command);
  opts_.env = std::move(env);
  opts_.start_timeout = start_timeout;
  opts_.spare_command = std::move(spare_command);
  opts_.spare_env = std::move(spare_env);
  spare_failed_ = false;
  // The waiting spare was started with the old command and environment.
  discard_spare();
}

int supervisor::spare_pid() const { return spare_ && !spare_->app_done ? spare_->pid : 0; }

bool supervisor::running() const { return waiting_for_port_ || (child_ && !child_->app_done); }

int supervisor::app_pid() const { return child_ && !child_->app_done ? child_->pid : 0; }

std::chrono::steady_clock::duration supervisor::since_start() const {
  return std::chrono::steady_clock::now() - started_at_;
}

void supervisor::start() {
  if (!child_ && !waiting_for_port_) launch_when_port_free();
}

void supervisor::restart() {
  restart_pending_ = true;
  if (child_) {
    stop(false, nullptr);
    return;
  }
  restart_pending_ = false;
  if (!waiting_for_port_) launch_when_port_free();
}

void supervisor::stop(bool now, std::function<void()> on_stopped) {
  if (waiting_for_port_) {
    // Not started yet: just do not start.
    waiting_for_port_ = false;
    ++launch_ticket_;
  }
  if (!child_) {
    restart_pending_ = false;
    if (on_stopped) {
      discard_spare();
      on_stopped();
    }
    return;
  }
  if (on_stopped) {
    restart_pending_ = false;
    on_stopped_.push_back(std::move(on_stopped));
    discard_spare();  // a final stop: no next run
  }
  auto c = child_;
  if (c->stopping && !now) return;
  if (!c->stopping) c->stop_requested_at = std::chrono::steady_clock::now();
  c->stopping = true;
  if (now) {
    c->kill_all();
    return;
  }
  if (c->app_done) return;  // the guard is already clearing up what is left
  // The whole group: runserver's reloader child, `npm run` -> sh -> node, and so on.
  ::kill(-c->pid, SIGTERM);
  c->kill_timer.expires_after(limits::app_stop_grace);
  c->kill_timer.async_wait([c](error_code ec) {
    if (!ec && !c->gone) {
      log::warn("app did not stop within " + std::to_string(limits::app_stop_grace.count()) +
                " s of SIGTERM; sending SIGKILL");
      c->kill_all();
    }
  });
}

void supervisor::launch_when_port_free() {
  // In --fd mode we hold the socket ourselves; otherwise an old grandchild still holding the port
  // would answer the readiness probe in place of the new run.
  if (opts_.listen_fd >= 0 || !opts_.listens || !port_in_use(opts_.app_host, opts_.app_port)) {
    launch();
    return;
  }
  waiting_for_port_ = true;
  net::co_spawn(ex_, wait_port_then_launch(++launch_ticket_), net::detached);
}

awaitable<void> supervisor::wait_port_then_launch(std::uint64_t ticket) {
  const auto began = std::chrono::steady_clock::now();
  steady_timer pause(ex_);
  bool said = false;
  while (port_in_use(opts_.app_host, opts_.app_port)) {
    const auto waited = std::chrono::steady_clock::now() - began;
    if (waited >= port_release_timeout) {
      log::warn("port " + std::to_string(opts_.app_port) + " is still in use by another process after " +
                std::to_string(to_ms(waited)) + " ms; starting the app anyway");
      break;
    }
    if (!said && waited >= 100ms) {
      said = true;
      log::info("waiting for port " + std::to_string(opts_.app_port) + " to be released before starting the app");
    }
    pause.expires_after(port_check_interval);
    co_await pause.async_wait(use_tuple);
    if (ticket != launch_ticket_) co_return;
  }
  if (ticket != launch_ticket_ || !waiting_for_port_) co_return;
  waiting_for_port_ = false;
  launch();
}

std::shared_ptr<supervisor::child> supervisor::spawn(bool spare) {
  spawn_spec spec;
  spec.argv = preloading() ? opts_.spare_command : opts_.command;
  spec.env_add = {"PORT=" + std::to_string(opts_.app_port),
                  // Python buffers stdout on a pipe; a dev server's output should appear as it is written.
                  "PYTHONUNBUFFERED=1"};
  spec.env_add.insert(spec.env_add.end(), opts_.env.begin(), opts_.env.end());
  spec.listen_fd = opts_.listen_fd;
  spec.cwd = opts_.cwd;
  spec.listen_env = opts_.listen_env;
  int go[2] = {-1, -1};
  if (preloading()) {
    spec.env_add.insert(spec.env_add.end(), opts_.spare_env.begin(), opts_.spare_env.end());
    spec.env_add.push_back("LIVEPROXY_PRELOAD_GO_FD=" + std::to_string(go_fd_number));
    if (::pipe2(go, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
    // Above the numbers the app gets (3, go_fd_number), so that placing one cannot overwrite the other.
    const int high = ::fcntl(go[0], F_DUPFD_CLOEXEC, 10);
    const int err = errno;
    ::close(go[0]);
    if (high < 0) {
      ::close(go[1]);
      throw std::system_error(err, std::generic_category(), "fcntl(F_DUPFD_CLOEXEC)");
    }
    go[0] = high;
    spec.go_fd = go[0];
    // A run started now goes at once: the byte waits in the pipe until the interpreter reads it.
    if (!spare) {
      [[maybe_unused]] auto n = ::write(go[1], "g", 1);
    }
  }
  int master = -1;
  if (opts_.pty) {
    // A new terminal for every run: one left in a debugger's raw mode by a killed run is not the next one's.
    winsize size{};
    const bool sized = ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0;
    termios settings = *opts_.pty;
    if (::openpty(&master, &spec.pty_slave, nullptr, &settings, sized ? &size : nullptr) != 0) {
      if (go[0] >= 0) ::close(go[0]), ::close(go[1]);
      throw std::system_error(errno, std::generic_category(), "openpty");
    }
    ::fcntl(master, F_SETFD, FD_CLOEXEC);
    ::fcntl(spec.pty_slave, F_SETFD, FD_CLOEXEC);
  }
  guarded_run run;
  try {
    run = spawn_guarded(spec);
  } catch (...) {
    if (go[0] >= 0) ::close(go[0]), ::close(go[1]);
    if (master >= 0) ::close(master), ::close(spec.pty_slave);
    throw;
  }
  if (go[0] >= 0) ::close(go[0]);
  // Only the app holds its terminal's slave: when the last of its tree closes it, reading the master ends.
  if (master >= 0) {
    ::close(spec.pty_slave);
    run.output_fd = master;
  }
  auto c = std::make_shared<child>(ex_);
  c->guard = run.guard;
  c->pid = run.app;
  c->control_fd = run.control_fd;
  c->go_fd = spare ? go[1] : -1;
  if (!spare && go[1] >= 0) ::close(go[1]);
  c->spare = spare;
  c->pty = master >= 0;
  c->output.assign(run.output_fd);
  ::fcntl(run.status_fd, F_SETFL, O_NONBLOCK);
  c->status.assign(run.status_fd);
  c->guard_fd.assign(run.guard_pidfd);
  return c;
}

std::shared_ptr<supervisor::child> supervisor::take_spare() {
  spare_timer_.cancel();
  auto c = std::move(spare_);
  spare_.reset();
  if (!c) return nullptr;
  if (c->app_done || c->gone || ::write(c->go_fd, "g", 1) != 1) {
    c->kill_all();
    return nullptr;
  }
  ::close(c->go_fd);
  c->go_fd = -1;
  c->spare = false;
  return c;
}

void supervisor::schedule_spare(std::optional<std::chrono::milliseconds> delay) {
  if (!preloading() || spare_) return;
  spare_timer_.expires_after(delay.value_or(opts_.spare_delay));
  spare_timer_.async_wait([this](error_code ec) {
    if (ec || !preloading() || spare_) return;
    try {
      spare_ = spawn(true);
    } catch (const std::exception& e) {
      log::warn(std::string("cannot start the preloaded interpreter: ") + e.what());
      return;
    }
    log::detail("preloading the next run (pid " + std::to_string(spare_->pid) + ")");
    net::co_spawn(ex_, watch_spare(spare_), net::detached);
  });
}

void supervisor::discard_spare() {
  spare_timer_.cancel();
  if (spare_ && !spare_->gone) spare_->kill_all();
  spare_.reset();
}

awaitable<void> supervisor::watch_spare(std::shared_ptr<child> c) {
  co_await c->guard_fd.async_wait(net::posix::stream_descriptor::wait_read, use_tuple);
  if (!c->spare) co_return;  // it became a run: watch_guard has it
  ::waitpid(c->guard, nullptr, 0);
  c->gone = c->app_done = true;
  if (spare_ != c) co_return;  // discarded (killed) by us
  spare_.reset();
  spare_failed_ = true;
  // It ended by itself while preloading: whatever it printed says why.
  std::string out;
  std::array<char, 4096> buf;
  ::fcntl(c->output.native_handle(), F_SETFL, O_NONBLOCK);
  for (ssize_t n; out.size() < 64 * 1024 && (n = ::read(c->output.native_handle(), buf.data(), buf.size())) > 0;)
    out.append(buf.data(), static_cast<std::size_t>(n));
  if (cb_.spare_failed) cb_.spare_failed(out);
}

void supervisor::launch() {
  // Said on the restart's line when a preloaded start was expected and this one is not.
  not_preloaded_why_ = spare_failed_ ? "preloading failed earlier"
                       : spare_        ? "the warm interpreter had ended"
                                       : "no warm interpreter was ready yet (the last start was moments ago)";
  auto c = take_spare();
  run_preloaded_ = c != nullptr;
  if (!c) c = spawn(false);
  c->generation = ++generation_;
  c->started_at = started_at_ = std::chrono::steady_clock::now();
  child_ = c;
  output_.clear();
  log::end_app_line();
  echo_.run_started();

  std::string line = "starting app (run " + std::to_string(c->generation) + ", pid " + std::to_string(c->pid) +
                     (run_preloaded_ ? ", preloaded" : "") + "):";
  for (const auto& a : opts_.command) line += " " + a;
  log::detail(line);
  if (cb_.started) cb_.started(c->generation, c->pid);

  net::co_spawn(ex_, watch_status(c), net::detached);
  net::co_spawn(ex_, watch_guard(c), net::detached);
  net::co_spawn(ex_, pump_output(c), net::detached);
  net::co_spawn(ex_, probe_ready(c), net::detached);
}

void supervisor::take_status(const std::shared_ptr<child>& c) {
  if (c->app_done) return;
  std::int32_t raw = 0;
  const ssize_t n = ::read(c->status.native_handle(), &raw, sizeof raw);
  if (n != sizeof raw && !c->gone) return;  // not yet
  c->app_done = true;
  c->kill_timer.cancel();
  app_exit e;
  e.pid = c->pid;
  e.was_ready = c->ready;
  e.uptime = std::chrono::steady_clock::now() - c->started_at;
  if (n == sizeof raw) {
    const int status = raw;
    e.signaled = WIFSIGNALED(status);
    e.code = e.signaled ? WTERMSIG(status) : WEXITSTATUS(status);
  } else {
    // The guard died without reporting (it was killed): the app went with it.
    e.signaled = true;
    e.code = SIGKILL;
  }
  if (!c->stopping && cb_.exited) cb_.exited(e);
}

awaitable<void> supervisor::watch_status(std::shared_ptr<child> c) {
  co_await c->status.async_wait(net::posix::stream_descriptor::wait_read, use_tuple);
  take_status(c);
}

awaitable<void> supervisor::watch_guard(std::shared_ptr<child> c) {
  co_await c->guard_fd.async_wait(net::posix::stream_descriptor::wait_read, use_tuple);
  ::waitpid(c->guard, nullptr, 0);
  take_status(c);  // the status may still sit in its pipe
  c->gone = true;
  take_status(c);
  c->kill_timer.cancel();
  if (child_ != c) co_return;
  child_.reset();
  if (c->stopping)
    log::detail("app stopped in " + std::to_string(to_ms(std::chrono::steady_clock::now() - c->stop_requested_at)) +
              " ms (run " + std::to_string(c->generation) + ")");
  auto stopped = std::move(on_stopped_);
  on_stopped_.clear();
  for (auto& f : stopped) f();
  if (restart_pending_ && !child_ && !waiting_for_port_) {
    restart_pending_ = false;
    launch_when_port_free();
  } else if (!child_ && stopped.empty()) {
    schedule_spare();  // it ended (a crash, say): the next run, at the next change, starts warm
  }
}

void supervisor::type(std::string_view keys) {
  const auto c = child_;
  if (!c || !c->pty || c->app_done || keys.empty()) return;
  // Bounded: a paste far larger than the app reads is cut, not kept without end.
  c->typed.append(keys.substr(0, std::min(keys.size(), limits::typed_bytes - std::min(limits::typed_bytes, c->typed.size()))));
  if (!c->flushing) net::co_spawn(ex_, flush_typed(c), net::detached);
}

awaitable<void> supervisor::flush_typed(std::shared_ptr<child> c) {
  // Written without blocking: a terminal whose input queue is full (the app not reading) must not stop the
  // loop, which also reads what the app writes.
  c->flushing = true;
  while (!c->typed.empty() && !c->app_done && c->output.is_open()) {
    const ssize_t n = ::write(c->output.native_handle(), c->typed.data(), c->typed.size());
    if (n > 0) {
      c->typed.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto [ec] = co_await c->output.async_wait(net::posix::stream_descriptor::wait_write, use_tuple);
      if (ec) break;
      continue;
    }
    break;
  }
  c->typed.clear();
  c->flushing = false;
}

void supervisor::resize() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) return;
  // The terminal sends SIGWINCH to the app's foreground group itself.
  for (const auto& c : {child_, spare_})
    if (c && c->pty && c->output.is_open()) ::ioctl(c->output.native_handle(), TIOCSWINSZ, &size);
}

std::optional<std::string> supervisor::waiting_prompt(std::chrono::steady_clock::time_point now) const {
  if (!child_ || !child_->pty || child_->app_done || output_.partial().empty()) return std::nullopt;
  if (now - last_output_ < limits::prompt_quiet) return std::nullopt;
  // As it shows: after the last carriage return, without escape sequences (bracketed-paste mode on, colours).
  std::string_view line = output_.partial();
  if (const auto cr = line.rfind('\r'); cr != std::string_view::npos) line.remove_prefix(cr + 1);
  auto prompt = strip_ansi(line);
  if (prompt.find_first_not_of(' ') == std::string::npos) return std::nullopt;
  return prompt;
}

awaitable<void> supervisor::pump_output(std::shared_ptr<child> c) {
  std::array<char, 16 * 1024> buf;
  auto print = [this](std::string_view bytes) { show(echo_.feed(bytes)); };
  for (;;) {
    auto [ec, n] = co_await c->output.async_read_some(net::buffer(buf), use_tuple);
    if (ec) break;
    // Output of an older run that is still draining does not belong in the current log.
    if (child_ == c || !child_) {
      last_output_ = std::chrono::steady_clock::now();
      const std::string_view bytes(buf.data(), n);
      // The warm interpreter found a library file changed since it imported it and starts the app afresh
      // (assets/python_preload.py): this run is not a preloaded one, and the restart's line says why.
      static constexpr std::string_view restarting = " changed since it was preloaded: starting the app without";
      if (const auto at = bytes.find(restarting); at != std::string_view::npos && run_preloaded_ && child_ == c) {
        const auto line_start = bytes.rfind('\n', at);
        auto path = bytes.substr(line_start == std::string_view::npos ? 0 : line_start + 1);
        path = path.substr(0, at - (line_start == std::string_view::npos ? 0 : line_start + 1));
        if (path.starts_with("liveproxy: ")) path.remove_prefix(11);
        run_preloaded_ = false;
        not_preloaded_why_ = std::filesystem::path(path).filename().string() + " changed since it was preloaded";
      }
      output_.append(bytes, print);
      if (cb_.output) cb_.output();
    }
  }
  if (child_ == c || !child_) {
    output_.flush();
    show(echo_.ended());
  }
}

awaitable<void> supervisor::watch_accepts(std::shared_ptr<child> c) {
  // A probe connection waits in the backlog until the app accepts it (or anything queued before it): the
  // queue getting shorter is the app accepting. Not accepting within the start timeout is reported like an
  // app that never listens (the caller drains the backlog so the waiting requests get the explanation, which
  // takes our probe too: a new one is queued), and readiness again once it does accept.
  const tcp::endpoint ep(net::ip::make_address(opts_.app_host), opts_.app_port);
  steady_timer pause(ex_);
  bool timed_out = false;
  tcp_socket probe(ex_);
  if (auto [ec] = co_await probe.async_connect(ep, use_tuple); ec) co_return;
  std::uint32_t longest = 0;
  while (!c->app_done && !c->stopping) {
    const auto waiting = accept_queue_length(opts_.listen_fd);
    if (waiting == 0 || waiting < longest) {
      if (timed_out) {
        if (child_ == c) show(echo_.ready());
        if (cb_.ready) cb_.ready(c->generation);
      }
      co_return;
    }
    longest = std::max(longest, waiting);
    if (!timed_out && std::chrono::steady_clock::now() - c->started_at >= opts_.start_timeout) {
      timed_out = true;
      if (cb_.start_timed_out) cb_.start_timed_out(c->generation);
      if (c->app_done || c->stopping) co_return;
      probe = tcp_socket(ex_);
      if (auto [ec] = co_await probe.async_connect(ep, use_tuple); ec) co_return;
      longest = 0;
    }
    pause.expires_after(timed_out ? std::chrono::milliseconds(slow_probe_interval) : accept_check_interval);
    co_await pause.async_wait(use_tuple);
  }
}

void supervisor::became_ready(const std::shared_ptr<child>& c) {
  c->ready = true;
  if (child_ == c) show(echo_.ready());
  if (cb_.ready) cb_.ready(c->generation);
}

awaitable<void> supervisor::probe_ready(std::shared_ptr<child> c) {
  if (!opts_.listens) co_return became_ready(c);  // a side process: ready once started
  if (opts_.listen_fd >= 0) {
    // The socket already listens (we bound it): connections queue in its backlog until the app accepts, so
    // requests go there at once. Whether the app does accept is watched separately.
    became_ready(c);
    // Ready at once, but still importing: the spare imports what the run has imported by the time it starts.
    if (child_ == c) schedule_spare(std::max(opts_.spare_delay, std::chrono::milliseconds(250)));
    co_await watch_accepts(c);
    co_return;
  }
  const tcp::endpoint ep(net::ip::make_address(opts_.app_host), opts_.app_port);
  steady_timer pause(ex_);
  bool timed_out = false;
  while (!c->app_done && !c->stopping) {
    tcp_socket probe(ex_);
    auto [ec] = co_await probe.async_connect(ep, use_tuple);
    if (c->app_done || c->stopping) co_return;
    if (!ec) {
      became_ready(c);
      if (child_ == c) schedule_spare();
      co_return;
    }
    if (!timed_out && std::chrono::steady_clock::now() - c->started_at >= opts_.start_timeout) {
      timed_out = true;
      if (cb_.start_timed_out) cb_.start_timed_out(c->generation);
    }
    pause.expires_after(timed_out ? std::chrono::milliseconds(slow_probe_interval) : std::chrono::milliseconds(probe_interval));
    co_await pause.async_wait(use_tuple);
  }
}

}  // namespace liveproxy
