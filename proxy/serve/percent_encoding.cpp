// Percent-encoding that keeps only what can never be misread in a path, a query or an HTML attribute.
#include "proxy/serve/percent_encoding.hpp"

namespace liveproxy {
namespace {

bool keeps(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '/';
}

}  // namespace

std::string percent_encode_path(std::string_view path) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size() + path.size() / 4);
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (keeps(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace liveproxy
