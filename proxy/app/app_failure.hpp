// What the app's side knows when it cannot answer: the part of the error page that comes from the app.
#pragma once

#include "proxy/app/crash_report.hpp"

#include <string>
#include <vector>

namespace liveproxy {

/// A few lines of a file around a frame's line, for the error page.
struct source_excerpt {
  std::size_t frame = 0;  ///< index into crash.frames
  int first_line = 1;     ///< the number of lines.front()
  std::vector<std::string> lines;
};

struct app_failure {
  std::string command;              ///< the app command line
  std::vector<std::string> output;  ///< recent app output lines (may hold ANSI colour codes)
  /// Set when the app is known to be down (crash, never listened): these then replace the request's own title
  /// and message on the error page.
  std::string cause_title;
  std::string cause;
  /// Files named in the crash output, as "file:line" (they are watched too).
  std::vector<std::string> files;
  /// The error the output ends with, when one is recognised: the page's headline, and its frames.
  crash_report crash;
  /// Source around the user's frames (at most a few of them).
  std::vector<source_excerpt> excerpts;
  /// How a file of the crash is shown: relative to the project when it is in it.
  std::vector<std::string> shown_files;  ///< parallel to crash.frames
  /// What a click on a file:line does: "editor" (liveproxy opens it), "terminal" (liveproxy prints the command
  /// for a terminal editor), "" (the page copies file:line).
  std::string editor;
};

}  // namespace liveproxy
