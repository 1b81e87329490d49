// JSON encoding of hub messages. Written by hand: they are tiny and fixed, simdjson only parses.
#include "proxy/browser/event_json.hpp"

#include "proxy/base/utf8.hpp"

namespace liveproxy::event_json {

void append_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      // A file name need not be UTF-8, but a WebSocket text frame must be (a browser drops the socket over
      // one bad byte): each byte that is not part of a valid sequence becomes U+FFFD, as a browser shows it.
      const std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out += "\\ufffd";
      } else {
        out.append(s.substr(i, n));
        i += n - 1;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

std::string hello(std::string_view instance, std::uint64_t generation) {
  std::string out = R"({"type":"hello","instance":)";
  append_string(out, instance);
  out += R"(,"generation":)";
  out += std::to_string(generation);
  out += '}';
  return out;
}

std::string reload(bool morph, std::uint64_t generation) {
  return std::string(R"({"type":"reload")") + (morph ? R"(,"morph":true)" : "") +
         (generation != 0 ? R"(,"generation":)" + std::to_string(generation) : "") + "}";
}

std::string css(std::string_view path) {
  std::string out = R"({"type":"css","path":)";
  append_string(out, path);
  out += '}';
  return out;
}

}  // namespace liveproxy::event_json
