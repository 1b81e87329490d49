// Traceback parsing is plain string scanning: output can be large and regexes here would be slow and fragile.
#include "proxy/app/traceback_files.hpp"

#include "proxy/base/terminal_text.hpp"

#include <algorithm>
#include <charconv>

namespace liveproxy {
namespace {

bool parse_int(std::string_view text, int& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && ptr == text.data() + text.size() && out > 0;
}

bool is_pseudo(std::string_view file) {
  return file.empty() || file.front() == '<' || file.starts_with("node:") || file.starts_with("internal/");
}

/// Python: `  File "/app/mysite/settings.py", line 12, in <module>`
bool python_frame(std::string_view line, source_location& out) {
  const auto at = line.find("File \"");
  if (at == std::string_view::npos) return false;
  const auto start = at + 6;
  const auto end = line.find("\", line ", start);
  if (end == std::string_view::npos) return false;
  auto num = line.substr(end + 8);
  num = num.substr(0, std::min(num.find(','), num.size()));
  int n = 0;
  if (!parse_int(num, n)) return false;
  out = {std::string(line.substr(start, end - start)), n};
  return true;
}

/// "path:L:C" (optionally file://) at the end of a Node frame; the path may itself contain colons.
bool path_line_col(std::string_view loc, source_location& out) {
  if (loc.starts_with("file://")) loc.remove_prefix(7);
  const auto c2 = loc.rfind(':');
  if (c2 == std::string_view::npos || c2 == 0) return false;
  const auto c1 = loc.rfind(':', c2 - 1);
  if (c1 == std::string_view::npos) return false;
  int l = 0, c = 0;
  if (!parse_int(loc.substr(c1 + 1, c2 - c1 - 1), l) || !parse_int(loc.substr(c2 + 1), c)) return false;
  const auto file = loc.substr(0, c1);
  if (file.find('/') == std::string_view::npos) return false;
  out = {std::string(file), l};
  return true;
}

/// Node: `    at handler (/app/server.js:12:5)` or `    at /app/server.js:12:5`
bool node_frame(std::string_view line, source_location& out) {
  const auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || !line.substr(first).starts_with("at ")) return false;
  auto rest = line.substr(first + 3);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (!rest.empty() && rest.back() == ')') {
    const auto open = rest.rfind('(');
    if (open == std::string_view::npos) return false;
    return path_line_col(rest.substr(open + 1, rest.size() - open - 2), out);
  }
  if (rest.starts_with("async ")) rest.remove_prefix(6);
  return path_line_col(rest, out);
}

/// Node prints the failing line's location alone before the source excerpt: `/app/server.js:3`
bool node_header(std::string_view line, source_location& out) {
  if (!line.starts_with("/") && !line.starts_with("file:///")) return false;
  if (line.find(' ') != std::string_view::npos) return false;
  auto loc = line;
  if (loc.starts_with("file://")) loc.remove_prefix(7);
  const auto c = loc.rfind(':');
  int l = 0;
  if (c == std::string_view::npos || !parse_int(loc.substr(c + 1), l)) return false;
  out = {std::string(loc.substr(0, c)), l};
  return true;
}

}  // namespace

std::vector<source_location> traceback_files(const std::vector<std::string>& lines) {
  std::vector<source_location> found;
  for (const auto& raw : lines) {
    const std::string line = strip_ansi(raw);
    source_location loc;
    if (!python_frame(line, loc) && !node_frame(line, loc) && !node_header(line, loc)) continue;
    if (is_pseudo(loc.file)) continue;
    if (std::find(found.begin(), found.end(), loc) == found.end()) found.push_back(std::move(loc));
  }
  return found;
}

}  // namespace liveproxy
