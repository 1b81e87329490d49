// A fuzz input read as a few control bytes and text, and the chunkings a stream can arrive in.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace liveproxy::fuzz {

/// The bytes of one input, consumed from the front.
class input {
 public:
  input(const std::uint8_t* data, std::size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  /// The next byte, or 0 once the input is used up (so every input is a valid one).
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  /// The text up to the next `sep` (which is consumed), or all that is left.
  std::string_view until(char sep) {
    const auto at = rest_.find(sep);
    const auto piece = rest_.substr(0, at);
    rest_ = at == std::string_view::npos ? std::string_view{} : rest_.substr(at + 1);
    return piece;
  }
  std::string_view rest() const { return rest_; }
  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

/// Cuts text into the pieces a stream might deliver. plan 0: one piece. Otherwise piece sizes run from 0 (an
/// empty read) to 2^(plan % 8), in a sequence seeded by plan / 8: one byte the fuzzer mutates gives many
/// chunkings, from byte-at-a-time to large pieces.
inline std::vector<std::string_view> chunks(std::string_view text, std::uint8_t plan) {
  if (plan == 0) return {text};
  const std::size_t largest = std::size_t{1} << (plan % 8);
  std::uint32_t state = 0x9e3779b9u ^ (plan / 8u + 1u);
  std::vector<std::string_view> out;
  while (!text.empty()) {
    // xorshift32: deterministic, so a failing input replays the same chunking.
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    const std::size_t n = std::min<std::size_t>(state % (largest + 1), text.size());
    out.push_back(text.substr(0, n));
    text.remove_prefix(n);
  }
  return out;
}

/// A property failed: say which and abort, so libFuzzer saves the input as a crash and a replay fails.
[[noreturn]] inline void violated(const char* property, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: property violated: %s\n", file, line, property);
  std::abort();
}

}  // namespace liveproxy::fuzz

/// Checks a property of the code under test (assert() would vanish under NDEBUG).
#define FUZZ_CHECK(cond) ((cond) ? void(0) : ::liveproxy::fuzz::violated(#cond, __FILE__, __LINE__))
