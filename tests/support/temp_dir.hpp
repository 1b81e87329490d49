// A real directory under /tmp for a test, removed with everything in it when the test ends.
#pragma once

#include <filesystem>
#include <string_view>

namespace liveproxy::test {

/// Creates a fresh directory on construction and removes it recursively on destruction.
class temp_dir {
 public:
  explicit temp_dir(std::string_view prefix = "liveproxy-test");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// path() / rel
  std::filesystem::path operator/(const std::filesystem::path& rel) const { return path_ / rel; }

 private:
  std::filesystem::path path_;
};

/// Writes content to path (creating parent directories), replacing what was there.
void write_file(const std::filesystem::path& path, std::string_view content);
/// Reads a whole file; empty if it does not exist.
std::string read_file(const std::filesystem::path& path);

}  // namespace liveproxy::test
