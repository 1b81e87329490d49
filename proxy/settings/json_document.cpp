// One recursive-descent pass over RFC 8259's grammar that builds the tree and, at the first mistake, says what it
// is in the user's terms. Being the only judge of what is JSON, it cannot disagree with itself: before, a syntax
// checker said "valid" and a second parser then refused a number the grammar allows.
#include "proxy/settings/json_document.hpp"

#include "proxy/base/utf8.hpp"

#include <algorithm>
#include <cctype>
#include <clocale>
#include <cstdlib>
#include <cstring>

namespace liveproxy::json {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// Characters taken as one "word" when a message quotes what it found (a bare word, a malformed number).
bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '+' || c == '$';
}

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// A number's value, as the nearest double. strtod gives ±HUGE_VAL past a double's range and 0 (or a
/// subnormal) below it, which is what the node promises; the "C" locale so a decimal point is always '.'.
double number_value(const std::string& lexeme) {
  static const locale_t c_locale = ::newlocale(LC_NUMERIC_MASK, "C", static_cast<locale_t>(nullptr));
  return ::strtod_l(lexeme.c_str(), nullptr, c_locale);
}

class parser {
 public:
  explicit parser(std::string_view text) : s_(text) {}

  parse_result run() {
    parse_result result;
    skip_space();
    if (pos_ == s_.size()) {
      result.error = syntax_error{0, "the file is empty: expected a JSON object { ... }"};
      return result;
    }
    node root;
    if (!value(root, 0)) {
      result.error = error_;
      return result;
    }
    skip_space();
    if (pos_ != s_.size()) {
      fail(pos_, "unexpected " + token_here() + " after the end of the JSON value" + hint_here());
      result.error = error_;
      return result;
    }
    result.root = std::move(root);
    return result;
  }

 private:
  bool fail(std::size_t offset, std::string&& what) {
    error_.offset = offset;
    // Swapped in from an rvalue reference: with a by-value parameter and a move, GCC 12 -Warray-bounds misreads
    // the inlined string copies (a false positive).
    error_.what.swap(what);
    return false;
  }
  void skip_space() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }
  /// The text at pos_ for a message: a word, or one character.
  std::string token_here() const {
    if (pos_ >= s_.size()) return "the end of the file";
    std::size_t end = pos_;
    while (end < s_.size() && word_char(s_[end])) ++end;
    if (end > pos_) return std::string(s_.substr(pos_, std::min<std::size_t>(end - pos_, 40)));
    const std::size_t n = std::max<std::size_t>(1, utf8_length(s_, pos_));
    // A control character (C0, DEL, C1) is named, never printed: it would act on the terminal (or end the
    // message, for a NUL).
    const auto c = static_cast<unsigned char>(s_[pos_]);
    const unsigned c1 = n == 2 && c == 0xC2 ? static_cast<unsigned char>(s_[pos_ + 1]) : 0;
    if (c < 0x20 || c == 0x7F || (c1 >= 0x80 && c1 <= 0x9F)) {
      static constexpr char hex[] = "0123456789ABCDEF";
      const unsigned cp = c1 ? c1 : c;
      return std::string("a control character (U+00") + hex[cp >> 4] + hex[cp & 15] + ")";
    }
    if (n == 1 && c >= 0x80) return "a byte that is not UTF-8";
    const char quote = s_[pos_] == '\'' ? '"' : '\'';
    return quote + std::string(s_.substr(pos_, n)) + quote;
  }
  /// Why the text at pos_ is a likely mistake, for what people carry over from JavaScript and YAML.
  std::string hint_here() const {
    if (pos_ >= s_.size()) return "";
    if (s_[pos_] == '/') return " (JSON has no comments)";
    if (s_[pos_] == '\'') return " (JSON strings use double quotes)";
    return "";
  }
  bool unclosed(std::size_t open) {
    // Appended, not a + chain: GCC 12 -Warray-bounds misreads the chain's temporaries here (a false positive).
    std::string what = "this '";
    what += s_[open];
    what += "' is never closed (the file ends first)";
    return fail(open, std::move(what));
  }
  std::string scalar_text(std::size_t start) const {
    return std::string(s_.substr(start, pos_ - start));
  }

  bool value(node& out, int depth) {
    if (depth > max_depth) return fail(pos_, "nested too deeply");
    out.offset = pos_;
    switch (s_[pos_]) {
      case '{':
        return object(out, depth);
      case '[':
        return array(out, depth);
      case '"': {
        out.type = node::kind::string;
        if (!string(out.text)) return false;
        out.raw = scalar_text(out.offset);
        return true;
      }
      case '-':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':
        return number(out);
      default:
        return literal(out);
    }
  }

  bool object(node& out, int depth) {
    out.type = node::kind::object;
    const std::size_t open = pos_++;
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '}') return ++pos_, true;
    std::optional<std::size_t> comma;
    for (;;) {
      skip_space();
      if (pos_ == s_.size()) return unclosed(open);
      if (s_[pos_] != '"') {
        if (s_[pos_] == '}' && comma) return fail(*comma, "a comma before '}' (JSON allows no trailing comma)");
        return fail(pos_, "expected a key in double quotes, got " + token_here() + hint_here());
      }
      member m;
      m.key_offset = pos_;
      if (!string(m.key)) return false;
      skip_space();
      if (pos_ == s_.size()) return unclosed(open);
      if (s_[pos_] != ':') return fail(pos_, "expected ':' after the key, got " + token_here() + hint_here());
      ++pos_;
      skip_space();
      if (pos_ == s_.size()) return unclosed(open);
      if (s_[pos_] == ',' || s_[pos_] == '}') return fail(pos_, "expected a value after ':', got " + token_here());
      if (!value(m.value, depth + 1)) return false;
      out.members.push_back(std::move(m));
      skip_space();
      if (pos_ == s_.size()) return unclosed(open);
      if (s_[pos_] == '}') return ++pos_, true;
      if (s_[pos_] == '"') return fail(pos_, "missing ',' before this key");
      if (s_[pos_] != ',') return fail(pos_, "expected ',' or '}' after the value, got " + token_here() + hint_here());
      comma = pos_++;
    }
  }

  bool array(node& out, int depth) {
    out.type = node::kind::array;
    const std::size_t open = pos_++;
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == ']') return ++pos_, true;
    std::optional<std::size_t> comma;
    for (;;) {
      skip_space();
      if (pos_ == s_.size()) return unclosed(open);
      if (s_[pos_] == ']' && comma) return fail(*comma, "a comma before ']' (JSON allows no trailing comma)");
      if (s_[pos_] == ',') return fail(pos_, "expected a value, got ','");
      out.items.emplace_back();
      if (!value(out.items.back(), depth + 1)) return false;
      skip_space();
      if (pos_ == s_.size()) return unclosed(open);
      if (s_[pos_] == ']') return ++pos_, true;
      if (s_[pos_] != '\0' && std::strchr("\"{[-0123456789tfn", s_[pos_]) != nullptr)
        return fail(pos_, "missing ',' before this value");
      if (s_[pos_] != ',') return fail(pos_, "expected ',' or ']' after the value, got " + token_here() + hint_here());
      comma = pos_++;
    }
  }

  /// Four hex digits at s_[at]; the caller has checked they are there.
  unsigned hex4(std::size_t at) const {
    unsigned v = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
      const char c = s_[k];
      v = v * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
  }
  bool is_u_escape(std::size_t at) const {
    if (at + 6 > s_.size() || s_[at] != '\\' || s_[at + 1] != 'u') return false;
    for (std::size_t k = at + 2; k < at + 6; ++k)
      if (!std::isxdigit(static_cast<unsigned char>(s_[k]))) return false;
    return true;
  }

  bool string(std::string& out) {
    const std::size_t open = pos_++;
    for (;;) {
      if (pos_ == s_.size()) return fail(open, "this string is never closed (the file ends first)");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') return ++pos_, true;
      if (c == '\n' || c == '\r') return fail(open, "this string is not closed on its line (missing '\"')");
      if (c < 0x20) return fail(pos_, "a control character in a string: write it as an escape such as \\t");
      if (c == '\\') {
        const char e = pos_ + 1 < s_.size() ? s_[pos_ + 1] : '\0';
        if (e != '\0' && std::strchr("\"\\/bfnrt", e) != nullptr) {
          static constexpr std::string_view from = "\"\\/bfnrt", to = "\"\\/\b\f\n\r\t";
          out += to[from.find(e)];
          pos_ += 2;
        } else if (e == 'u') {
          if (!is_u_escape(pos_)) return fail(pos_, "\\u needs four hexadecimal digits");
          unsigned cp = hex4(pos_ + 2);
          pos_ += 6;
          if (cp >= 0xD800 && cp <= 0xDBFF && is_u_escape(pos_) && hex4(pos_ + 2) >= 0xDC00 &&
              hex4(pos_ + 2) <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4(pos_ + 2) - 0xDC00);
            pos_ += 6;
          } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            // The grammar allows half a surrogate pair; UTF-8 cannot carry one. As Go and browsers do.
            cp = 0xFFFD;
          }
          append_utf8(out, cp);
        } else {
          return fail(pos_, std::string("invalid escape \\") + (e >= 0x20 ? std::string(1, e) : std::string()) +
                                " (JSON knows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
        }
        continue;
      }
      const std::size_t n = utf8_length(s_, pos_);
      if (n == 0) return fail(pos_, "invalid UTF-8 in a string (the file must be UTF-8)");
      out.append(s_.substr(pos_, n));
      pos_ += n;
    }
  }

  bool number(node& out) {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      return pos_ > from;
    };
    auto bad = [&](std::string_view why) {
      std::size_t end = start;
      while (end < s_.size() && word_char(s_[end])) ++end;
      return fail(start, "invalid number " + std::string(s_.substr(start, std::min<std::size_t>(end - start, 40))) +
                             std::string(why));
    };
    if (s_[pos_] == '-') ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '0') {
      ++pos_;
      if (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) return bad(" (no leading zeros)");
    } else if (!digits()) {
      return bad("");
    }
    bool integral = true;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      integral = false;
      if (!digits()) return bad("");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      integral = false;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) return bad("");
    }
    if (pos_ < s_.size() && word_char(s_[pos_])) return bad("");
    out.type = node::kind::number;
    out.raw = scalar_text(start);
    out.integral = integral;
    out.number = number_value(out.raw);
    return true;
  }

  bool literal(node& out) {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && word_char(s_[pos_])) ++pos_;
    const std::string_view word = s_.substr(start, pos_ - start);
    if (word == "true" || word == "false" || word == "null") {
      out.type = word == "null" ? node::kind::null : node::kind::boolean;
      out.boolean = word == "true";
      out.raw = std::string(word);
      return true;
    }
    pos_ = start;
    std::string lower(word);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string hint = hint_here();
    if (lower == "true" || lower == "false" || lower == "null")
      hint = " (true, false and null are written in lower case)";
    else if (!word.empty())
      hint = " (a string needs double quotes)";
    return fail(start, "expected a value, got " + token_here() + hint);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  syntax_error error_{0, ""};
};

}  // namespace

parse_result parse(std::string_view text) { return parser(text).run(); }

std::string position_text(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  offset = std::min(offset, text.size());
  for (std::size_t i = 0; i < offset; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace liveproxy::json
