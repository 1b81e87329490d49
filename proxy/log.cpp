// Terminal output, written with one write(2) per line so it never interleaves with app output.
#include "proxy/log.hpp"

#include <string>
#include <unistd.h>

namespace liveproxy::log {
namespace {

void write_line(int fd, std::string_view prefix, std::string_view msg) {
  std::string line;
  line.reserve(prefix.size() + msg.size() + 1);
  line.append(prefix).append(msg).push_back('\n');
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n <= 0) return;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

void info(std::string_view msg) { write_line(STDOUT_FILENO, "liveproxy: ", msg); }
void warn(std::string_view msg) { write_line(STDERR_FILENO, "liveproxy: warning: ", msg); }
void error(std::string_view msg) { write_line(STDERR_FILENO, "liveproxy: error: ", msg); }

}  // namespace liveproxy::log
