// The start-up banner collapsed after the first run, and the app's private address replaced by liveproxy's.
#include "proxy/app/startup_echo.hpp"

#include <array>
#include <cctype>

namespace liveproxy {
namespace {

/// The line as compared between runs: without its line end, with every run of digits as one '#' (a time, a
/// date or a process id differ from run to run; the words around them do not).
std::string comparable(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(line[i])) != 0) {
      out.push_back('#');
      while (i + 1 < line.size() && std::isdigit(static_cast<unsigned char>(line[i + 1])) != 0) ++i;
    } else {
      out.push_back(line[i]);
    }
  }
  return out;
}

}  // namespace

void startup_echo::run_started() {
  recording_.clear();
  recording_on_ = true;
  held_.clear();
  holding_ = opts_.collapse && !reference_.empty();
  line_open_ = false;
  open_line_.clear();
}

std::vector<echo_piece> startup_echo::feed(std::string_view bytes) {
  std::vector<echo_piece> out;
  std::size_t pos = 0;
  if (line_open_) {
    // The rest of a line already partly shown: as it comes.
    const auto nl = bytes.find('\n');
    const auto end = nl == std::string_view::npos ? bytes.size() : nl + 1;
    show(bytes.substr(0, end), out);
    if (open_line_.size() < max_line_bytes) open_line_.append(bytes.substr(0, std::min(end, max_line_bytes)));
    if (nl != std::string_view::npos) {
      line_open_ = false;
      if (recording_on_ && recording_.size() < max_lines) recording_.push_back(comparable(open_line_));
      open_line_.clear();
    }
    pos = end;
  }
  while (pos < bytes.size()) {
    const auto nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) {
      // A prompt, or a line cut by the read: shown now, never held.
      release(out);
      show(bytes.substr(pos), out);
      line_open_ = true;
      open_line_.assign(bytes.substr(pos, std::min(bytes.size() - pos, max_line_bytes)));
      break;
    }
    line(bytes.substr(pos, nl + 1 - pos), out);
    pos = nl + 1;
  }
  return out;
}

void startup_echo::line(std::string_view whole, std::vector<echo_piece>& out) {
  const bool long_line = whole.size() > max_line_bytes;
  const std::string key = long_line ? std::string() : comparable(whole);
  if (recording_on_ && recording_.size() < max_lines && !long_line) recording_.push_back(key);
  if (holding_) {
    if (!long_line && held_.size() < reference_.size() && reference_[held_.size()] == key) {
      held_.emplace_back(whole);
      if (held_.size() == reference_.size()) release(out);  // all of it, as before
      return;
    }
    release(out);
  }
  show(rewritten(whole), out);
}

void startup_echo::release(std::vector<echo_piece>& out) {
  if (!holding_) return;
  holding_ = false;
  if (held_.size() >= min_collapsed) {
    out.push_back({echo_piece::kind::collapsed, {}, held_.size()});
  } else {
    for (const auto& l : held_) show(rewritten(l), out);
  }
  held_.clear();
}

void startup_echo::show(std::string_view bytes, std::vector<echo_piece>& out) {
  if (bytes.empty()) return;
  if (!out.empty() && out.back().what == echo_piece::kind::text) {
    out.back().text.append(bytes);
  } else {
    out.push_back({echo_piece::kind::text, std::string(bytes), 0});
  }
}

std::vector<echo_piece> startup_echo::ready() {
  std::vector<echo_piece> out;
  release(out);
  if (recording_on_ && !recording_.empty()) reference_ = std::move(recording_);
  recording_.clear();
  recording_on_ = false;
  return out;
}

std::vector<echo_piece> startup_echo::ended() {
  std::vector<echo_piece> out;
  release(out);
  // A run that never answered (a crash at start) is not what the next start-up is compared with.
  recording_.clear();
  recording_on_ = false;
  return out;
}

std::string startup_echo::rewritten(std::string_view line) const {
  if (opts_.app_port == 0 || front_url_.empty()) return std::string(line);
  static constexpr std::array<std::string_view, 6> hosts = {"127.0.0.1", "localhost", "0.0.0.0",
                                                            "[::1]",     "[::]",      "::1"};
  const std::string port = ":" + std::to_string(opts_.app_port);
  std::string out;
  bool replaced = false;
  std::size_t pos = 0;
  for (;;) {
    const auto scheme_end = line.find("://", pos);
    if (scheme_end == std::string_view::npos) break;
    auto start = scheme_end;
    while (start > 0 && std::isalpha(static_cast<unsigned char>(line[start - 1])) != 0) --start;
    const auto host_at = scheme_end + 3;
    bool matched = false;
    for (const auto host : hosts) {
      const auto after = host_at + host.size();
      if (line.substr(host_at, host.size()) == host && line.substr(after, port.size()) == port &&
          (after + port.size() >= line.size() || std::isdigit(static_cast<unsigned char>(line[after + port.size()])) == 0)) {
        out.append(line.substr(pos, start - pos)).append(front_url_);
        pos = after + port.size();
        matched = replaced = true;
        break;
      }
    }
    if (!matched) {
      out.append(line.substr(pos, host_at - pos));
      pos = host_at;
    }
  }
  if (!replaced) return std::string(line);
  out.append(line.substr(pos));
  // Said once, at the end of the line (before its line end): the app's own port still works, and is not it.
  std::size_t body = out.size();
  while (body > 0 && (out[body - 1] == '\n' || out[body - 1] == '\r')) --body;
  out.insert(body, " (liveproxy's address; the app itself is on port " + std::to_string(opts_.app_port) + ")");
  return out;
}

}  // namespace liveproxy
