// Escape sequences and control characters in outside text; see terminal_text.hpp.
#include "proxy/base/terminal_text.hpp"

#include "proxy/base/utf8.hpp"

#include <algorithm>

namespace liveproxy {

std::size_t ansi_escape_length(std::string_view line, std::size_t i) {
  if (i + 1 >= line.size()) return 1;
  if (line[i + 1] == '[') {
    // CSI: parameters and intermediates, then one final byte in @..~
    std::size_t j = i + 2;
    while (j < line.size() && !(line[j] >= '@' && line[j] <= '~')) ++j;
    return std::min(j + 1, line.size()) - i;
  }
  if (line[i + 1] == ']') {
    // OSC (window titles, hyperlinks): ends with BEL or ESC backslash.
    std::size_t j = i + 2;
    while (j < line.size() && line[j] != '\a' && !(line[j] == '\x1b' && j + 1 < line.size() && line[j + 1] == '\\')) ++j;
    if (j >= line.size()) return line.size() - i;
    return (line[j] == '\a' ? j + 1 : j + 2) - i;
  }
  return 2;
}

std::string strip_ansi(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size();) {
    if (line[i] == '\x1b') {
      i += ansi_escape_length(line, i);
      continue;
    }
    out.push_back(line[i++]);
  }
  return out;
}

std::string keep_colours(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  std::size_t text_start = 0;
  for (std::size_t i = 0; i < line.size();) {
    if (line[i] != '\x1b') {
      ++i;
      continue;
    }
    out.append(printable(line.substr(text_start, i - text_start)));
    const auto len = ansi_escape_length(line, i);
    const auto seq = line.substr(i, len);
    if (seq.size() >= 3 && seq[1] == '[' && seq.back() == 'm') out.append(seq);
    i += len;
    text_start = i;
  }
  out.append(printable(line.substr(text_start)));
  return out;
}

std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  auto escape = [&](unsigned char b) {
    out += "\\x";
    out += hex[b >> 4];
    out += hex[b & 15];
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = utf8_length(text, i);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      escape(c);
      ++i;
    } else if (n == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      escape(static_cast<unsigned char>(text[i + 1]));  // a C1 control, shown by its code point
      i += 2;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace liveproxy
