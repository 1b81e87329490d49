// Two indexes over the same watches; a subtree is a range of the path index.
#include "watcher/watch_map.hpp"

namespace liveproxy::watcher {

const watch_map::dir* watch_map::find(int wd) const {
  const auto it = by_wd_.find(wd);
  return it == by_wd_.end() ? nullptr : &it->second;
}

watch_map::dir* watch_map::find(int wd) {
  const auto it = by_wd_.find(wd);
  return it == by_wd_.end() ? nullptr : &it->second;
}

const watch_map::dir* watch_map::find_path(const std::string& abs) const {
  const auto it = by_abs_.find(abs);
  return it == by_abs_.end() ? nullptr : find(it->second);
}

void watch_map::remember(int wd, std::size_t root, std::string rel, std::string abs) {
  auto& d = by_wd_[wd];
  if (!d.abs.empty() && d.abs != abs) {
    const auto old = by_abs_.find(d.abs);
    if (old != by_abs_.end() && old->second == wd) by_abs_.erase(old);
  }
  d.root = static_cast<int>(root);
  d.rel = std::move(rel);
  by_abs_[abs] = wd;
  d.abs = std::move(abs);
}

void watch_map::remember_extra(int wd, const std::string& abs, std::string name) {
  auto [it, inserted] = by_wd_.try_emplace(wd);
  if (inserted) {
    it->second.abs = abs;
    by_abs_[abs] = wd;
  }
  it->second.extra_names.insert(std::move(name));
}

void watch_map::forget(int wd) {
  const auto it = by_wd_.find(wd);
  if (it == by_wd_.end()) return;
  // The path may already belong to a newer watch (a directory replaced under the same name).
  const auto p = by_abs_.find(it->second.abs);
  if (p != by_abs_.end() && p->second == wd) by_abs_.erase(p);
  by_wd_.erase(it);
}

std::vector<int> watch_map::subtree(const std::string& abs) const {
  std::vector<int> out;
  const std::string prefix = abs + "/";
  for (auto it = by_abs_.lower_bound(abs); it != by_abs_.end(); ++it) {
    // '/' sorts before most name characters, so entries such as "abs-x" can sit between abs and abs/...
    if (it->first == abs) {
      out.insert(out.begin(), it->second);
      continue;
    }
    if (it->first.starts_with(prefix)) {
      out.push_back(it->second);
      continue;
    }
    if (it->first.compare(0, abs.size(), abs) != 0) break;
  }
  return out;
}

std::vector<int> watch_map::of_root(std::size_t root) const {
  std::vector<int> out;
  for (const auto& [wd, d] : by_wd_)
    if (d.root == static_cast<int>(root)) out.push_back(wd);
  return out;
}

void watch_map::move(const std::vector<int>& wds, const std::string& from_abs, const std::string& to_abs,
                     std::size_t to_root, const std::string& to_rel) {
  for (const int wd : wds) {
    const auto it = by_wd_.find(wd);
    if (it == by_wd_.end()) continue;
    dir& d = it->second;
    if (d.abs != from_abs && !d.abs.starts_with(from_abs + "/")) continue;
    const std::string suffix = d.abs.substr(from_abs.size());  // "" or "/sub/dir"
    const auto old = by_abs_.find(d.abs);
    if (old != by_abs_.end() && old->second == wd) by_abs_.erase(old);
    d.abs = to_abs + suffix;
    // Directories kept only for extra files stay that way; the others now belong to to_root.
    if (d.root >= 0) {
      d.root = static_cast<int>(to_root);
      d.rel = to_rel + suffix;
    }
    by_abs_[d.abs] = wd;
  }
}

}  // namespace liveproxy::watcher
