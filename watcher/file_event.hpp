// What a backend saw happen to a path: enough for the debouncer to tell a temporary file from a change.
#pragma once

#include <cstdint>

namespace liveproxy::watcher {

/// The kind of one reported change, as far as the backend can tell.
enum class file_event : std::uint8_t {
  changed,  ///< written, attributes changed, renamed onto, or not known
  created,  ///< did not exist before (a new file, or one found in a directory new to the tree)
  removed,  ///< deleted or renamed away
};

}  // namespace liveproxy::watcher
