// Terminal output, written with one write(2) per line so it never interleaves with app output.
#include "proxy/base/log.hpp"

#include <unistd.h>

#include "proxy/base/terminal_text.hpp"

#include <cstdlib>
#include <ctime>
#include <string>
#include <utility>

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

/// The app's last line on the terminal has no newline yet (a prompt such as "(Pdb) ").
bool app_line_open = false;
std::string open_line_app;  ///< whose line is unfinished, where several apps write

/// "  app | " for the one app; "name | " in a colour chosen by the name for each of several, as foreman does.
std::string app_prefix(std::string_view name) {
  if (name == "app") return "  app | ";
  static constexpr const char* colours[] = {"\x1b[36m", "\x1b[35m", "\x1b[32m", "\x1b[34m", "\x1b[33m"};
  std::size_t h = 0;
  for (const char c : name) h = h * 31 + static_cast<unsigned char>(c);
  std::string out;
  if (use_colour) out.append(colours[h % std::size(colours)]);
  out.append(name).append(" | ");
  if (use_colour) out.append(reset);
  return out;
}

void write_all(int fd, std::string_view rest) {
  while (!rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n <= 0) return;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

/// Our lines never carry a control character that came from outside (a file name, a Host, a key): what the
/// caller did not escape is escaped here, but for the newlines of a message of several lines.
void append_safe(std::string& out, std::string_view msg) {
  std::size_t from = 0;
  for (std::size_t nl = msg.find('\n'); from <= msg.size(); nl = msg.find('\n', from)) {
    out.append(printable(msg.substr(from, nl == std::string_view::npos ? std::string_view::npos : nl - from)));
    if (nl == std::string_view::npos) break;
    out.push_back('\n');
    from = nl + 1;
  }
}

void write_line(int fd, std::string_view prefix, std::string_view msg, std::string_view style = {}) {
  std::string line;
  line.reserve(prefix.size() + msg.size() + 16);
  // Our line starts on a line of its own, even after an app's prompt.
  if (std::exchange(app_line_open, false)) line.push_back('\n');
  line.append(prefix);
  const bool styled = !style.empty() && (fd == STDERR_FILENO ? use_colour_err : use_colour);
  if (styled) line.append(style);
  append_safe(line, msg);
  if (styled) line.append(reset);
  line.push_back('\n');
  write_all(fd, line);
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

void picture(std::string_view drawing) {
  if (level == verbosity::quiet) return;
  std::string out;
  if (std::exchange(app_line_open, false)) out.push_back('\n');
  out.append(drawing);
  write_all(STDOUT_FILENO, out);
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

void browser(std::string_view msg, bool is_error) {
  if (level != verbosity::quiet) write_line(STDOUT_FILENO, "browser | ", msg, is_error ? red : yellow);
}

void app_output(std::string_view bytes, std::string_view name) {
  // One write per call: a prefix at each start of a line the app begins in these bytes. Another app's
  // unfinished line is ended first: lines of two apps never run together.
  std::string out;
  out.reserve(bytes.size() + 16);
  if (app_line_open && open_line_app != name) {
    out.push_back('\n');
    app_line_open = false;
  }
  const auto prefix = app_prefix(name);
  for (std::size_t pos = 0; pos < bytes.size();) {
    if (!app_line_open) out.append(prefix);
    const auto nl = bytes.find('\n', pos);
    const auto end = nl == std::string_view::npos ? bytes.size() : nl + 1;
    out.append(bytes.substr(pos, end - pos));
    app_line_open = nl == std::string_view::npos;
    pos = end;
  }
  open_line_app = name;
  write_all(STDOUT_FILENO, out);
}

void app_collapsed(std::size_t lines, std::string_view name) {
  end_app_line();
  std::string out(app_prefix(name));
  if (use_colour) out.append(dim);
  out.append("(start-up output as before: " + std::to_string(lines) + " lines; --verbose shows it)");
  if (use_colour) out.append(reset);
  out.push_back('\n');
  write_all(STDOUT_FILENO, out);
}

void end_app_line() {
  if (std::exchange(app_line_open, false)) write_all(STDOUT_FILENO, "\n");
}

void error(std::string_view msg) {
  write_line(STDERR_FILENO,
             use_colour_err ? std::string("liveproxy: ").append(red).append("error:").append(reset).append(" ")
                            : std::string("liveproxy: error: "),
             msg);
}

}  // namespace liveproxy::log
