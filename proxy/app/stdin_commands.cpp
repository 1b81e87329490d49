// stdin is waited on with the loop and then read with a plain read(2): asio would switch the terminal's
// shared file description to O_NONBLOCK, which the shell would inherit after we exit.
#include "proxy/app/stdin_commands.hpp"

#include <unistd.h>

namespace liveproxy {

command_lines::command command_lines::parse(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  return line == "rs" ? command::restart : command::none;
}

stdin_commands::stdin_commands(net::any_io_executor ex, std::function<void()> on_restart)
    : ex_(ex), on_restart_(std::move(on_restart)), in_(ex) {}

stdin_commands::~stdin_commands() { stop(); }

bool stdin_commands::start() {
  if (!::isatty(STDIN_FILENO)) return false;
  // A copy, so closing ours never closes the process's stdin.
  const int fd = ::dup(STDIN_FILENO);
  if (fd < 0) return false;
  error_code ec;
  in_.assign(fd, ec);
  if (ec) {
    ::close(fd);
    return false;
  }
  net::co_spawn(ex_, run(), net::detached);
  return true;
}

void stdin_commands::stop() {
  stopped_ = true;
  error_code ec;
  in_.cancel(ec);
}

awaitable<void> stdin_commands::run() {
  steady_timer pause(ex_);
  char buf[512];
  while (!stopped_) {
    auto [ec] = co_await in_.async_wait(net::posix::stream_descriptor::wait_read, use_tuple);
    if (ec || stopped_) co_return;
    // In the background of a shell, reading the terminal would stop us with SIGTTIN: leave it alone.
    if (::tcgetpgrp(STDIN_FILENO) != ::getpgrp()) {
      pause.expires_after(std::chrono::milliseconds(250));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    const ssize_t n = ::read(in_.native_handle(), buf, sizeof buf);
    if (n <= 0) co_return;  // end of input (Ctrl-D) or the terminal went away
    lines_.feed(std::string_view(buf, static_cast<std::size_t>(n)), [this](command_lines::command) {
      if (on_restart_) on_restart_();
    });
  }
}

}  // namespace liveproxy
