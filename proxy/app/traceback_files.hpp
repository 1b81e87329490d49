// Finds the source files a crash names (Python tracebacks, Node stack frames) in the app's output.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// A file and line named in a traceback.
struct source_location {
  std::string file;  ///< as printed (absolute, or relative to the app's working directory)
  int line = 0;
  bool operator==(const source_location&) const = default;
};

/// Every distinct file:line named by a Python `File "...", line N` or a Node `at f (/path/x.js:L:C)` /
/// `at /path/x.js:L:C` / `file:///path/x.mjs:L:C` frame, in order of appearance. Pseudo-files
/// (`<frozen ...>`, `<string>`, `node:internal/...`) are left out. ANSI colour codes are ignored.
std::vector<source_location> traceback_files(const std::vector<std::string>& lines);

}  // namespace liveproxy
