// --serve: small files and pages (with our script already in) kept in memory, valid while the file is the
// same one (device, inode, size, modification and change times as stat says).
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <string>
#include <unordered_map>

namespace liveproxy {

class file_cache {
 public:
  /// The body kept for `path` if `st` still describes the file it was read from (`injected`: a page with our
  /// script, else the file as it is), or nullptr.
  const std::string* find(const std::string& path, const struct stat& st, bool injected) const;
  /// Keeps `body` for path as read when the file was `st`. Past the size limit everything is dropped first
  /// (a dev server's working set is small; a simple bound beats bookkeeping).
  void put(const std::string& path, const struct stat& st, bool injected, std::string body);

  /// Bytes kept in all.
  std::size_t bytes() const { return bytes_; }

 private:
  struct entry {
    dev_t dev;
    ino_t ino;
    off_t size;
    timespec mtime;
    timespec ctime;
    bool injected;
    std::string body;
  };
  static constexpr std::size_t max_bytes = 32 * 1024 * 1024;
  static constexpr std::size_t max_entries = 4096;

  std::unordered_map<std::string, entry> entries_;
  std::size_t bytes_ = 0;
};

}  // namespace liveproxy
