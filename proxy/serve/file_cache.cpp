// A hit costs the stat the path resolution made anyway: no open, read or close.
#include "proxy/serve/file_cache.hpp"

namespace liveproxy {
namespace {

bool same_time(const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

}  // namespace

const std::string* file_cache::find(const std::string& path, const struct stat& st, bool injected) const {
  const auto it = entries_.find(path);
  if (it == entries_.end()) return nullptr;
  const auto& e = it->second;
  const bool same = e.dev == st.st_dev && e.ino == st.st_ino && e.size == st.st_size && same_time(e.mtime, st.st_mtim) &&
                    same_time(e.ctime, st.st_ctim) && e.injected == injected;
  return same ? &e.body : nullptr;
}

void file_cache::put(const std::string& path, const struct stat& st, bool injected, std::string body) {
  if (body.size() > max_bytes / 4) return;
  if (const auto it = entries_.find(path); it != entries_.end()) {
    bytes_ -= it->second.body.size();
    entries_.erase(it);
  }
  if (bytes_ + body.size() > max_bytes || entries_.size() >= max_entries) {
    entries_.clear();
    bytes_ = 0;
  }
  bytes_ += body.size();
  entries_.emplace(path, entry{st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim, injected, std::move(body)});
}

}  // namespace liveproxy
