// What a crash says, read from the app's output: the error (type and message), where it happened in the user's
// own code, and the frames of its traceback. Python, Node, Ruby, Go and PHP tracebacks are recognised.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// One frame of a traceback (or a build error's place).
struct crash_frame {
  std::string file;      ///< as printed (absolute, or relative to the app's working directory)
  int line = 0;
  int column = 0;        ///< 0: not known
  std::string function;  ///< "" when not printed
  bool user = false;     ///< in the project's own code (not a library, not the runtime)
  bool operator==(const crash_frame&) const = default;
};

/// The error a run's output ends with.
struct crash_report {
  /// "SyntaxError: '(' was never closed", "TypeError: Cannot read properties of undefined (reading 'bar')",
  /// "panic: runtime error: index out of range [3] with length 3". Empty: no error was recognised.
  std::string headline;
  /// The frame the error is at in the user's code: the innermost user frame (for a SyntaxError, the place
  /// the parser points at), else the innermost frame; nullopt when the output names none.
  std::optional<crash_frame> where;
  /// Every frame, innermost first, liveproxy's own (the preloader) left out.
  std::vector<crash_frame> frames;
  /// The source line and caret line the runtime printed under the place (a SyntaxError's, Node's throw site).
  std::vector<std::string> pointer;

  bool empty() const { return headline.empty() && frames.empty(); }
  /// "SyntaxError: '(' was never closed (mysite/settings.py:26)", or "" when nothing was recognised.
  std::string one_line(std::string_view shown_file = {}) const;
};

/// Reads the last error in `lines` (ANSI colours and escapes ignored; each line looked at up to its first 4 KiB).
/// `is_user(file)` says whether a file (as printed) is the project's own code.
crash_report read_crash(const std::vector<std::string>& lines, const std::function<bool(const std::string&)>& is_user);

/// A file is a library's or the runtime's by its path: site-packages, dist-packages, a virtualenv, node_modules,
/// vendor/, Go's module cache, gems, node: and <frozen ...> pseudo-files, and liveproxy's own preloader.
bool library_path(std::string_view file);

/// liveproxy's own files that can show in an app's traceback (the preloader, which runs the app's module).
bool liveproxy_path(std::string_view file);

}  // namespace liveproxy
