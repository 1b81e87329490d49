// Parsing flat JSON objects for tests: enough JSON to be strict about what the product sends.
#include "support/flat_json.hpp"

#include <cctype>
#include <cstdint>

namespace liveproxy::test {

namespace {

class reader {
 public:
  explicit reader(std::string_view text) : s_(text) {}

  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    skip_ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool at_end() {
    skip_ws();
    return i_ == s_.size();
  }

  std::optional<std::string> string() {
    if (!eat('"')) return std::nullopt;
    std::string out;
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return std::nullopt;
      const char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (i_ + 4 > s_.size()) return std::nullopt;
          std::uint32_t cp = 0;
          for (int k = 0; k < 4; ++k) {
            const char h = s_[i_++];
            if (!std::isxdigit(static_cast<unsigned char>(h))) return std::nullopt;
            cp = cp * 16 + static_cast<std::uint32_t>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
          }
          // UTF-8 encode; surrogate pairs are out of scope for test messages.
          if (cp < 0x80) {
            out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: return std::nullopt;
      }
    }
    return std::nullopt;
  }

  // Any other value, returned as its raw text.
  std::optional<std::string> raw_value() {
    skip_ws();
    const std::size_t start = i_;
    if (i_ >= s_.size()) return std::nullopt;
    const char c = s_[i_];
    if (c == '{' || c == '[') {
      // Balanced skip that respects strings.
      int depth = 0;
      while (i_ < s_.size()) {
        const char d = s_[i_];
        if (d == '"') {
          if (!string()) return std::nullopt;
          continue;
        }
        ++i_;
        if (d == '{' || d == '[') ++depth;
        if (d == '}' || d == ']') {
          if (--depth == 0) return std::string(s_.substr(start, i_ - start));
        }
      }
      return std::nullopt;
    }
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' ||
                              s_[i_] == '+' || s_[i_] == '.'))
      ++i_;
    if (i_ == start) return std::nullopt;
    return std::string(s_.substr(start, i_ - start));
  }

  std::optional<std::string> value() {
    skip_ws();
    if (i_ < s_.size() && s_[i_] == '"') return string();
    return raw_value();
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

std::optional<flat_json> parse_flat_json(std::string_view text) {
  reader r(text);
  if (!r.eat('{')) return std::nullopt;
  flat_json out;
  if (r.eat('}')) return r.at_end() ? std::optional(out) : std::nullopt;
  for (;;) {
    auto key = r.string();
    if (!key || !r.eat(':')) return std::nullopt;
    auto val = r.value();
    if (!val) return std::nullopt;
    out[*key] = std::move(*val);
    if (r.eat(',')) continue;
    if (r.eat('}')) break;
    return std::nullopt;
  }
  if (!r.at_end()) return std::nullopt;
  return out;
}

std::optional<std::string> find_ignoring_case(const flat_json& object, std::string_view key) {
  for (const auto& [k, v] : object) {
    if (k.size() != key.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(key[i]));
    if (same) return v;
  }
  return std::nullopt;
}

}  // namespace liveproxy::test
