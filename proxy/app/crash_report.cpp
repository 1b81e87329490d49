// Traceback reading is plain string scanning, one pass over the lines: output can be large, and the regexes
// such formats suggest are slow (and recursive in libstdc++: a 200 KB line overflows the stack).
#include "proxy/app/crash_report.hpp"

#include "proxy/base/terminal_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace liveproxy {
namespace {

constexpr std::size_t max_line = 4096;

bool to_int(std::string_view text, int& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && ptr == text.data() + text.size() && out > 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool pseudo_file(std::string_view file) {
  return file.empty() || file.front() == '<' || file.starts_with("node:") || file.starts_with("internal/") ||
         file == "native" || file.starts_with("[internal");
}

/// "path:L[:C]" at the end of a location (a path may hold colons itself); file:// stripped.
bool path_line_col(std::string_view loc, crash_frame& out) {
  if (loc.starts_with("file://")) loc.remove_prefix(7);
  const auto c2 = loc.rfind(':');
  if (c2 == std::string_view::npos || c2 == 0) return false;
  int a = 0, b = 0;
  if (!to_int(loc.substr(c2 + 1), b)) return false;
  const auto c1 = loc.rfind(':', c2 - 1);
  if (c1 != std::string_view::npos && to_int(loc.substr(c1 + 1, c2 - c1 - 1), a)) {
    out.file = std::string(loc.substr(0, c1));
    out.line = a;
    out.column = b;
  } else {
    out.file = std::string(loc.substr(0, c2));
    out.line = b;
  }
  return !out.file.empty();
}

/// A headline: "Name: message" or "Name" alone, the name a dotted identifier (Python's, JavaScript's).
bool headline_like(std::string_view line) {
  if (line.empty() || !(std::isalpha(static_cast<unsigned char>(line[0])) || line[0] == '_')) return false;
  std::size_t i = 0;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' || line[i] == '.' ||
                             line[i] == '$'))
    ++i;
  if (i == line.size()) return line.find_first_of("ER") != std::string_view::npos && line.ends_with("Error");
  // "Error [ERR_MODULE_NOT_FOUND]: ..." (Node's code in brackets)
  if (line.substr(i).starts_with(" [")) {
    const auto close = line.find("]: ", i);
    return close != std::string_view::npos;
  }
  return line.substr(i).starts_with(": ");
}

/// The traceback being read, by format.
struct reader {
  const std::function<bool(const std::string&)>& is_user;
  crash_report report;
  std::vector<crash_frame> python;  ///< the current Python traceback's frames, outermost first
  std::optional<crash_frame> syntax_at;
  std::vector<std::string> pointer;
  bool in_python = false;
  int node_header_at = -1;  ///< Node's throw-site header: source and caret follow
  std::string go_function;
  std::string previous;        ///< the line before, trimmed: a Node error's headline precedes its first "at"
  bool in_node_stack = false;

  void add(crash_frame f) {
    if (liveproxy_path(f.file) || pseudo_file(f.file)) return;
    f.user = !library_path(f.file) && is_user(f.file);
    report.frames.push_back(std::move(f));
  }
  void start_error(std::string headline) {
    report = crash_report{};
    report.headline = std::move(headline);
  }

  void line(std::string_view raw, int index) {
    const std::string_view t = trim(raw);
    read(raw, t, index);
    previous = std::string(t);
  }

  void read(std::string_view raw, std::string_view t, int index) {
    const bool node_frame = t.starts_with("at ") && (raw.starts_with("    ") || raw.starts_with("\t"));
    if (!node_frame) in_node_stack = false;
    // Python.
    if (raw.starts_with("Traceback (most recent call last):") ||
        raw.find("Traceback (most recent call last):") != std::string_view::npos) {
      in_python = true;
      python.clear();
      syntax_at.reset();
      pointer.clear();
      return;
    }
    if (const auto at = raw.find("File \""); at != std::string_view::npos && t.starts_with("File \"")) {
      const auto end = raw.find("\", line ", at + 6);
      if (end != std::string_view::npos) {
        auto rest = raw.substr(end + 8);
        const auto comma = rest.find(',');
        int n = 0;
        if (to_int(trim(rest.substr(0, comma)), n)) {
          crash_frame f{std::string(raw.substr(at + 6, end - at - 6)), n, 0, {}, false};
          if (comma != std::string_view::npos && rest.substr(comma).starts_with(", in "))
            f.function = std::string(trim(rest.substr(comma + 5)));
          else
            syntax_at = f;  // a SyntaxError's place: its source line and caret follow
          python.push_back(std::move(f));
          pointer.clear();
          in_python = true;
          return;
        }
      }
    }
    if (in_python && (raw.starts_with("    ") || raw.starts_with("\t"))) {
      // A frame's source line, or a caret line under it.
      if (syntax_at && pointer.size() < 3) pointer.emplace_back(raw);
      return;
    }
    if (in_python && !python.empty() && !raw.starts_with(" ") && headline_like(t)) {
      start_error(std::string(t));
      for (auto it = python.rbegin(); it != python.rend(); ++it) add(*it);
      if (syntax_at) report.pointer = pointer;
      in_python = false;
      return;
    }
    // Node: "    at f (/path:L:C)" / "    at /path:L:C"; the throw site "/path:L" (or file://) before it.
    if (node_frame) {
      // The first frame of a stack: the line before it is the error, unless the throw site already said so.
      if (!in_node_stack && headline_like(previous) && previous != report.headline) start_error(previous);
      in_node_stack = true;
      auto rest = t.substr(3);
      crash_frame f;
      if (!rest.empty() && rest.back() == ')') {
        const auto open = rest.rfind(" (");
        if (open != std::string_view::npos && path_line_col(rest.substr(open + 2, rest.size() - open - 3), f)) {
          f.function = std::string(rest.substr(0, open));
          add(std::move(f));
        }
      } else {
        if (rest.starts_with("async ")) rest.remove_prefix(6);
        if (path_line_col(rest, f)) add(std::move(f));
      }
      return;
    }
    if ((raw.starts_with("/") || raw.starts_with("file:///")) && raw.find(' ') == std::string_view::npos) {
      crash_frame f;
      if (path_line_col(raw, f) && f.column == 0) {
        node_header_at = index;
        syntax_at = f;
        pointer.clear();
        return;
      }
    }
    if (node_header_at >= 0 && index <= node_header_at + 2 && !t.empty()) {
      pointer.emplace_back(raw);
      return;
    }
    if (node_header_at >= 0 && headline_like(t) && !raw.starts_with(" ")) {
      start_error(std::string(t));
      if (syntax_at) {
        syntax_at->user = !library_path(syntax_at->file) && is_user(syntax_at->file);
        // The throw site is the place when it is the user's code (else the first user frame will be).
        if (syntax_at->user) {
          report.where = syntax_at;
          report.pointer = pointer;
        }
      }
      node_header_at = -1;
      return;
    }
    // Ruby: "file:L:in 'meth': message (Class)", then "\tfrom file:L:in 'meth'".
    if (const auto in = raw.find(":in "); in != std::string_view::npos && !raw.starts_with(" ") && !raw.starts_with("\t")) {
      crash_frame f;
      const auto q = raw.find(raw[in + 4] == '`' ? "': " : "': ", in);
      if ((raw[in + 4] == '\'' || raw[in + 4] == '`') && q != std::string_view::npos && path_line_col(raw.substr(0, in), f)) {
        f.function = std::string(raw.substr(in + 5, q - in - 5));
        auto message = raw.substr(q + 3);
        std::string headline(message);
        if (message.ends_with(")")) {
          const auto open = message.rfind(" (");
          if (open != std::string_view::npos)
            headline = std::string(message.substr(open + 2, message.size() - open - 3)) + ": " +
                       std::string(message.substr(0, open));
        }
        start_error(std::move(headline));
        add(std::move(f));
        return;
      }
    }
    if (t.starts_with("from ") && (raw.starts_with("\t") || raw.starts_with(" "))) {
      const auto in = t.find(":in ");
      crash_frame f;
      if (in != std::string_view::npos && path_line_col(t.substr(5, in - 5), f)) {
        f.function = std::string(trim(t.substr(in + 4)));
        add(std::move(f));
      }
      return;
    }
    // Go: "panic: ..." (or "fatal error: ..."), then a function line and "\t/path/file.go:L +0x1d" per frame.
    if (raw.starts_with("panic: ") || raw.starts_with("fatal error: ")) {
      start_error(std::string(t));
      return;
    }
    if (raw.starts_with("\t") && (t.find(".go:") != std::string_view::npos || t.find(".s:") != std::string_view::npos)) {
      auto loc = t.substr(0, t.find(' '));
      crash_frame f;
      if (path_line_col(loc, f)) {
        f.function = go_function;
        add(std::move(f));
      }
      return;
    }
    // A Go frame's function line: "main.ReadRoutines(0xc000228000, 0xa1)" (no blank before the parenthesis).
    if (const auto open = raw.find('('); !raw.starts_with("\t") && !raw.starts_with(" ") && raw.ends_with(")") &&
                                         open != std::string_view::npos && open > 0 &&
                                         raw.substr(0, open).find(' ') == std::string_view::npos) {
      go_function = std::string(raw.substr(0, open));
      return;
    }
    // Go build errors: "./main.go:23:27: undefined: X".
    if (const auto go = raw.find(".go:"); go != std::string_view::npos && !raw.starts_with(" ")) {
      const auto msg = raw.find(": ", go + 4);
      crash_frame f;
      if (msg != std::string_view::npos && path_line_col(raw.substr(0, msg), f)) {
        start_error(std::string(raw.substr(msg + 2)));
        add(std::move(f));
        return;
      }
    }
    // PHP: "PHP Fatal error:  Uncaught X: msg in /path:12", "Next X: msg in /path:12", "#0 /path(7): f()",
    // "PHP Parse error:  syntax error, ... in /path on line 35".
    std::string_view php = t;
    if (php.starts_with("PHP ")) php.remove_prefix(4);
    for (const std::string_view kind : {"Fatal error:", "Parse error:", "Warning:"}) {
      if (!php.starts_with(kind)) continue;
      auto rest = trim(php.substr(kind.size()));
      if (rest.starts_with("Uncaught ")) {
        const auto in = rest.rfind(" in ");
        crash_frame f;
        if (in != std::string_view::npos && path_line_col(rest.substr(in + 4), f)) {
          start_error(std::string(rest.substr(9, in - 9)));
          add(std::move(f));
        }
        return;
      }
      const auto on = rest.rfind(" on line ");
      const auto in = rest.rfind(" in ", on);
      int n = 0;
      if (on != std::string_view::npos && in != std::string_view::npos && to_int(rest.substr(on + 9), n)) {
        start_error(std::string(kind.substr(0, kind.size() - 1)) + ": " + std::string(rest.substr(0, in)));
        add({std::string(rest.substr(in + 4, on - in - 4)), n, 0, {}, false});
      }
      return;
    }
    if (php.starts_with("Next ")) {
      const auto in = php.rfind(" in ");
      crash_frame f;
      if (in != std::string_view::npos && path_line_col(php.substr(in + 4), f)) {
        start_error(std::string(php.substr(5, in - 5)));
        add(std::move(f));
      }
      return;
    }
    if (t.starts_with("#") && t.find("): ") != std::string_view::npos) {
      const auto space = t.find(' ');
      const auto open = t.rfind('(', t.find("): "));
      int n = 0;
      if (space != std::string_view::npos && open != std::string_view::npos && open > space &&
          to_int(t.substr(open + 1, t.find("): ") - open - 1), n))
        add({std::string(t.substr(space + 1, open - space - 1)), n, 0,
             std::string(t.substr(t.find("): ") + 3)), false});
    }
  }
};

}  // namespace

bool liveproxy_path(std::string_view file) {
  return file.find("liveproxy_preload.py") != std::string_view::npos ||
         file.find("/liveproxy-preload-") != std::string_view::npos;
}

bool library_path(std::string_view file) {
  if (pseudo_file(file) || liveproxy_path(file)) return true;
  for (const std::string_view marker :
       {"/site-packages/", "/dist-packages/", "/.venv/", "/venv/", "/__pypackages__/", "/node_modules/", "/vendor/",
        "/pkg/mod/", "/gems/", "/usr/lib/python", "/usr/local/lib/python", "/usr/lib/node", "/usr/local/go/src/",
        "/usr/lib/go", "/usr/share/php/", "/.pyenv/versions/"})
    if (file.find(marker) != std::string_view::npos) return true;
  return false;
}

std::string crash_report::one_line(std::string_view shown_file) const {
  if (headline.empty()) return {};
  std::string out = headline;
  if (where)
    out += " (" + std::string(shown_file.empty() ? std::string_view(where->file) : shown_file) + ":" +
           std::to_string(where->line) + ")";
  return out;
}

crash_report read_crash(const std::vector<std::string>& lines, const std::function<bool(const std::string&)>& is_user) {
  reader r{is_user, {}, {}, {}, {}, false, -1, {}, {}, false};
  int index = 0;
  for (const auto& raw : lines) {
    std::string line = strip_ansi(std::string_view(raw).substr(0, max_line));
    r.line(line, index++);
  }
  auto report = std::move(r.report);
  if (!report.where) {
    // Innermost first: the first user frame, else the first frame.
    for (const auto& f : report.frames)
      if (f.user) {
        report.where = f;
        break;
      }
    if (!report.where && !report.frames.empty()) report.where = report.frames.front();
  }
  return report;
}

}  // namespace liveproxy
