// A small HTML tokenizer, just enough of the WHATWG states to find the real <head> in a stream.
#include "proxy/browser/html_injector.hpp"
#include "proxy/base/text.hpp"

#include <array>
#include <cctype>

namespace liveproxy {
namespace {

constexpr std::array<std::string_view, 2> markers = {"/__liveproxy/client.js", "livereload.js"};
constexpr std::size_t recent_keep = 32;
constexpr std::size_t name_keep = 16;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

bool is_raw_text(std::string_view name) {
  return name == "script" || name == "style" || name == "title" || name == "textarea" || name == "xmp";
}

}  // namespace

html_injector::html_injector(std::string tag) : tag_(std::move(tag)) {}

void html_injector::feed(std::string_view in, std::string& out) {
  if (decided()) {
    out.append(in);
    return;
  }
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (step(in[i])) {
      out.append(in.substr(0, i + 1));
      out.append(tag_);
      outcome_ = outcome::injected;
      out.append(in.substr(i + 1));
      return;
    }
    if (outcome_ == outcome::suppressed) break;
  }
  out.append(in);
}

void html_injector::finish(std::string& out) {
  if (outcome_ == outcome::searching) {
    out.append(tag_);
    outcome_ = outcome::injected;
  }
}

void html_injector::watch_marker(char c) {
  recent_.push_back(lower_ascii(c));
  if (recent_.size() > recent_keep) recent_.erase(0, recent_.size() - recent_keep);
  for (const auto m : markers)
    if (std::string_view(recent_).ends_with(m)) outcome_ = outcome::suppressed;
}

bool html_injector::open_tag_ends() {
  if (name_ == "head" || name_ == "body") return true;
  if (is_raw_text(name_)) {
    raw_end_ = "</" + name_;
    raw_match_ = 0;
    lex_ = lex::raw_text;
  } else {
    lex_ = lex::data;
  }
  return false;
}

bool html_injector::step(char c) {
  switch (lex_) {
    case lex::data:
      if (c == '<') lex_ = lex::tag_open;
      return false;
    case lex::tag_open:
      if (c == '!') {
        lex_ = lex::bang;
      } else if (c == '/') {
        lex_ = lex::end_tag;
      } else if (c == '?') {
        lex_ = lex::bogus;
      } else if (std::isalpha(static_cast<unsigned char>(c))) {
        name_.assign(1, lower_ascii(c));
        recent_.clear();
        lex_ = lex::tag_name;
      } else {
        lex_ = c == '<' ? lex::tag_open : lex::data;  // "a < b" is text
      }
      return false;
    case lex::bang:
      lex_ = c == '-' ? lex::bang_dash : lex::bogus;
      return false;
    case lex::bang_dash:
      lex_ = c == '-' ? lex::comment : lex::bogus;
      dashes_ = 0;
      return false;
    case lex::comment:
      if (c == '-') {
        ++dashes_;
      } else {
        if (c == '>' && dashes_ >= 2) lex_ = lex::data;
        dashes_ = 0;
      }
      return false;
    case lex::bogus:
    case lex::end_tag:
      if (c == '>') lex_ = lex::data;
      return false;
    case lex::tag_name:
      if (c == '>') return open_tag_ends();
      if (is_space(c) || c == '/') {
        lex_ = lex::in_tag;
      } else if (name_.size() < name_keep) {
        name_.push_back(lower_ascii(c));
      }
      return false;
    case lex::in_tag:
      watch_marker(c);
      if (c == '"') lex_ = lex::attr_dq;
      else if (c == '\'') lex_ = lex::attr_sq;
      else if (c == '>') return outcome_ == outcome::searching && open_tag_ends();
      return false;
    case lex::attr_dq:
      watch_marker(c);
      if (c == '"') lex_ = lex::in_tag;
      return false;
    case lex::attr_sq:
      watch_marker(c);
      if (c == '\'') lex_ = lex::in_tag;
      return false;
    case lex::raw_text:
      watch_marker(c);
      if (raw_match_ == raw_end_.size()) {
        // "</script" seen: it closes only if the name ends here.
        if (is_space(c) || c == '/' || c == '>') {
          lex_ = c == '>' ? lex::data : lex::end_tag;
          return false;
        }
        raw_match_ = 0;
      }
      if (lower_ascii(c) == raw_end_[raw_match_]) ++raw_match_;
      else raw_match_ = c == '<' ? 1 : 0;
      return false;
  }
  return false;
}

}  // namespace liveproxy
