// JSON encoding of hub messages. Written by hand: they are tiny and fixed, simdjson only parses.
#include "proxy/browser/event_json.hpp"

namespace liveproxy::event_json {

void append_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
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

std::string reload() { return R"({"type":"reload"})"; }

std::string css(std::string_view path) {
  std::string out = R"({"type":"css","path":)";
  append_string(out, path);
  out += '}';
  return out;
}

}  // namespace liveproxy::event_json
