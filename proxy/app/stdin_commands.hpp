// Commands typed into liveproxy's terminal: `rs` + Enter restarts the app (nodemon's convention).
#pragma once

#include "proxy/base/net.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace liveproxy {

/// Splits typed bytes into lines and recognizes commands; no I/O, so it can be tested directly.
class command_lines {
 public:
  enum class command { none, restart };
  /// Feeds bytes; calls on_command for each complete line that is a command.
  template <typename OnCommand>
  void feed(std::string_view bytes, OnCommand&& on_command) {
    for (const char ch : bytes) {
      if (ch != '\n') {
        if (line_.size() < 256) line_.push_back(ch);
        continue;
      }
      const auto cmd = parse(line_);
      line_.clear();
      if (cmd != command::none) on_command(cmd);
    }
  }
  /// "rs" (surrounding blanks and a trailing CR ignored) is a restart; anything else is nothing.
  static command parse(std::string_view line);

 private:
  std::string line_;
};

/// Reads stdin when it is a terminal and calls on_restart for each `rs` line. Stays silent and reads
/// nothing when stdin is not a terminal (a pipe from a script, /dev/null) or when liveproxy runs in
/// the background of a shell; stops at end of input.
class stdin_commands {
 public:
  stdin_commands(net::any_io_executor ex, std::function<void()> on_restart);
  ~stdin_commands();
  stdin_commands(const stdin_commands&) = delete;
  stdin_commands& operator=(const stdin_commands&) = delete;

  /// Starts reading if stdin is a terminal. Returns whether it does.
  bool start();
  void stop();

 private:
  awaitable<void> run();

  net::any_io_executor ex_;
  std::function<void()> on_restart_;
  net::posix::stream_descriptor in_;
  command_lines lines_;
  bool stopped_ = false;
};

}  // namespace liveproxy
