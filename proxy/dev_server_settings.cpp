// dev_server's settings while it runs: liveproxy.json edits (read again, sorted by what they take, applied) and
// the files followed besides the watched directories.
#include "proxy/app/project_presets.hpp"
#include "proxy/base/log.hpp"
#include "proxy/dev_server.hpp"

#include "proxy/tls/certificate_plan.hpp"
#include "proxy/http/local_addresses.hpp"
#include "proxy/settings/reload_plan.hpp"

namespace liveproxy {

std::vector<std::string> dev_server::allowed_hosts(const config& cfg) {
  // A non-loopback --host means the user wants other machines in: let that name in too.
  std::vector<std::string> hosts;
  if (cfg.host != "0.0.0.0" && cfg.host != "::") hosts.push_back(cfg.host);
  // Every address: the machine's own addresses are the ones another device (a phone, the VM's host) uses.
  else hosts = local_addresses(cfg.host == "::");
  hosts.insert(hosts.end(), cfg.allowed_hosts.begin(), cfg.allowed_hosts.end());
  return hosts;
}

bool dev_server::reload_config() {
  std::vector<const char*> argv;
  for (const auto& a : cfg_.command_line) argv.push_back(a.c_str());
  config next;
  try {
    next = parse_command_line(static_cast<int>(argv.size()), argv.data());
    if (next.detect_project) {
      if (const auto preset = detect_project(std::filesystem::current_path())) apply_preset(next, *preset);
      else throw config_error(unrecognised_project_message(std::filesystem::current_path()));
    }
  } catch (const std::exception& e) {
    log::warn(std::string(e.what()) + " -- the previous settings stay in force");
    return false;
  }
  const auto plan = plan_reload(cfg_, next);
  if (plan.changed.empty()) return false;
  log::info(cfg_.config_file->string() + " changed: " + describe(plan));
  // What cannot change while running (front port and host, the mode) keeps its running value.
  next.port = cfg_.port;
  next.host = cfg_.host;
  next.app_port = cfg_.app_port;
  next.socket_handoff = cfg_.socket_handoff;
  next.upstream = cfg_.upstream;
  next.serve_dir = cfg_.serve_dir;
  if (plan.apply_live) {
    hosts_ = host_check(allowed_hosts(next));
    ctx_.hold_timeout = next.hold_timeout;
    ctx_.idle_timeout = next.idle_timeout;
    ctx_.header_timeout = next.header_timeout;
    ctx_.max_held = next.max_held;
    policy_.reconfigure(next.speculative_restart, next.restart_on_crash);
  }
  if (plan.apply_live || plan.restart_app) source_->reconfigure(next);
  const bool rebuild = plan.rebuild_watcher;
  const bool restart = plan.restart_app && source_->kind() == app_kind::command && !next.app_command.empty();
  cfg_ = std::move(next);
  if (rebuild) {
    // Not from inside the old watcher's callback: the next turn of the loop.
    net::post(ex_, [this] {
      if (stopping_) return;
      watcher_ = make_watcher();
      watcher_->start();
      watch_extras();
    });
  }
  return restart;
}

void dev_server::watch_extras() {
  std::vector<std::filesystem::path> files(extra_watched_.begin(), extra_watched_.end());
  if (!config_path_.empty()) files.push_back(config_path_);
  watch_files(files);
}

void dev_server::watch_more(const std::vector<std::filesystem::path>& add) {
  std::vector<std::filesystem::path> files;
  for (const auto& p : add)
    if (extra_watched_.insert(p).second) files.push_back(p);
  watch_files(files);
}

void dev_server::watch_files(const std::vector<std::filesystem::path>& files) {
  if (files.empty()) return;
  try {
    watcher_->watch_extra_files(files);
  } catch (const std::exception& ex) {
    log::warn(std::string("cannot watch ") + files.front().string() + ": " + ex.what());
  }
}

void dev_server::watch_addresses() {
  // With --host 0.0.0.0 the machine's addresses are the Hosts a phone uses: a new one (a new network, DHCP) is
  // let in, and with --https the certificate is issued again to cover it.
  if (!listener_.local_endpoint().address().is_unspecified()) return;
  address_timer_.expires_after(limits::address_check_interval);
  address_timer_.async_wait([this](error_code ec) {
    if (ec || stopping_) return;
    const auto hosts = allowed_hosts(cfg_);
    hosts_ = host_check(hosts);
    if (tls_) {
      try {
        if (const auto why = tls_->refresh(front_names(hosts), std::chrono::system_clock::now()); !why.empty())
          log::info("issued the front's certificate again: " + why);
      } catch (const std::exception& e) {
        log::warn(e.what());
      }
    }
    watch_addresses();
  });
}

}  // namespace liveproxy
