// How much is watched: directories and files under each root that the ignore rules leave, for the status page.
#pragma once

#include "watcher/watch_tree.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace liveproxy::watcher {

struct root_summary {
  std::string path;
  std::size_t dirs = 0;
  std::size_t files = 0;
};

/// Walks every root as the backends do (ignored directories are not entered, symbolic links not followed,
/// unreadable directories skipped). Costs a directory walk: call it when someone asks, not per change.
std::vector<root_summary> summarize_tree(const watch_tree& tree);

}  // namespace liveproxy::watcher
