// liveproxy's whole loop: watcher and app source -> restart_policy -> gate, runs, tabs and reports.
#pragma once

#include "proxy/app/app_source.hpp"
#include "proxy/app/app_terminal.hpp"
#include "proxy/app/change_owner.hpp"
#include "proxy/app/restart_policy.hpp"
#include "proxy/app/stdin_commands.hpp"
#include "proxy/browser/console_relay.hpp"
#include "proxy/browser/host_check.hpp"
#include "proxy/browser/reload_hub.hpp"
#include "proxy/control/runtime_file.hpp"
#include "proxy/front/listener.hpp"
#include "proxy/front/tls_front.hpp"
#include "proxy/front/proxy_context.hpp"
#include "proxy/front/route_table.hpp"
#include "proxy/app_unit.hpp"
#include "proxy/http/app_gate.hpp"
#include "proxy/http/app_pool.hpp"
#include "proxy/http/buffer_pool.hpp"
#include "proxy/settings/config.hpp"
#include "proxy/status/live_waits.hpp"
#include "proxy/status/status_feed.hpp"
#include "watcher/watcher.hpp"

#include <functional>
#include <memory>
#include <map>
#include <set>

namespace liveproxy {

/// Owns every component and carries out restart_policy's decisions: it turns the watcher's batches and the app
/// source's events into policy events, and the policy's commands into calls on the gate, the source, the tabs
/// and the reports. It decides nothing itself. Lives on one io_context.
class dev_server {
 public:
  /// Binds the front port and sets up the app source; throws on start-up errors.
  dev_server(net::any_io_executor ex, config cfg);

  /// Starts the watcher and the app, and begins accepting browsers.
  void start();
  /// Stops the app (at once if `now`), closes the listener, and calls done.
  void shutdown(bool now, std::function<void()> done);
  /// Restarts the app now (`rs` on stdin, POST /__liveproxy/restart). `why` goes to the log.
  void manual_restart(std::string_view why);
  /// POST /__liveproxy/restart?app=NAME: that app ("" the main one); false if liveproxy runs no app by that name.
  bool restart_named(std::string_view app);
  /// What liveproxy's exit status should be, given how the app ended (see exit_status.hpp).
  int exit_status() const { return source_->exit_status(); }

  tcp::endpoint front_endpoint() const { return listener_.local_endpoint(); }

 private:
  using clock = std::chrono::steady_clock;

  /// Carries out the policy's commands in order, then sets the policy's timer.
  void apply(const policy_commands& cmds);
  /// One report command: a terminal line, a status page row (dev_server_report.cpp).
  void report(const policy_command& c, std::size_t tabs_reloaded, std::size_t held_released);
  void arm_policy_timer();
  app_source::events source_events();

  void on_changes(const watcher::batch& b);
  /// Of several apps: each app's code changes go to it, a hot-reloading dev server's own changes to nobody,
  /// the rest (pages, stylesheets) to the main app's policy, which updates the tabs.
  void dispatch_changes(const watcher::batch& b, bool config_restart);
  /// Several apps run ("apps", --route), or the one app shows its own changes (hmr).
  bool several_apps() const { return !units_.empty() || cfg_.app_hmr; }
  void make_units();
  void on_restart_pending(bool pending, const std::vector<std::string>& paths);
  std::unique_ptr<watcher::watcher> make_watcher();
  /// liveproxy.json changed: read it again with the command line over it and apply what can be applied. True
  /// when the app must restart for it.
  bool reload_config();
  /// Files outside the watched directories that are followed anyway: the config file, files a crash named (all
  /// of them again for a new watcher; watch_more adds the new ones).
  void watch_extras();
  void watch_more(const std::vector<std::filesystem::path>& files);
  void watch_files(const std::vector<std::filesystem::path>& files);
  app_failure describe_failure() const;
  /// The error page's link to frame N of the crash: the editor opens it (or its command is printed).
  void open_frame(std::size_t frame);
  /// The Hosts besides loopback that may use our endpoints: --host's, the machine's addresses with 0.0.0.0, and
  /// --allowed-host names.
  static std::vector<std::string> allowed_hosts(const config& cfg);
  /// Every address_check_interval: the machine's addresses again (allowed Hosts, --https's certificate).
  void watch_addresses();
  /// "http://HOST:PORT" as "https://HOST:PORT".
  static std::string https_url(const std::string& http_url);

  // What the user is told (dev_server_report.cpp).
  /// The first time the app answers: the URL to open (and the Network URLs, and --open), once the app's own
  /// start-up lines have been printed (its output quiet for a moment), so that the URL is the last on screen.
  void announce();
  void announce_now();
  /// A page reload in a Flask app that caches its templates: says once how to make it not.
  void maybe_flask_hint();
  /// After sending events to the tabs: with no tab open, says once where to open one.
  void note_tabs();
  /// " (2 tabs)".
  std::string tabs_text(std::size_t n) const;
  /// A tab's console message: printed (repeats counted, bursts cut by console_relay) and kept for the status page.
  void on_console(std::string_view text);
  void print_console(const std::vector<console_relay::line>& lines);
  /// The status page's snapshot, with the watched-tree counts refreshed when stale.
  std::shared_ptr<const std::string> status_snapshot(bool fresh);

  // GET /__liveproxy/wait (dev_server_wait.cpp).
  std::optional<std::uint64_t> begin_wait(std::chrono::milliseconds timeout, std::function<void(std::string)> done);
  void cancel_wait(std::uint64_t which);
  /// No app with routes is starting or restarting.
  bool apps_settled() const;
  /// Answers what is due, once the current handler (a watcher delivery) is over.
  void schedule_wait_check();
  void check_waits();
  std::string wait_answer(bool settled, std::chrono::milliseconds waited, std::uint64_t actions_before);

  net::any_io_executor ex_;
  config cfg_;
  std::string front_moved_;  ///< set when the default port was taken and the next free one is used
  listener listener_;
  std::unique_ptr<app_source> source_;
  restart_policy policy_;
  steady_timer policy_timer_;
  app_gate gate_;
  app_pool pool_;
  reload_hub hub_;
  host_check hosts_;
  buffer_pool buffers_;
  std::unique_ptr<tls_front> tls_;  ///< --https
  proxy_context ctx_;
  /// The other apps ("apps", --route); requests go to them by routes_, code changes by owner_ (index 0: the
  /// main app, unit i at i + 1).
  std::vector<std::unique_ptr<app_unit>> units_;
  route_table routes_;
  std::optional<change_owner> owner_;
  long main_pid_ = 0;  ///< the main app's current process, for the status page's list of apps
  std::uint64_t main_run_ = 0;
  std::unique_ptr<watcher::watcher> watcher_;  ///< replaced when liveproxy.json changes what is watched
  std::filesystem::path config_path_;          ///< the liveproxy.json followed while running (canonical), or empty
  std::set<std::filesystem::path> extra_watched_;
  stdin_commands stdin_;       ///< `rs` lines when the app has no terminal of its own
  app_terminal terminal_;      ///< keys for the app when it has one
  status_feed status_;
  std::optional<runtime_file> runtime_;  ///< where `liveproxy wait|status|mcp` find us; removed with us
  bool stopping_ = false;

  // Reporting state (dev_server_report.cpp).
  std::chrono::steady_clock::time_point watch_summary_at_{};
  std::string front_url_;
  bool announced_ = false;   ///< the URL to open was said
  bool announcing_ = false;  ///< waiting for the app's start-up output to end
  std::chrono::steady_clock::time_point last_app_output_{};
  std::chrono::steady_clock::time_point ready_at_{};
  steady_timer announce_timer_;
  bool told_no_tabs_ = false;     ///< "no tab is connected" was said
  bool flask_hint_given_ = false;
  bool last_reload_morphs_ = false;  ///< the last reload told the tabs to morph their page (the line says "update")
  console_relay console_;
  steady_timer console_timer_;
  /// The app waiting at a prompt (a debugger's), looked at while it has a terminal: its requests are not
  /// timed meanwhile (ctx_.app_paused), the status page says so, and the terminal once.
  void watch_prompt();
  /// Whether the app waits at a prompt, as of now: the flag the request deadlines and the status page read.
  void refresh_paused();
  steady_timer prompt_timer_;
  std::string prompt_;
  bool told_prompt_ = false;

  struct wait_record {
    std::function<void(std::string)> done;
    std::uint64_t actions_before = 0;  ///< the status board's actions_begun() when it began
  };
  live_waits waits_;
  std::map<live_waits::id, wait_record> waiting_;
  steady_timer wait_timer_;
  steady_timer address_timer_;
  bool wait_check_posted_ = false;
};

}  // namespace liveproxy
