// liveproxy.json: read without blocking, parsed by json_document (the one judge of what is JSON, with places),
// then applied key by key through the settings table on a copy of the config that is assigned only when the whole
// file is good.
#include "proxy/settings/config_file.hpp"

#include "proxy/base/terminal_text.hpp"
#include "proxy/settings/json_document.hpp"
#include "proxy/settings/json_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace liveproxy {
namespace {

// A configuration file is a page of settings; anything this large is the wrong file.
constexpr std::size_t max_file_size = 1 << 20;

/// The file's bytes. Only a regular file is read, and never by waiting: a FIFO or a device by that name would
/// block liveproxy's one thread (opened non-blocking, it is refused by its type before any read).
std::string read_whole_file(const std::filesystem::path& file) {
  const auto cannot = [&](const std::string& why) {
    return config_error(printable(file.string()) + ": cannot read: " + why);
  };
  const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw cannot(std::strerror(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw cannot(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw cannot("it is a directory");
  if (!S_ISREG(st.st_mode))
    throw cannot(std::string("it is not a regular file but ") +
                 (S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ? "a socket" : "a device") +
                 ": liveproxy reads its settings from a file only");
  const auto too_large = [&] {
    return config_error(printable(file.string()) + ": larger than 1 MiB: not a liveproxy configuration file");
  };
  if (static_cast<std::uintmax_t>(st.st_size) > max_file_size) throw too_large();
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw cannot(std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    // The size can grow while it is read (an editor writing it now).
    if (text.size() > max_file_size) throw too_large();
  }
  return text;
}

}  // namespace

std::optional<std::filesystem::path> find_config_file(const std::filesystem::path& dir) {
  auto file = dir / config_file_name;
  std::error_code ec;
  const auto status = std::filesystem::symlink_status(file, ec);
  if (ec || status.type() == std::filesystem::file_type::not_found) return std::nullopt;
  return file;
}

void apply_config_file(config& cfg, const std::filesystem::path& file) {
  std::string text = read_whole_file(file);
  // A byte order mark some editors write: not part of the JSON, and invisible in the editor's columns.
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  auto parsed = json::parse(text);
  if (parsed.error)
    throw config_error(printable(file.string()) + ":" + json::position_text(text, parsed.error->offset) +
                       ": invalid JSON: " + parsed.error->what);
  config next = cfg;
  json_reader(file, text).apply(*parsed.root, next);
  cfg = std::move(next);
}

}  // namespace liveproxy
