// --serve DIR: no app; the folder is the source. Its files are answered by the front (static_handler).
#pragma once

#include "proxy/app/app_source.hpp"
#include "proxy/serve/file_cache.hpp"
#include "proxy/serve/static_path.hpp"

namespace liveproxy {

class folder_source final : public app_source {
 public:
  folder_source(net::any_io_executor ex, const config& cfg);

  app_kind kind() const override { return app_kind::folder; }
  const app_target& target() const override { return target_; }
  app_origin origin() const override { return {}; }
  void start(events) override {}
  void stop(bool now, std::function<void()> done) override;
  void reconfigure(const config& next) override;
  std::uint64_t generation() const override { return 0; }
  app_failure failure(bool, std::optional<std::chrono::milliseconds>) const override { return {}; }
  std::string describe() const override;
  std::string mode() const override { return "serve"; }
  std::string target_text() const override { return options_.root.string(); }

  /// What the front answers requests from.
  const static_options& options() const { return options_; }
  file_cache& files() { return files_; }

 private:
  net::any_io_executor ex_;
  app_target target_;
  static_options options_;
  file_cache files_;
};

}  // namespace liveproxy
