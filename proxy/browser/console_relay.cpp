// Console messages: repeats counted, bursts cut, every field bounded.
#include "proxy/browser/console_relay.hpp"

#include "proxy/base/utf8.hpp"
#include "proxy/settings/json_document.hpp"

#include <algorithm>

namespace liveproxy {
namespace {

const json::node* field(const json::node& obj, std::string_view key) {
  for (const auto& m : obj.members)
    if (m.key == key) return &m.value;
  return nullptr;
}

std::string text_field(const json::node& obj, std::string_view key) {
  const auto* v = field(obj, key);
  if (v == nullptr || v->type != json::node::kind::string) return {};
  std::string s = v->text;
  if (s.size() > console_relay::max_field) {
    // Cut at a character's start, not inside one.
    std::size_t cut = 0;
    while (cut < console_relay::max_field) {
      const std::size_t n = std::max<std::size_t>(1, utf8_length(s, cut));
      if (cut + n > console_relay::max_field) break;
      cut += n;
    }
    s.resize(cut);
    s += "…";
  }
  return s;
}

bool same(const console_message& a, const console_message& b) {
  return a.is_error == b.is_error && a.message == b.message && a.source == b.source && a.path == b.path;
}

std::string repeat_text(const console_message& m, std::size_t n) {
  return console_relay::describe(m) + " (the same " + std::to_string(n) + (n == 1 ? " more time)" : " more times)");
}

}  // namespace

std::optional<console_message> parse_console_message(std::string_view text) {
  // No size check here: the socket reads at most limits::ws_read_bytes a message, and long fields are cut below.
  auto parsed = json::parse(text);
  if (!parsed.root || parsed.root->type != json::node::kind::object) return std::nullopt;
  const auto& obj = *parsed.root;
  const auto* type = field(obj, "type");
  if (type == nullptr || type->type != json::node::kind::string || type->text != "console") return std::nullopt;
  console_message m;
  const std::string level = text_field(obj, "level");
  if (level != "error" && level != "warn") return std::nullopt;
  m.is_error = level == "error";
  m.message = text_field(obj, "message");
  m.source = text_field(obj, "source");
  m.path = text_field(obj, "path");
  return m;
}

std::string console_relay::describe(const console_message& m) {
  std::string out = m.path.empty() ? std::string() : m.path + ": ";
  // One line each: a message's own line breaks are shown, not made.
  for (const char ch : m.message.empty() ? std::string("(empty message)") : m.message) {
    if (ch == '\n') out += " \u21b5 ";
    else if (ch != '\r') out.push_back(ch);
  }
  if (!m.source.empty()) out += " (" + m.source + ")";
  return out;
}

void console_relay::flush_due(clock::time_point now, std::vector<line>& out) {
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (now - it->last < repeat_window) {
      ++it;
      continue;
    }
    if (it->repeats > 0) out.push_back({it->m.is_error, repeat_text(it->m, it->repeats)});
    it = seen_.erase(it);
  }
  if (dropped_ > 0 && now - second_start_ >= std::chrono::seconds(1)) {
    out.push_back({true, std::to_string(dropped_) + (dropped_ == 1 ? " more console message" : " more console messages") +
                             " in one second, not shown"});
    dropped_ = 0;
  }
}

std::vector<console_relay::line> console_relay::take(const console_message& m, clock::time_point now) {
  std::vector<line> out;
  flush_due(now, out);
  recent_.push_back(m);
  if (recent_.size() > recent_kept) recent_.pop_front();
  auto known = std::find_if(seen_.begin(), seen_.end(), [&](const seen& s) { return same(s.m, m); });
  if (known != seen_.end()) {
    ++known->repeats;
    known->last = now;
    return out;
  }
  if (now - second_start_ >= std::chrono::seconds(1)) {
    second_start_ = now;
    printed_in_second_ = 0;
  }
  if (printed_in_second_ >= burst) {
    ++dropped_;
    return out;
  }
  ++printed_in_second_;
  out.push_back({m.is_error, describe(m)});
  seen_.push_back({m, now, 0});
  if (seen_.size() > tracked) {
    if (seen_.front().repeats > 0) out.push_back({seen_.front().m.is_error, repeat_text(seen_.front().m, seen_.front().repeats)});
    seen_.pop_front();
  }
  return out;
}

void console_relay::dropped(clock::time_point now) {
  if (now - second_start_ >= std::chrono::seconds(1)) {
    second_start_ = now;
    printed_in_second_ = 0;
  }
  ++dropped_;
}

std::vector<console_relay::line> console_relay::tick(clock::time_point now) {
  std::vector<line> out;
  flush_due(now, out);
  return out;
}

std::optional<console_relay::clock::time_point> console_relay::next_due() const {
  std::optional<clock::time_point> due;
  for (const auto& s : seen_)
    if (s.repeats > 0 && (!due || s.last + repeat_window < *due)) due = s.last + repeat_window;
  if (dropped_ > 0) {
    const auto d = second_start_ + std::chrono::seconds(1);
    if (!due || d < *due) due = d;
  }
  return due;
}

}  // namespace liveproxy
