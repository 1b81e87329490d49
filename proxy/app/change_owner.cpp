// Deepest directory wins; explicit watch globs are always asked.
#include "proxy/app/change_owner.hpp"

#include "watcher/glob.hpp"

namespace liveproxy {

bool change_owner::holds(const std::filesystem::path& dir, const std::filesystem::path& path, std::string& rel) {
  const auto r = path.lexically_relative(dir);
  if (r.empty() || *r.begin() == "..") return false;
  rel = r == "." ? std::string() : r.generic_string();
  return true;
}

std::vector<std::size_t> change_owner::owners(const std::filesystem::path& path) const {
  std::vector<std::size_t> out;
  std::vector<std::size_t> deepest;
  std::size_t depth = 0;
  for (std::size_t i = 0; i < apps_.size(); ++i) {
    const auto& a = apps_[i];
    std::string rel;
    if (!holds(a.cwd, path, rel)) continue;
    if (!a.watch.empty()) {
      for (const auto& g : a.watch)
        if (watcher::glob_match(g, rel)) {
          out.push_back(i);
          break;
        }
      continue;
    }
    if (!a.routed) continue;
    const auto d = a.cwd.native().size();
    // A dev server with hot reload of its own shows its files' changes itself, and restarts itself for its
    // config: nothing under its directory restarts it (or an app above it), unless its watch globs say so.
    if (deepest.empty() || d > depth) {
      deepest = {i};
      depth = d;
    } else if (d == depth) {
      deepest.push_back(i);
    }
  }
  for (const auto i : deepest)
    if (!apps_[i].hmr) out.push_back(i);
  return out;
}

bool change_owner::hmr_owned(const std::filesystem::path& path) const {
  bool owned = false;
  std::size_t depth = 0;
  for (const auto& a : apps_) {
    std::string rel;
    if (!a.routed || !holds(a.cwd, path, rel)) continue;
    const auto d = a.cwd.native().size();
    if (d >= depth) {
      // The deepest app decides; of equals, any without hot reload of its own keeps the change liveproxy's.
      owned = d > depth ? a.hmr : owned && a.hmr;
      depth = d;
    }
  }
  return owned;
}

}  // namespace liveproxy
