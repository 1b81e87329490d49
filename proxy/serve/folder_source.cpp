// --serve DIR as an app source: always there, nothing to start or stop.
#include "proxy/serve/folder_source.hpp"

namespace liveproxy {

folder_source::folder_source(net::any_io_executor ex, const config& cfg)
    : ex_(ex), options_{*cfg.serve_dir, cfg.spa, cfg.dotfiles} {}

void folder_source::stop(bool, std::function<void()> done) { net::post(ex_, std::move(done)); }

void folder_source::reconfigure(const config& next) {
  options_.spa = next.spa;
  options_.dotfiles = next.dotfiles;
}

std::string folder_source::describe() const {
  return "serving " + options_.root.string() + (options_.spa ? " (--spa)" : "");
}

}  // namespace liveproxy
