// Gitignore-style pattern semantics on top of glob_match, with fast paths for the common shapes.
#include "watcher/path_pattern.hpp"

#include "watcher/glob.hpp"

namespace liveproxy::watcher {
namespace {

bool has_special(std::string_view s) { return s.find_first_of("*?[\\") != std::string_view::npos; }

std::string_view basename_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

path_pattern::path_pattern(std::string_view glob) : source_(glob) {
  // A trailing '/' means "directories only"; an escaped one would be nonsense, so it is not special-cased.
  if (!glob.empty() && glob.back() == '/') {
    dir_only_ = true;
    glob.remove_suffix(1);
  }
  // Any remaining '/' anchors the pattern to its base directory; a leading one is just that marker.
  if (glob.find('/') != std::string_view::npos) anchored_ = true;
  if (!glob.empty() && glob.front() == '/') glob.remove_prefix(1);
  glob_ = std::string(glob);

  if (anchored_) return;
  if (!has_special(glob_)) {
    kind_ = kind::literal;
    fixed_ = glob_;
  } else if (glob_.size() > 1 && glob_.front() == '*' && !has_special(std::string_view(glob_).substr(1))) {
    kind_ = kind::suffix;
    fixed_ = glob_.substr(1);
  } else if (glob_.size() > 1 && glob_.back() == '*' &&
             !has_special(std::string_view(glob_).substr(0, glob_.size() - 1))) {
    kind_ = kind::prefix;
    fixed_ = glob_.substr(0, glob_.size() - 1);
  }
}

bool path_pattern::matches(std::string_view rel_path, bool is_dir) const {
  if (dir_only_ && !is_dir) return false;
  if (anchored_) return glob_match(glob_, rel_path);
  const std::string_view name = basename_of(rel_path);
  switch (kind_) {
    case kind::literal: return name == fixed_;
    case kind::suffix: return name.ends_with(fixed_);
    case kind::prefix: return name.starts_with(fixed_);
    case kind::general: break;
  }
  return glob_match(glob_, name);
}

bool path_pattern::matches_under(std::string_view rel_path, bool is_dir) const {
  for (std::size_t slash = rel_path.find('/'); slash != std::string_view::npos;
       slash = rel_path.find('/', slash + 1)) {
    if (slash > 0 && matches(rel_path.substr(0, slash), true)) return true;
  }
  return matches(rel_path, is_dir);
}

}  // namespace liveproxy::watcher
