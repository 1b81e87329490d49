// App output can come in thousands of lines a second: one snapshot per 100 ms at most, not one per line.
#include "proxy/status/status_feed.hpp"

#include "proxy/browser/reload_hub.hpp"

namespace liveproxy {

status_feed::status_feed(net::any_io_executor ex, reload_hub& hub, std::function<std::deque<std::string>()> output)
    : hub_(hub), output_(std::move(output)), timer_(std::move(ex)) {}

void status_feed::changed() {
  cached_.reset();
  if (scheduled_ || hub_.status_pages() == 0) return;
  scheduled_ = true;
  timer_.expires_after(coalesce);
  timer_.async_wait([this](error_code ec) {
    if (ec) return;  // the feed is being destroyed
    scheduled_ = false;
    if (hub_.status_pages() != 0) hub_.broadcast_status(snapshot());
  });
}

std::shared_ptr<const std::string> status_feed::snapshot() {
  const auto now = std::chrono::steady_clock::now();
  if (!cached_ || now - cached_at_ > max_age) {
    cached_ = std::make_shared<const std::string>(board_.json(hub_.size(), output_ ? output_() : std::deque<std::string>{}));
    cached_at_ = now;
  }
  return cached_;
}

}  // namespace liveproxy
