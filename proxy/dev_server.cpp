// The restart loop: code change -> close the gate and restart; ready -> open the gate, then reload tabs.
#include "proxy/dev_server.hpp"

#include "proxy/event_json.hpp"
#include "proxy/log.hpp"

namespace liveproxy {
namespace {

std::uint16_t pick_free_port(net::any_io_executor ex, const std::string& host) {
  tcp_acceptor probe(ex, tcp::endpoint(net::ip::make_address(host), 0));
  return probe.local_endpoint().port();
}

std::vector<std::string> allowed_hosts(const config& cfg) {
  // A non-loopback --host means the user wants other machines in: let that name in too.
  std::vector<std::string> hosts;
  if (cfg.host != "0.0.0.0" && cfg.host != "::") hosts.push_back(cfg.host);
  return hosts;
}

watcher::options watch_options(const config& cfg) {
  watcher::options o;
  o.roots = cfg.watch_dirs;
  o.extra_ignores = cfg.ignores;
  o.poll_interval = cfg.poll_interval;
  return o;
}

std::string summarize(const watcher::batch& b) {
  std::string names;
  const std::size_t shown = std::min<std::size_t>(b.changes.size(), 3);
  for (std::size_t i = 0; i < shown; ++i) names += (i ? ", " : "") + b.changes[i].rel_path;
  if (b.changes.size() > shown) names += " and " + std::to_string(b.changes.size() - shown) + " more";
  if (b.overflow) names += names.empty() ? "(events lost: rescanned)" : " (events lost: rescanned)";
  return names;
}

}  // namespace

dev_server::dev_server(net::any_io_executor ex, config cfg)
    : ex_(ex),
      cfg_(std::move(cfg)),
      listener_(ex, cfg_.host, cfg_.port),
      app_port_(cfg_.app_port ? cfg_.app_port : pick_free_port(ex, cfg_.app_host)),
      gate_(ex),
      pool_(ex, tcp::endpoint(net::ip::make_address(cfg_.app_host), app_port_)),
      supervisor_(ex, expand_placeholders(cfg_.app_command, app_port_), cfg_.app_host, app_port_,
                  supervisor::callbacks{[this](std::uint64_t g) { on_app_ready(g); },
                                        [this](const app_exit& e) { on_app_exit(e); }}),
      hub_(make_instance_id(), [this] { return supervisor_.generation(); }),
      hosts_(allowed_hosts(cfg_)),
      ctx_{gate_, pool_, hub_, hosts_, cfg_.hold_timeout, R"(<script src="/__liveproxy/client.js"></script>)",
           [this] { return describe_failure(); }},
      watcher_(ex, watch_options(cfg_), [this](const watcher::batch& b) { on_changes(b); }) {}

void dev_server::start() {
  watcher_.start();
  supervisor_.start();
  net::co_spawn(ex_, listener_.run(ctx_), net::detached);
  const auto front = listener_.local_endpoint();
  std::string watched;
  for (const auto& d : cfg_.watch_dirs) watched += (watched.empty() ? "" : ", ") + d.string();
  log::info("http://" + front.address().to_string() + ":" + std::to_string(front.port()) + " -> app on " +
            cfg_.app_host + ":" + std::to_string(app_port_));
  log::info("watching " + watched + " (" + watcher_.backend_name() + ")");
}

void dev_server::shutdown(bool now, std::function<void()> done) {
  if (!stopping_) {
    stopping_ = true;
    watcher_.stop();
    listener_.close();
  }
  supervisor_.stop(now, std::move(done));
}

void dev_server::on_changes(const watcher::batch& b) {
  if (stopping_ || b.strongest == watcher::action::ignore) return;
  const bool app_down = !supervisor_.running();
  if (b.strongest == watcher::action::restart || app_down) {
    // A crashed app comes back on any change: the edit may well be the fix.
    log::info(std::string(app_down ? "change, starting the app: " : "restarting the app: ") + summarize(b));
    gate_.close();
    reload_when_ready_ = true;
    supervisor_.restart();
    return;
  }
  if (!gate_.is_open()) {
    // The app is on its way up; its readiness will reload every tab anyway.
    reload_when_ready_ = true;
    return;
  }
  if (b.strongest == watcher::action::reload) {
    log::info("reloading the browser: " + summarize(b));
    hub_.broadcast(event_json::reload());
    return;
  }
  log::info("swapping in the browser: " + summarize(b));
  for (const auto& c : b.changes)
    if (c.act == watcher::action::css) hub_.broadcast(event_json::css("/" + c.rel_path));
}

void dev_server::on_app_ready(std::uint64_t generation) {
  pool_.new_generation(generation);
  last_exit_.reset();
  log::info("app ready on port " + std::to_string(app_port_));
  gate_.open();
  if (reload_when_ready_) {
    reload_when_ready_ = false;
    hub_.broadcast(event_json::reload());
  }
}

void dev_server::on_app_exit(const app_exit& e) {
  last_exit_ = e;
  gate_.fail();
  log::warn(std::string("app ") + e.describe() + (e.was_ready ? "" : " before it listened on port " + std::to_string(app_port_)) +
            "; waiting for a file change to start it again");
  // Open tabs show the error page (with the output) now, and reload again once the app is back.
  hub_.broadcast(event_json::reload());
  reload_when_ready_ = true;
}

error_info dev_server::describe_failure() const {
  error_info info;
  for (const auto& a : supervisor_.command()) info.command += (info.command.empty() ? "" : " ") + a;
  const auto& lines = supervisor_.output().lines();
  info.output.assign(lines.begin(), lines.end());
  if (last_exit_) {
    info.title = last_exit_->was_ready ? "The app crashed" : "The app exited during start-up";
    info.message = "The app " + last_exit_->describe() + ". Fix the problem and save: liveproxy restarts it on the next change.";
  }
  return info;
}

}  // namespace liveproxy
