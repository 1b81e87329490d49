// What liveproxy does with the keys typed in its terminal while the app runs on a pseudo-terminal of its own:
// which go to the app, which line is `rs`, what Ctrl-C means. Pure: fed bytes, the app's state and a clock.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace liveproxy {

class terminal_input {
 public:
  using clock = std::chrono::steady_clock;
  /// A second Ctrl-C this soon after one the app got stops liveproxy.
  static constexpr auto double_interrupt = std::chrono::seconds(1);

  /// What to do with some typed bytes.
  struct result {
    std::string to_app;     ///< bytes for the app's terminal, in order
    bool restart = false;   ///< `rs` + Enter was typed at the app's command line
    bool stop = false;      ///< liveproxy is to stop (as on SIGINT)
    bool explain = false;   ///< say (once) that the Ctrl-C went to the app and a second one stops liveproxy
  };

  /// `intr` and `kill` are the characters the app's terminal takes for Ctrl-C and for erasing the line (the
  /// user's own settings: usually ^C and ^U).
  explicit terminal_input(char intr = '\x03', char kill = '\x15') : intr_(intr), kill_(kill) {}

  /// Typed bytes. `at_prompt`: the app waits for input (a debugger's prompt, input()); Ctrl-C goes to it then,
  /// as it would in a terminal, and a second within double_interrupt stops liveproxy. Otherwise Ctrl-C stops
  /// liveproxy at once, as it always has. `rs` + Enter restarts only at the app's command line (not at a
  /// prompt, where `rs` may be the developer's variable): its Enter is kept from the app, so the app never
  /// reads the line (and the run it was typed to is ending).
  result feed(std::string_view typed, bool at_prompt, clock::time_point now);

 private:
  char intr_;
  char kill_;
  std::string line_;       ///< typed at the app's command line since the last Enter
  bool line_junk_ = false; ///< a control key or an escape sequence was typed: the line is not a command
  std::optional<clock::time_point> last_intr_;  ///< the last Ctrl-C the app got
  bool explained_ = false;
};

}  // namespace liveproxy
