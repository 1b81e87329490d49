// Where a running liveproxy says it runs, so that `liveproxy wait|status|mcp` in the same project (or below it)
// find its port without being told: one small file per project under $XDG_RUNTIME_DIR, removed at exit.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace liveproxy {

struct runtime_info {
  long pid = 0;
  unsigned port = 0;
  std::string url;      ///< the front URL, as liveproxy printed it
  std::string project;  ///< the project directory (canonical) the file is keyed by
};

/// $XDG_RUNTIME_DIR/liveproxy (the user's, cleaned at logout); without it /tmp/liveproxy-UID, mode 0700 and
/// refused unless it is ours. Empty path when neither can be used.
std::filesystem::path runtime_dir();
/// The file for a project directory: named by a hash of its canonical path.
std::filesystem::path runtime_file_for(const std::filesystem::path& project);

/// The liveproxy running for `from` or the nearest directory above it with one (a dead one's file is ignored).
std::optional<runtime_info> find_running(const std::filesystem::path& from);

/// Writes the file when made and removes it when destroyed, unless another liveproxy has taken it over since.
class runtime_file {
 public:
  explicit runtime_file(runtime_info info);
  ~runtime_file();
  runtime_file(const runtime_file&) = delete;
  runtime_file& operator=(const runtime_file&) = delete;
  /// Where it was written; empty if it could not be (said once on the terminal by the caller).
  const std::filesystem::path& path() const { return path_; }

 private:
  runtime_info info_;
  std::filesystem::path path_;
};

}  // namespace liveproxy
