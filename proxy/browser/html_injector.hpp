// Streaming insertion of our script tag into an HTML document, one chunk at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace liveproxy {

/// Finds where the script tag goes: right after the real <head ...> start tag, else right after
/// <body ...>, else at the end of the document. Comments, doctype and the raw text of <script>,
/// <style>, <title>, <textarea> are skipped, so a "<head>" inside them does not count. A page that
/// already loads our client or a livereload.js before that point is left alone.
///
/// It needs no look-ahead: every byte fed is emitted at once, so it never holds the page back.
class html_injector {
 public:
  enum class outcome { searching, injected, suppressed };

  explicit html_injector(std::string tag);

  /// Appends `in` to `out`, with the tag inserted if its place is in this chunk.
  void feed(std::string_view in, std::string& out);
  /// End of document: appends the tag if no place was found and nothing suppressed it.
  void finish(std::string& out);

  outcome state() const { return outcome_; }
  /// True once the final body length is known relative to the input (injected or suppressed).
  bool decided() const { return outcome_ != outcome::searching; }
  /// Bytes the output will have beyond the input, assuming the document ends without a suppressing marker.
  std::size_t added_bytes() const { return outcome_ == outcome::suppressed ? 0 : tag_.size(); }

 private:
  enum class lex : std::uint8_t {
    data, tag_open, bang, bang_dash, comment, bogus, tag_name, in_tag, attr_dq, attr_sq, end_tag, raw_text
  };

  /// Advances the scanner by one byte; returns true when the tag belongs right after this byte.
  bool step(char c);
  bool open_tag_ends();
  void watch_marker(char c);

  std::string tag_;
  outcome outcome_ = outcome::searching;
  lex lex_ = lex::data;
  std::string name_;        ///< lower-case name of the tag being read
  std::string raw_end_;     ///< "</script" etc. while inside raw text
  std::size_t raw_match_ = 0;
  int dashes_ = 0;
  std::string recent_;      ///< last bytes inside tags and raw text, for marker detection
};

}  // namespace liveproxy
