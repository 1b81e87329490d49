// Waiting for a condition with a deadline: tests never sleep blindly.
#pragma once

#include <chrono>
#include <thread>

namespace liveproxy::test {

/// Polls pred every `step` until it returns true or `timeout` passes. Returns the last result.
template <typename Pred>
bool wait_until(Pred&& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                std::chrono::milliseconds step = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(step);
  }
}

}  // namespace liveproxy::test
