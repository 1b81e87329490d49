// Error pages: the template lives in assets/error.html; here we only escape and fill it.
#include "proxy/error_page.hpp"

#include "proxy/assets.hpp"

namespace liveproxy {
namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

}  // namespace

std::string strip_ansi(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\x1b' && i + 1 < line.size() && line[i + 1] == '[') {
      // CSI: parameters and intermediates, then one final byte in @..~
      i += 2;
      while (i < line.size() && !(line[i] >= '@' && line[i] <= '~')) ++i;
      continue;
    }
    if (line[i] == '\x1b') continue;
    out.push_back(line[i]);
  }
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string render_error_html(const error_info& info, std::string_view script_tag) {
  std::string output;
  for (const auto& line : info.output) output.append(html_escape(strip_ansi(line))).push_back('\n');
  if (output.empty()) output = "(no output)";
  // The page is built from trusted template text; every inserted value is escaped first.
  std::string page(assets::error_html);
  replace_all(page, "{{status}}", std::to_string(info.status));
  replace_all(page, "{{title}}", html_escape(info.title));
  replace_all(page, "{{message}}", html_escape(info.message));
  replace_all(page, "{{command}}", html_escape(info.command));
  replace_all(page, "{{output}}", output);
  replace_all(page, "{{script}}", script_tag);
  return page;
}

std::string render_error_text(const error_info& info) {
  std::string out = "liveproxy: " + std::to_string(info.status) + " " + info.title + "\n\n" + info.message + "\n";
  if (!info.command.empty()) out += "\ncommand: " + info.command + "\n";
  if (!info.output.empty()) {
    out += "\napp output (last " + std::to_string(info.output.size()) + " lines):\n";
    for (const auto& line : info.output) out.append(strip_ansi(line)).push_back('\n');
  }
  return out;
}

}  // namespace liveproxy
