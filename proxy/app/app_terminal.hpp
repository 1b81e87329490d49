// liveproxy's terminal while the app runs on a pseudo-terminal of its own: keys go to the app as typed (raw
// mode), the window size follows, and the user's terminal settings come back on every way out.
#pragma once

#include "proxy/app/terminal_input.hpp"
#include "proxy/base/net.hpp"

#include <termios.h>

#include <functional>
#include <optional>
#include <string_view>

namespace liveproxy {

class app_terminal {
 public:
  /// The app gets a pseudo-terminal when liveproxy's stdin and stdout are a terminal and liveproxy is in its
  /// foreground (not `liveproxy &`, not a pipe to tee, not CI): as it would run without liveproxy.
  static bool wanted();
  /// The terminal's settings as they are now (before raw mode): what the app's terminal starts with.
  static std::optional<termios> current_settings();

  struct callbacks {
    std::function<void(std::string_view)> to_app;  ///< keys for the app's terminal
    std::function<void()> restart;                 ///< `rs` + Enter
    std::function<void()> stop;                    ///< Ctrl-C that stops liveproxy
    std::function<bool()> at_prompt;               ///< the app waits for input now
    std::function<void()> resized;                 ///< the window changed size
  };

  app_terminal(net::any_io_executor ex, callbacks cb);
  ~app_terminal();
  app_terminal(const app_terminal&) = delete;
  app_terminal& operator=(const app_terminal&) = delete;

  /// Puts the terminal in raw mode and reads keys. False if it cannot (then nothing changed).
  bool start();
  /// Stops reading and gives the terminal its settings back. Called again (or by the destructor): nothing.
  void stop();

 private:
  awaitable<void> read_keys();
  awaitable<void> follow_size();

  net::any_io_executor ex_;
  callbacks cb_;
  net::posix::stream_descriptor in_;
  net::signal_set winch_;
  terminal_input input_;
  bool running_ = false;
};

}  // namespace liveproxy
