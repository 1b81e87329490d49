// The app's recent output: passed through to the terminal as it comes, and its tail kept for the error page and
// the status page, bounded however the app writes.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace liveproxy {

/// Splits a byte stream into lines and keeps the last of them: at most `max_lines` lines, each at most
/// `max_line_bytes` (a longer one is kept cut, marked so), and at most `max_total_bytes` in all. What is passed
/// through is not bounded: everything the app writes reaches the terminal.
class output_log {
 public:
  /// Marks a line kept shorter than the app wrote it.
  static constexpr std::string_view cut_mark = " [\xe2\x80\xa6 line cut: ";

  output_log(std::size_t max_lines, std::size_t max_line_bytes, std::size_t max_total_bytes)
      : max_lines_(max_lines), max_line_bytes_(max_line_bytes), max_total_bytes_(max_total_bytes) {}

  /// Adds bytes; calls through(piece) with every piece as it comes (a line's end included), at once, so a prompt
  /// without a newline shows.
  template <typename Through>
  void append(std::string_view bytes, Through&& through) {
    if (!bytes.empty()) through(bytes);
    for (std::size_t pos = 0; pos < bytes.size();) {
      const auto nl = bytes.find('\n', pos);
      const auto piece = bytes.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      keep(piece);
      if (nl == std::string_view::npos) break;
      end_line();
      pos = nl + 1;
    }
  }
  /// Ends an unterminated last line (the stream closed).
  void flush() {
    if (!partial_.empty() || partial_dropped_ != 0) end_line();
  }
  /// Forgets everything (a new app run starts).
  void clear() {
    lines_.clear();
    partial_.clear();
    partial_dropped_ = 0;
    total_ = 0;
  }
  const std::deque<std::string>& lines() const { return lines_; }
  /// The line being written (no newline yet), as kept.
  const std::string& partial() const { return partial_; }

 private:
  void keep(std::string_view piece) {
    const auto room = max_line_bytes_ > partial_.size() ? max_line_bytes_ - partial_.size() : 0;
    partial_.append(piece.substr(0, room));
    if (piece.size() > room) partial_dropped_ += piece.size() - room;
  }
  void end_line() {
    std::string line = std::move(partial_);
    partial_.clear();
    if (!line.empty() && line.back() == '\r' && partial_dropped_ == 0) line.pop_back();
    // A carriage return inside a line rewrites it on a terminal (a progress bar, a line editor redrawing its
    // prompt): what was written over is not shown either.
    if (const auto cr = line.rfind('\r'); cr != std::string::npos && partial_dropped_ == 0) line.erase(0, cr + 1);
    if (partial_dropped_ != 0) line.append(cut_mark).append(std::to_string(partial_dropped_)).append(" more bytes]");
    partial_dropped_ = 0;
    total_ += line.size();
    lines_.push_back(std::move(line));
    while (lines_.size() > max_lines_ || (total_ > max_total_bytes_ && lines_.size() > 1)) {
      total_ -= lines_.front().size();
      lines_.pop_front();
    }
  }

  std::size_t max_lines_;
  std::size_t max_line_bytes_;
  std::size_t max_total_bytes_;
  std::deque<std::string> lines_;
  std::size_t total_ = 0;       ///< bytes in lines_
  std::string partial_;
  std::size_t partial_dropped_ = 0;  ///< bytes of the unfinished line beyond max_line_bytes_, not kept
};

}  // namespace liveproxy
