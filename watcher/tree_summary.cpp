// A counting walk with the tree's own ignore rules, so the numbers are those of what is really watched.
#include "watcher/tree_summary.hpp"

#include <filesystem>
#include <system_error>

namespace liveproxy::watcher {

std::vector<root_summary> summarize_tree(const watch_tree& tree) {
  namespace fs = std::filesystem;
  std::vector<root_summary> out;
  for (std::size_t i = 0; i < tree.size(); ++i) {
    root_summary r{tree.root(i)};
    const fs::path root(tree.root(i));
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const auto& entry = *it;
      std::error_code type_ec;
      const bool is_dir = entry.is_directory(type_ec) && !entry.is_symlink(type_ec);
      const std::string rel = entry.path().lexically_relative(root).generic_string();
      if (tree.ignored(i, rel, is_dir)) {
        if (is_dir) it.disable_recursion_pending();
        continue;
      }
      if (is_dir) ++r.dirs;
      else ++r.files;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace liveproxy::watcher
