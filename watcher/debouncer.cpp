// Debounce state machine; see debouncer.hpp for the policy.
#include "watcher/debouncer.hpp"

#include <algorithm>
#include <utility>

namespace liveproxy::watcher {

debouncer::debouncer(duration restart_settle, duration browser_coalesce, duration max_delay, duration quick_settle)
    : restart_settle_(restart_settle),
      browser_coalesce_(browser_coalesce),
      max_delay_(max_delay),
      quick_settle_(std::min(quick_settle, restart_settle)) {}

void debouncer::note(time_point now) {
  if (idle()) {
    first_ = now;
    before_last_ = last_;
    before_seen_any_ = seen_any_;
  }
  last_ = std::max(last_, now);
  seen_any_ = true;
}

action debouncer::strongest_live() const {
  if (pending_.overflow) return action::restart;
  for (std::size_t a = live_by_action_.size(); a-- > 0;)
    if (live_by_action_[a] > 0) return static_cast<action>(a);
  return action::ignore;
}

void debouncer::drop(std::size_t pos) {
  slot& s = slots_[pos];
  s.dropped = true;
  --live_;
  if (s.created) --created_;
  if (s.last == file_event::changed) --written_;
  --live_by_action_[static_cast<std::size_t>(pending_.changes[pos].act)];
  pending_.strongest = strongest_live();
  if (idle()) {
    // Nothing else was pending: the burst is as it was before the temporary file appeared, so the
    // real file's change that follows can still be a leading edge.
    last_ = before_last_;
    seen_any_ = before_seen_any_;
    leading_ = false;
  }
}

void debouncer::add(change c, time_point now, file_event ev) {
  if (c.act == action::ignore) return;
  const auto found = index_.find(c.path);
  if (ev == file_event::removed && found != index_.end() && slots_[found->second].created) {
    const std::size_t pos = found->second;
    index_.erase(found);
    drop(pos);
    return;
  }
  // A new burst: nothing pending and the previous one has gone quiet.
  const bool new_burst = idle() && (!seen_any_ || now >= last_ + browser_coalesce_);
  note(now);
  std::size_t pos = 0;
  if (found == index_.end()) {
    pos = pending_.changes.size();
    index_.emplace(c.path, pos);
    last_new_ = now;
    const bool created = ev == file_event::created;
    slots_.push_back(slot{created, false, ev});
    ++live_;
    if (created) ++created_;
    if (ev == file_event::changed) ++written_;
    ++live_by_action_[static_cast<std::size_t>(c.act)];
    pending_.changes.push_back(std::move(c));
  } else {
    pos = found->second;
    auto& s = slots_[pos];
    written_ += ev == file_event::changed;
    written_ -= s.last == file_event::changed;
    s.last = ev;
    auto& existing = pending_.changes[pos];
    if (c.act > existing.act) {
      --live_by_action_[static_cast<std::size_t>(existing.act)];
      ++live_by_action_[static_cast<std::size_t>(c.act)];
      existing.act = c.act;
    }
  }
  pending_.strongest = strongest_live();
  if (new_burst) leading_ = pending_.changes[pos].act != action::restart && !slots_[pos].created;
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
  // A restart in the burst swallows the leading edge (one restart, no separate reload), and a path
  // created in the batch keeps it back until it is known not to be a temporary file.
  if (leading_ && pending_.strongest != action::restart && created_ == 0) return first_;
  const bool one_save = live_ == 1 && written_ == 1 && created_ == 0 && !pending_.overflow;
  const duration quiet = pending_.strongest != action::restart ? browser_coalesce_
                         : one_save                            ? quick_settle_
                                                               : restart_settle_;
  return std::min(last_ + quiet, last_new_ + max_delay_);
}

std::optional<batch> debouncer::take_due(time_point now) {
  const auto due = next_due();
  if (!due || now < *due) return std::nullopt;
  batch out;
  out.strongest = pending_.strongest;
  out.overflow = pending_.overflow;
  out.changes.reserve(live_);
  for (std::size_t i = 0; i < pending_.changes.size(); ++i)
    if (!slots_[i].dropped) out.changes.push_back(std::move(pending_.changes[i]));
  pending_ = batch{};
  slots_.clear();
  index_.clear();
  live_ = 0;
  created_ = 0;
  written_ = 0;
  live_by_action_ = {};
  leading_ = false;
  return out;
}

}  // namespace liveproxy::watcher
