// Local file systems are not taken for network ones (that would poll a developer's whole tree for nothing).
#include "watcher/remote_fs.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using liveproxy::watcher::remote_filesystem;

TEST_CASE("local file systems are watched with inotify, not polled", "[unit][fs]") {
  // The temporary directory (tmpfs or the root disk), the root, and /proc (a virtual but local file system).
  CHECK_FALSE(remote_filesystem(std::filesystem::temp_directory_path().string()));
  CHECK_FALSE(remote_filesystem("/"));
  CHECK_FALSE(remote_filesystem("/proc"));
  CHECK_FALSE(remote_filesystem("/no/such/path/at/all"));
}
