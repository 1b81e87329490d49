// Debounce state machine; see debouncer.hpp for the policy.
#include "watcher/debouncer.hpp"

#include <algorithm>
#include <utility>

namespace liveproxy::watcher {

debouncer::debouncer(duration restart_settle, duration browser_coalesce, duration max_delay)
    : restart_settle_(restart_settle), browser_coalesce_(browser_coalesce), max_delay_(max_delay) {}

void debouncer::note(time_point now) {
  if (idle()) first_ = now;
  last_ = std::max(last_, now);
  seen_any_ = true;
}

void debouncer::add(change c, time_point now) {
  if (c.act == action::ignore) return;
  // A new burst: nothing pending and the previous one has gone quiet.
  const bool new_burst = idle() && (!seen_any_ || now >= last_ + browser_coalesce_);
  note(now);
  const auto [it, inserted] = index_.try_emplace(c.path, pending_.changes.size());
  if (inserted) {
    last_new_ = now;
    pending_.changes.push_back(std::move(c));
  } else {
    auto& existing = pending_.changes[it->second];
    existing.act = std::max(existing.act, c.act);
  }
  pending_.strongest = std::max(pending_.strongest, pending_.changes[it->second].act);
  if (new_burst) leading_ = pending_.strongest != action::restart;
  // A restart in the same burst swallows the leading edge: one restart, no separate reload.
  if (pending_.strongest == action::restart) leading_ = false;
}

void debouncer::add_overflow(time_point now) {
  if (!pending_.overflow) last_new_ = now;
  note(now);
  pending_.overflow = true;
  pending_.strongest = action::restart;
  leading_ = false;
}

std::optional<debouncer::time_point> debouncer::next_due() const {
  if (idle()) return std::nullopt;
  if (leading_) return first_;
  const duration quiet = pending_.strongest == action::restart ? restart_settle_ : browser_coalesce_;
  return std::min(last_ + quiet, last_new_ + max_delay_);
}

std::optional<batch> debouncer::take_due(time_point now) {
  const auto due = next_due();
  if (!due || now < *due) return std::nullopt;
  batch out = std::move(pending_);
  pending_ = batch{};
  index_.clear();
  leading_ = false;
  return out;
}

}  // namespace liveproxy::watcher
