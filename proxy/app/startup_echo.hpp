// What of the app's output reaches the terminal, run after run: a restart's start-up banner that says what the
// last one said is one line, and the app's "listening at" line names the address to open (liveproxy's), not
// the app's private port.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// One thing to show: the app's own bytes, or the note standing for start-up lines left out.
struct echo_piece {
  enum class kind { text, collapsed };
  kind what = kind::text;
  std::string text = {};   ///< text: bytes to print as the app's output (whole lines, or a prompt)
  std::size_t lines = 0;  ///< collapsed: how many lines it stands for

  bool operator==(const echo_piece&) const = default;
};

/// A pure filter over the app's output (no I/O, no clock), fed in the order things happen.
///
/// - A run's start-up output is what it prints until it is ready (answers connections). From the second run
///   on, lines that repeat the last ready run's start-up, in order and ignoring digits (times, dates, process
///   ids), are held back; at the first line that differs, at readiness, or when the run ends, they are shown as
///   one note (a few are just printed: a note would not be shorter). Everything else is passed on as it comes.
/// - A line that arrives whole and names the app's private address (scheme://host:PORT, host a loopback or
///   wildcard address) shows liveproxy's address instead, saying so: that is the one to open.
/// - An unfinished line (a prompt) is passed on at once, never held or rewritten; so is the rest of it.
class startup_echo {
 public:
  struct options {
    bool collapse = true;        ///< false under --verbose: everything is shown
    unsigned short app_port = 0;  ///< the app's private port (0: nothing is rewritten)
  };
  /// Lines kept of a start-up: a banner longer than this is compared only this far.
  static constexpr std::size_t max_lines = 200;
  /// A start-up line longer than this is never held (and ends the holding).
  static constexpr std::size_t max_line_bytes = 4096;
  /// Fewer held lines than this are printed, not noted.
  static constexpr std::size_t min_collapsed = 3;

  explicit startup_echo(options o) : opts_(o) {}

  /// liveproxy's own address ("http://127.0.0.1:8000"), once it listens.
  void set_front_url(std::string url) { front_url_ = std::move(url); }

  /// A new run starts (its output follows).
  void run_started();
  /// Bytes the app wrote: what to show now.
  std::vector<echo_piece> feed(std::string_view bytes);
  /// The run answers: its start-up is over (and is what the next run's is compared with).
  std::vector<echo_piece> ready();
  /// The run ended (or its output closed) before or after it was ready.
  std::vector<echo_piece> ended();

 private:
  void line(std::string_view whole, std::vector<echo_piece>& out);  // with its '\n'
  void release(std::vector<echo_piece>& out);                        // stop holding: show what was held
  void show(std::string_view bytes, std::vector<echo_piece>& out);
  std::string rewritten(std::string_view line) const;

  options opts_;
  std::string front_url_;
  std::vector<std::string> reference_;  ///< the last ready run's start-up lines, digits blanked
  std::vector<std::string> recording_;  ///< this run's, so far
  bool recording_on_ = false;
  bool holding_ = false;
  std::vector<std::string> held_;  ///< lines held back (as written), matching reference_[0, held_.size())
  bool line_open_ = false;         ///< an unfinished line was shown: its rest passes as it comes
  std::string open_line_;          ///< that line so far (recorded once it ends), digits blanked
};

}  // namespace liveproxy
