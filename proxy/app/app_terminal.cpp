// Raw mode as libuv sets it (output processing kept, so our "\n" still starts a line), restored at stop, at exit
// and on a fatal signal. stdin is waited on with the loop and read with read(2): asio would make the terminal's
// file description O_NONBLOCK, and the shell would inherit that after we exit.
#include "proxy/app/app_terminal.hpp"

#include "proxy/base/log.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdlib>

namespace liveproxy {
namespace {

// The settings to give back, for the atexit and fatal-signal paths too (which cannot reach an object).
termios saved{};
volatile sig_atomic_t raw_now = 0;
pid_t owner = 0;  // forked children (the guard) must not restore a terminal that is not theirs to touch

void restore_saved() {
  if (!raw_now || ::getpid() != owner) return;
  // A process in the background would be stopped by its own tcsetattr: SIGTTOU is held meanwhile.
  sigset_t ttou, old;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  ::sigprocmask(SIG_BLOCK, &ttou, &old);
  ::tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  raw_now = 0;
}

void on_fatal(int sig) {
  restore_saved();  // tcsetattr and sigprocmask are async-signal-safe
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_restorers() {
  static bool done = false;
  if (done) return;
  done = true;
  std::atexit(restore_saved);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) {
    struct sigaction sa {};
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
  }
}

}  // namespace

bool app_terminal::wanted() {
  return ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1 && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();
}

std::optional<termios> app_terminal::current_settings() {
  termios t{};
  if (::tcgetattr(STDIN_FILENO, &t) != 0) return std::nullopt;
  return t;
}

app_terminal::app_terminal(net::any_io_executor ex, callbacks cb)
    : ex_(ex), cb_(std::move(cb)), in_(ex), winch_(ex, SIGWINCH) {}

app_terminal::~app_terminal() { stop(); }

bool app_terminal::start() {
  if (running_ || !wanted()) return false;
  termios cooked{};
  if (::tcgetattr(STDIN_FILENO, &cooked) != 0) return false;
  const int fd = ::dup(STDIN_FILENO);  // a copy, so closing ours never closes the process's stdin
  if (fd < 0) return false;
  error_code ec;
  in_.assign(fd, ec);
  if (ec) {
    ::close(fd);
    return false;
  }
  saved = cooked;
  owner = ::getpid();
  install_restorers();
  termios raw = cooked;
  raw.c_iflag &= ~(BRKINT | ICRNL | INPCK | ISTRIP | IXON);  // Ctrl-S/Q reach the app; Enter arrives as '\r'
  raw.c_oflag |= ONLCR;                                      // OPOST untouched: our lines still start at column 0
  raw.c_cflag |= CS8;
  raw.c_lflag &= ~(ECHO | ICANON | IEXTEN | ISIG);  // the app's terminal echoes; ^C ^\ ^Z arrive as bytes
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  if (::tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) != 0) {
    in_.close(ec);
    return false;
  }
  raw_now = 1;
  // The app's terminal uses the user's own interrupt and line-erase keys.
  input_ = terminal_input(static_cast<char>(cooked.c_cc[VINTR]), static_cast<char>(cooked.c_cc[VKILL]));
  running_ = true;
  net::co_spawn(ex_, read_keys(), net::detached);
  net::co_spawn(ex_, follow_size(), net::detached);
  return true;
}

void app_terminal::stop() {
  if (running_) {
    running_ = false;
    error_code ec;
    in_.cancel(ec);
    winch_.cancel(ec);
  }
  restore_saved();
}

awaitable<void> app_terminal::read_keys() {
  char buf[1024];
  while (running_) {
    auto [ec] = co_await in_.async_wait(net::posix::stream_descriptor::wait_read, use_tuple);
    if (ec || !running_) co_return;
    const ssize_t n = ::read(in_.native_handle(), buf, sizeof buf);
    if (n <= 0) co_return;  // the terminal went away
    const bool at_prompt = cb_.at_prompt && cb_.at_prompt();
    auto r = input_.feed(std::string_view(buf, static_cast<std::size_t>(n)), at_prompt,
                         terminal_input::clock::now());
    if (!r.to_app.empty() && cb_.to_app) cb_.to_app(r.to_app);
    if (r.explain)
      log::info("Ctrl-C went to the app (it waits at a prompt); press Ctrl-C again within 1 s to stop liveproxy");
    if (r.restart && cb_.restart) cb_.restart();
    if (r.stop && cb_.stop) cb_.stop();
  }
}

awaitable<void> app_terminal::follow_size() {
  while (running_) {
    auto [ec, sig] = co_await winch_.async_wait(use_tuple);
    if (ec || !running_) co_return;
    if (cb_.resized) cb_.resized();
  }
}

}  // namespace liveproxy
