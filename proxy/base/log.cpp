// Terminal output, written with one write(2) per line so it never interleaves with app output.
#include "proxy/base/log.hpp"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <string>

namespace liveproxy::log {
namespace {

bool colour_default(int fd) {
  const char* no_colour = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return ::isatty(fd) == 1 && (no_colour == nullptr || *no_colour == '\0') &&
         !(term != nullptr && std::string_view(term) == "dumb");
}

verbosity level = verbosity::normal;
bool use_colour = colour_default(STDOUT_FILENO);
bool use_colour_err = colour_default(STDERR_FILENO);

constexpr std::string_view reset = "\x1b[0m";
constexpr std::string_view dim = "\x1b[2m";
constexpr std::string_view bold_cyan = "\x1b[1;36m";
constexpr std::string_view yellow = "\x1b[33m";
constexpr std::string_view red = "\x1b[1;31m";

void write_line(int fd, std::string_view prefix, std::string_view msg, std::string_view style = {}) {
  std::string line;
  line.reserve(prefix.size() + msg.size() + 16);
  line.append(prefix);
  if (!style.empty() && (fd == STDERR_FILENO ? use_colour_err : use_colour)) line.append(style).append(msg).append(reset);
  else line.append(msg);
  line.push_back('\n');
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n <= 0) return;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string clock_time() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &local);
  return buf;
}

}  // namespace

void configure(verbosity v) { level = v; }
bool verbose() { return level == verbosity::verbose; }
bool colour() { return use_colour; }

void info(std::string_view msg) {
  if (level != verbosity::quiet) write_line(STDOUT_FILENO, "liveproxy: ", msg);
}

void detail(std::string_view msg) {
  if (level == verbosity::verbose) write_line(STDOUT_FILENO, "liveproxy: ", msg);
}

void action(std::string_view msg) {
  if (level == verbosity::quiet) return;
  std::string prefix = "liveproxy: ";
  if (use_colour) prefix.append(dim).append(clock_time()).append(reset).push_back(' ');
  else prefix.append(clock_time()).push_back(' ');
  write_line(STDOUT_FILENO, prefix, msg);
}

void highlight(std::string_view msg) { write_line(STDOUT_FILENO, "liveproxy: ", msg, bold_cyan); }

void warn(std::string_view msg) {
  write_line(STDERR_FILENO,
             use_colour_err ? std::string("liveproxy: ").append(yellow).append("warning:").append(reset).append(" ")
                            : std::string("liveproxy: warning: "),
             msg);
}

void error(std::string_view msg) {
  write_line(STDERR_FILENO,
             use_colour_err ? std::string("liveproxy: ").append(red).append("error:").append(reset).append(" ")
                            : std::string("liveproxy: error: "),
             msg);
}

}  // namespace liveproxy::log
