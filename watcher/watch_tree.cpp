// Root canonicalization, .gitignore loading and a readdir-based listing (d_type saves a stat per entry).
#include "watcher/watch_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace liveproxy::watcher {

std::string join_rel(std::string_view dir, std::string_view name) {
  std::string out;
  out.reserve(dir.size() + name.size() + 1);
  out.append(dir);
  if (!dir.empty()) out.push_back('/');
  out.append(name);
  return out;
}

watch_tree::watch_tree(const std::vector<std::filesystem::path>& roots,
                       const std::vector<std::string>& extra_ignores, notice_fn notice)
    : extra_ignores_(extra_ignores), notice_(std::move(notice)) {
  std::vector<std::string> canon;
  for (const auto& r : roots) {
    std::error_code ec;
    const auto c = std::filesystem::canonical(r, ec);
    if (ec) throw std::runtime_error("cannot watch " + r.string() + ": " + ec.message());
    if (!std::filesystem::is_directory(c, ec))
      throw std::runtime_error("cannot watch " + r.string() + ": not a directory");
    canon.push_back(c.string());
  }
  // A root inside another root is already covered; watching it twice would report changes twice.
  std::sort(canon.begin(), canon.end());
  for (const auto& c : canon) {
    const bool covered = std::any_of(roots_.begin(), roots_.end(), [&](const root_entry& kept) {
      return c == kept.path || kept.path == "/" || c.starts_with(kept.path + "/");
    });
    if (covered) continue;
    root_entry e{c, ignore_rules{}};
    e.rules.add_extra(extra_ignores);
    roots_.push_back(std::move(e));
  }
}

std::string watch_tree::abs_path(std::size_t i, std::string_view rel) const {
  const std::string& r = roots_[i].path;
  if (rel.empty()) return r;
  std::string out = r;
  if (out.back() != '/') out.push_back('/');
  out.append(rel);
  return out;
}

bool watch_tree::ignored(std::size_t i, std::string_view rel, bool is_dir) const {
  return roots_[i].rules.ignored(rel, is_dir);
}

bool watch_tree::ignored_path(std::size_t i, std::string_view rel, bool is_dir) const {
  return roots_[i].rules.ignored_path(rel, is_dir);
}

bool watch_tree::covers(const std::string& abs) const {
  for (std::size_t i = 0; i < roots_.size(); ++i) {
    const std::string& r = roots_[i].path;
    const std::string prefix = r == "/" ? r : r + "/";
    if (abs.starts_with(prefix)) return !ignored_path(i, std::string_view(abs).substr(prefix.size()), false);
  }
  return false;
}

bool watch_tree::reload_gitignore(std::size_t i, std::string_view dir_rel) {
  const std::string path = abs_path(i, join_rel(dir_rel, ".gitignore"));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return counted(roots_[i].rules.remove_gitignore(dir_rel));
  std::string text;
  char buf[4096];
  // .gitignore files are small; a runaway one is cut off rather than read whole.
  constexpr std::size_t max_size = 1 << 20;
  for (ssize_t n; text.size() < max_size && (n = ::read(fd, buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return counted(roots_[i].rules.set_gitignore(dir_rel, text));
}

void watch_tree::moved(std::size_t from, std::string_view from_rel, std::size_t to, std::string_view to_rel) {
  if (from == to) {
    roots_[from].rules.move_gitignores(from_rel, to_rel);
    return;
  }
  // Between roots the rules cannot be handed over: the few .gitignore files are read again.
  for (const auto& dir : roots_[to].rules.gitignore_dirs_under(to_rel)) roots_[to].rules.remove_gitignore(dir);
  for (const auto& dir : roots_[from].rules.gitignore_dirs_under(from_rel)) {
    roots_[from].rules.remove_gitignore(dir);
    reload_gitignore(to, std::string(to_rel) + dir.substr(from_rel.size()));
  }
}

void watch_tree::unreadable(const std::string& abs, int err) {
  if (!unreadable_.insert(abs).second || !notice_) return;
  notice_("cannot read directory " + abs + " (" + std::strerror(err) +
          "): changes in it are not seen; everything else is still watched");
}

std::error_code watch_tree::list(std::size_t i, std::string_view dir_rel, std::vector<entry>& out) {
  out.clear();
  const std::string abs = abs_path(i, dir_rel);
  DIR* dir = ::opendir(abs.c_str());
  if (dir == nullptr) {
    const int err = errno;
    // Gone is not worth a notice (deleted while we looked); anything else keeps changes from us.
    if (err != ENOENT && err != ENOTDIR) unreadable(abs, err);
    return {err, std::generic_category()};
  }
  if (!unreadable_.empty()) unreadable_.erase(abs);
  const int dfd = ::dirfd(dir);
  bool has_gitignore = false;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name == "." || name == "..") continue;
    unsigned char type = d->d_type;
    // Some file systems do not fill d_type.
    if (type == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
    }
    const entry_type t = type == DT_DIR   ? entry_type::dir
                         : type == DT_LNK ? entry_type::symlink
                         : type == DT_REG ? entry_type::file
                                          : entry_type::other;
    if (name == ".gitignore" && t == entry_type::file) has_gitignore = true;
    out.push_back(entry{std::string(name), t});
  }
  ::closedir(dir);
  // The directory's own .gitignore scopes its entries, so it is read before they are filtered.
  if (has_gitignore) {
    reload_gitignore(i, dir_rel);
  } else {
    counted(roots_[i].rules.remove_gitignore(dir_rel));
  }
  std::string rel;
  std::erase_if(out, [&](const entry& e) {
    rel = join_rel(dir_rel, e.name);
    return roots_[i].rules.ignored(rel, e.type == entry_type::dir);
  });
  return {};
}

}  // namespace liveproxy::watcher
