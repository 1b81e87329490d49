// An app the user runs (--upstream URL): its addresses, and its own reloader followed by upstream_monitor.
#pragma once

#include "proxy/app/app_source.hpp"
#include "proxy/app/upstream_monitor.hpp"

#include <optional>

namespace liveproxy {

class upstream_source final : public app_source {
 public:
  /// Resolves the URL's host (throws when it does not resolve) and sets up TLS for an https upstream.
  upstream_source(net::any_io_executor ex, const config& cfg);

  app_kind kind() const override { return app_kind::upstream; }
  const app_target& target() const override { return target_; }
  app_origin origin() const override;
  void start(events e) override;
  void follow_restart() override { monitor_->after_change(); }
  void refused() override { monitor_->on_refused(); }
  void stop(bool now, std::function<void()> done) override;
  void reconfigure(const config& next) override;
  std::uint64_t generation() const override { return monitor_->generation(); }
  app_failure failure(bool gate_failed, std::optional<std::chrono::milliseconds> restart_in) const override;
  std::string describe() const override;
  std::string mode() const override { return "upstream"; }
  std::string target_text() const override { return target_.name; }

 private:
  net::any_io_executor ex_;
  upstream_url url_;
  app_target target_;
  std::chrono::milliseconds grace_;
  events events_;
  std::optional<upstream_monitor> monitor_;
};

}  // namespace liveproxy
