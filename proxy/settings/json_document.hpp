// JSON as liveproxy.json is read: the one parser that decides what is JSON (RFC 8259's grammar, nothing more,
// nothing less), and a small tree that keeps where each key and value starts, so every message names a line and
// column.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy::json {

struct member;

/// A value, with where it starts in the text.
struct node {
  enum class kind { null, boolean, number, string, array, object };
  kind type = kind::null;
  std::size_t offset = 0;  ///< byte offset of its first character
  std::string raw;         ///< a scalar as written (a string with its quotes), for messages
  bool boolean = false;
  /// The number's value, rounded to the nearest double: ±infinity beyond a double's range, 0 below it. JSON puts
  /// no bound on a number; whether it fits is the reader's question, asked with the key's own range.
  double number = 0;
  bool integral = false;  ///< written without fraction or exponent
  std::string text;       ///< a string's value, unescaped (an unpaired surrogate escape becomes U+FFFD)
  std::vector<node> items;
  std::vector<member> members;  ///< in the order written; duplicates are kept, the reader judges them
};

struct member {
  std::string key;
  std::size_t key_offset = 0;  ///< of the key's opening quote
  node value;
};

/// Why a text is not JSON, and where: the first mistake, in the user's terms (a trailing comma, a comment,
/// single quotes, an unclosed bracket named where it opens).
struct syntax_error {
  std::size_t offset;
  std::string what;
};

/// Deepest nesting accepted: a settings file is a few levels deep; the limit bounds the parser's recursion.
inline constexpr int max_depth = 256;

/// Parses a whole text (one value, surrounded by white space only). Either the tree or the first mistake.
struct parse_result {
  std::optional<node> root;
  std::optional<syntax_error> error;
};
parse_result parse(std::string_view text);

/// Line and column (from 1) of a byte offset, columns counted in characters (UTF-8 continuation bytes are not
/// counted), as editors show them: "3:14".
std::string position_text(std::string_view text, std::size_t offset);

}  // namespace liveproxy::json
