// The app's recent output: passed through to the terminal, and kept for the error page.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace liveproxy {

/// Splits a byte stream into lines and keeps the last `capacity` of them.
class output_log {
 public:
  explicit output_log(std::size_t capacity) : capacity_(capacity) {}

  /// Adds bytes; calls on_line(line) for each completed line (without the newline).
  template <typename OnLine>
  void append(std::string_view bytes, OnLine&& on_line) {
    for (std::size_t pos = 0; pos < bytes.size();) {
      const auto nl = bytes.find('\n', pos);
      if (nl == std::string_view::npos) {
        partial_.append(bytes.substr(pos));
        break;
      }
      partial_.append(bytes.substr(pos, nl - pos));
      if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
      on_line(std::string_view(partial_));
      push(std::move(partial_));
      partial_.clear();
      pos = nl + 1;
    }
  }
  /// Ends an unterminated last line (the stream closed).
  template <typename OnLine>
  void flush(OnLine&& on_line) {
    if (partial_.empty()) return;
    on_line(std::string_view(partial_));
    push(std::move(partial_));
    partial_.clear();
  }
  /// Forgets everything (a new app run starts).
  void clear() {
    lines_.clear();
    partial_.clear();
  }
  const std::deque<std::string>& lines() const { return lines_; }

 private:
  void push(std::string line) {
    lines_.push_back(std::move(line));
    if (lines_.size() > capacity_) lines_.pop_front();
  }

  std::size_t capacity_;
  std::deque<std::string> lines_;
  std::string partial_;
};

}  // namespace liveproxy
