// Doubling with a cap; the counter resets after a stable run so one late crash does not wait 30 s.
#include "proxy/app/restart_backoff.hpp"

#include <algorithm>

namespace liveproxy {

restart_backoff::duration restart_backoff::on_crash(std::chrono::steady_clock::duration uptime) {
  if (uptime >= stable_after) crashes_ = 0;
  const int shift = std::min(crashes_, 16);
  ++crashes_;
  return std::min<duration>(first * (1LL << shift), cap);
}

}  // namespace liveproxy
