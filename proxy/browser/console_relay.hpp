// What the page's console says, in liveproxy's terminal: the decisions (what to print, what is a repeat, when
// to stop) fed messages and a clock, so they are tested without a browser or a sleep.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// One console message a tab sent: {"type":"console","level":"error","message":"…","source":"/app.js:3:9",
/// "path":"/cart"}.
struct console_message {
  bool is_error = true;  ///< error (uncaught, rejection, console.error); else a warning
  std::string message;
  std::string source;  ///< "/static/app.js:12:5", or empty
  std::string path;    ///< the page's path
};

/// The message in a tab's socket text, if it is a console message (nothing for anything else or for bad JSON).
/// Fields are cut to console_relay::max_field bytes.
std::optional<console_message> parse_console_message(std::string_view text);

/// What to print for each message. A message that repeats one printed in the last repeat_window (same level,
/// text, source and page, from any tab) is counted instead; its count is printed once it has been quiet for
/// repeat_window ("(the same 12 more times)"). At most burst lines a second are printed; the rest are counted
/// and said in one line when the second is over. Keeps the last `recent_kept` messages for the status page.
class console_relay {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr auto repeat_window = std::chrono::seconds(5);
  static constexpr std::size_t burst = 20;
  static constexpr std::size_t recent_kept = 20;
  static constexpr std::size_t max_field = 2048;
  static constexpr std::size_t tracked = 64;  ///< distinct messages remembered for repeats (oldest forgotten)

  struct line {
    bool is_error;
    std::string text;
  };

  /// The lines to print now for this message (zero, one, or a summary before it).
  std::vector<line> take(const console_message& m, clock::time_point now);
  /// A message a socket dropped before it was read (beyond the socket's own budget): counted with the
  /// messages this relay dropped, in the same "not shown" line.
  void dropped(clock::time_point now);
  /// Lines due by now without a new message: repeat counts whose window ended, a dropped count. Call it at
  /// next_due().
  std::vector<line> tick(clock::time_point now);
  std::optional<clock::time_point> next_due() const;

  /// The last messages printed or counted, oldest first, for the status page.
  const std::deque<console_message>& recent() const { return recent_; }

  /// How a message reads in the terminal: "/cart: TypeError: x is undefined (/static/app.js:3:9)".
  static std::string describe(const console_message& m);

 private:
  struct seen {
    console_message m;
    clock::time_point last;
    std::size_t repeats = 0;  ///< counted, not printed yet
  };
  void flush_due(clock::time_point now, std::vector<line>& out);

  std::deque<seen> seen_;
  std::deque<console_message> recent_;
  clock::time_point second_start_{};
  std::size_t printed_in_second_ = 0;
  std::size_t dropped_ = 0;
};

}  // namespace liveproxy
