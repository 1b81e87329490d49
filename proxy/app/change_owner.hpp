// Which of several apps a changed file belongs to: a code change restarts only the apps whose files changed, and
// a front-end dev server's own files are its to show.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace liveproxy {

/// Pure: built from each app's directory, routes and watch globs, asked about absolute paths.
class change_owner {
 public:
  struct app {
    std::filesystem::path cwd;       ///< absolute, canonical
    bool routed = true;              ///< has routes (a side process has none)
    std::vector<std::string> watch;  ///< globs relative to cwd; empty: by directory (routed apps only)
    bool hmr = false;                ///< a dev server that shows changes under its cwd itself
  };

  /// Apps in the caller's order (the main app first, index 0).
  explicit change_owner(std::vector<app> apps) : apps_(std::move(apps)) {}

  /// The apps a code change to `path` restarts: those whose watch globs match it, and of the routed apps without
  /// globs, the one(s) with the deepest directory holding it, unless that is a dev server with hot reload of its
  /// own (its files are its own to show). None when no app's directory holds it.
  std::vector<std::size_t> owners(const std::filesystem::path& path) const;
  /// The file lies under the directory of a dev server with hot reload of its own (and no deeper app's): the
  /// page it serves updates by itself, liveproxy does not also reload it.
  bool hmr_owned(const std::filesystem::path& path) const;

 private:
  /// Components of path under dir ("" when not under it): how deep dir is is its own length.
  static bool holds(const std::filesystem::path& dir, const std::filesystem::path& path, std::string& rel);
  std::vector<app> apps_;
};

}  // namespace liveproxy
