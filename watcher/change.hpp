// What a file change means for the app and the browser, and a debounced batch of them.
#pragma once

#include <string>
#include <vector>

namespace liveproxy::watcher {

/// What to do about a change. Ordered by strength: a batch acts on its strongest member.
enum class action { ignore = 0, css = 1, reload = 2, restart = 3 };

/// Stable lower-case name ("ignore", "css", "reload", "restart").
const char* to_string(action a) noexcept;

/// One changed file, classified.
struct change {
  std::string path;      ///< absolute path on disk
  std::string rel_path;  ///< path relative to the watch root it was found under, '/'-separated
  action act = action::restart;
};

/// A debounced group of changes, delivered once.
struct batch {
  action strongest = action::ignore;
  std::vector<change> changes;  ///< de-duplicated by path, in first-seen order
  bool overflow = false;        ///< events were lost (queue overflow, rescan): act conservatively
};

}  // namespace liveproxy::watcher
