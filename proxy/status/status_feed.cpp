// App output can come in thousands of lines a second: one snapshot per 100 ms at most, not one per line nor one
// per page that connects.
#include "proxy/status/status_feed.hpp"

#include "proxy/browser/reload_hub.hpp"

namespace liveproxy {

status_feed::status_feed(net::any_io_executor ex, reload_hub& hub, std::function<std::deque<std::string>()> output)
    : hub_(hub), output_(std::move(output)), timer_(std::move(ex)) {}

void status_feed::changed() {
  stale_ = true;
  schedule();
}

void status_feed::schedule() {
  if (scheduled_ || hub_.status_pages() == 0) return;
  scheduled_ = true;
  timer_.expires_after(coalesce);
  timer_.async_wait([this](error_code ec) {
    if (ec) return;  // the feed is being destroyed
    scheduled_ = false;
    if (hub_.status_pages() == 0) return;
    hub_.broadcast_status(!cached_ || stale_ ? build(std::chrono::steady_clock::now()) : cached_);
  });
}

std::shared_ptr<const std::string> status_feed::snapshot(bool fresh) {
  const auto now = std::chrono::steady_clock::now();
  const auto age = now - cached_at_;
  if (!cached_ || age > max_age || (stale_ && (fresh || age >= coalesce))) return build(now);
  // Changed since, but built less than `coalesce` ago: pages connecting meanwhile share this one (a thousand
  // of them cost one build, not one each), and the broadcast due within `coalesce` brings them the change.
  if (stale_) schedule();
  return cached_;
}

std::shared_ptr<const std::string> status_feed::build(std::chrono::steady_clock::time_point now) {
  cached_ = std::make_shared<const std::string>(board_.json(hub_.size(), output_ ? output_() : std::deque<std::string>{}));
  cached_at_ = now;
  stale_ = false;
  return cached_;
}

}  // namespace liveproxy
