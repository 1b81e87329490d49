// What the app's side knows when it cannot answer: the part of the error page that comes from the app.
#pragma once

#include <string>
#include <vector>

namespace liveproxy {

struct app_failure {
  std::string command;              ///< the app command line
  std::vector<std::string> output;  ///< recent app output lines (may hold ANSI colour codes)
  /// Set when the app is known to be down (crash, never listened): these then replace the request's own title
  /// and message on the error page.
  std::string cause_title;
  std::string cause;
  /// Files named in the crash output, as "file:line" (they are watched too).
  std::vector<std::string> files;
};

}  // namespace liveproxy
