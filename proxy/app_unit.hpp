// One more app behind the front ("apps", --route): its source, its restart policy, its gate and pool, and the
// proxy_context its routes' requests use. dev_server routes requests and code changes to it.
#pragma once

#include "proxy/app/app_source.hpp"
#include "proxy/app/restart_policy.hpp"
#include "proxy/front/proxy_context.hpp"
#include "proxy/http/app_gate.hpp"
#include "proxy/http/app_pool.hpp"
#include "proxy/settings/config.hpp"
#include "proxy/status/status_board.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace liveproxy {

/// Carries out its own restart_policy's commands, as dev_server does for the main app, and reports in lines
/// named after the app. Tab reloads go through `hooks`: the tabs are the front's.
class app_unit {
 public:
  struct hooks {
    std::function<void(bool full)> reload_tabs;  ///< the app is back (or down): the tabs show it
    std::function<void()> changed;               ///< for the status page
  };

  /// `main` gives the settings shared with the main app (timeouts, crash policy); `front` the shared parts of a
  /// request's context (tabs, allowed hosts, buffers, the script tag).
  app_unit(net::any_io_executor ex, const config& main, app_spec spec, proxy_context& front, hooks h);

  void start(const std::string& front_url);
  void stop(bool now, std::function<void()> done);

  /// Changes of its own settled (`summary` names them): a code change restarts it.
  void code_changed(const std::string& summary);
  /// Code changes of its own arrived; they settle later (a speculative start, as for the main app).
  void code_pending(bool named);
  void temporary_only();
  void manual_restart(const std::string& why);

  const app_spec& spec() const { return spec_; }
  bool side_process() const { return spec_.routes.empty(); }
  proxy_context& context() { return ctx_; }
  app_source& source() { return *source_; }
  const restart_policy& policy() const { return policy_; }
  /// For the status page: state, process, routes, the last restart or failure.
  status_board::app_row row() const;

 private:
  using clock = std::chrono::steady_clock;
  void apply(const policy_commands& cmds);
  void report(const policy_command& c);
  void arm_timer();
  app_source::events events();
  /// What the error page says of it, named.
  app_failure failure() const;

  net::any_io_executor ex_;
  app_spec spec_;
  config cfg_;  ///< the main app's, made this app's (command, upstream, cwd, env, name)
  hooks hooks_;
  std::unique_ptr<app_source> source_;
  restart_policy policy_;
  steady_timer timer_;
  app_gate gate_;
  app_pool pool_;
  proxy_context ctx_;
  bool stopping_ = false;
  long pid_ = 0;
  std::uint64_t run_ = 0;
  std::string last_;  ///< the last restart or failure line, for the status page
};

}  // namespace liveproxy
