// Typed keys: forwarded unchanged but for Enter after `rs` and a Ctrl-C that stops liveproxy.
#include "proxy/app/terminal_input.hpp"

namespace liveproxy {
namespace {

bool is_rs(std::string_view line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  return line == "rs";
}

}  // namespace

terminal_input::result terminal_input::feed(std::string_view typed, bool at_prompt, clock::time_point now) {
  result r;
  for (const char ch : typed) {
    if (ch == intr_) {
      if (!at_prompt) {
        r.stop = true;
        return r;  // what follows a stop is not the app's
      }
      if (last_intr_ && now - *last_intr_ < double_interrupt) {
        r.stop = true;
        return r;
      }
      last_intr_ = now;
      r.to_app.push_back(ch);
      if (!explained_) r.explain = explained_ = true;
      line_.clear();
      line_junk_ = false;
      continue;
    }
    if (ch == '\r' || ch == '\n') {
      if (!at_prompt && !line_junk_ && is_rs(line_)) {
        // The Enter is not sent: the app never reads the line, and the run it was typed to ends now (each
        // run has a terminal of its own). Erasing the echoed "rs" instead would race our own "restart" line.
        r.restart = true;
      } else {
        r.to_app.push_back(ch);
      }
      line_.clear();
      line_junk_ = false;
      continue;
    }
    r.to_app.push_back(ch);
    if (at_prompt) continue;
    if (ch == '\x7f' || ch == '\b') {
      if (!line_.empty()) line_.pop_back();
    } else if (ch == kill_) {
      line_.clear();
      line_junk_ = false;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      line_junk_ = true;  // an arrow key, Tab, Ctrl-something: not a plain `rs`
    } else if (line_.size() < 64) {
      line_.push_back(ch);
    } else {
      line_junk_ = true;
    }
  }
  return r;
}

}  // namespace liveproxy
