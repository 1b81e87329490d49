// The decisions of GET /__liveproxy/wait, without I/O.
#include "proxy/status/live_waits.hpp"

#include <algorithm>

namespace liveproxy {

std::optional<live_waits::id> live_waits::begin(std::uint64_t changes_seen, clock::time_point now,
                                                std::chrono::milliseconds timeout) {
  if (waiting_.size() >= max_waiting) return std::nullopt;
  const id which = next_++;
  waiting_.push_back({which, changes_seen, now, now + timeout});
  return which;
}

std::vector<live_waits::answer> live_waits::update(std::uint64_t changes_delivered, bool apps_settled,
                                                   clock::time_point now) {
  std::vector<answer> out;
  std::erase_if(waiting_, [&](const waiting& w) {
    const bool settled = apps_settled && changes_delivered >= w.covers;
    if (!settled && now < w.deadline) return false;
    out.push_back({w.which, settled, std::chrono::duration_cast<std::chrono::milliseconds>(now - w.began)});
    return true;
  });
  return out;
}

void live_waits::cancel(id which) {
  std::erase_if(waiting_, [&](const waiting& w) { return w.which == which; });
}

std::optional<live_waits::clock::time_point> live_waits::next_due() const {
  if (waiting_.empty()) return std::nullopt;
  return std::min_element(waiting_.begin(), waiting_.end(),
                          [](const waiting& a, const waiting& b) { return a.deadline < b.deadline; })
      ->deadline;
}

}  // namespace liveproxy
