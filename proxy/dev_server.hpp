// liveproxy's whole loop: watcher -> supervisor -> gate and hub -> browsers.
#pragma once

#include "proxy/app/python_preload.hpp"
#include "proxy/app/restart_backoff.hpp"
#include "proxy/app/stdin_commands.hpp"
#include "proxy/app/supervisor.hpp"
#include "proxy/app/upstream_monitor.hpp"
#include "proxy/browser/host_check.hpp"
#include "proxy/browser/reload_hub.hpp"
#include "proxy/settings/config.hpp"
#include "proxy/http/app_gate.hpp"
#include "proxy/http/app_pool.hpp"
#include "proxy/http/buffer_pool.hpp"
#include "proxy/front/listener.hpp"
#include "proxy/front/proxy_context.hpp"
#include "proxy/status/status_feed.hpp"
#include "watcher/watcher.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <set>

namespace liveproxy {

/// Owns every component and routes events between them. Lives on one io_context. The app is either run by
/// liveproxy (a command: the supervisor) or started by the user (--upstream: the upstream monitor).
class dev_server {
 public:
  /// Binds the front port and picks the app port; throws on start-up errors.
  dev_server(net::any_io_executor ex, config cfg);

  /// Starts the watcher and the app, and begins accepting browsers.
  void start();
  /// Stops the app (at once if `now`), closes the listener, and calls done.
  void shutdown(bool now, std::function<void()> done);
  /// Restarts the app now (`rs` on stdin, POST /__liveproxy/restart). `why` goes to the log.
  void manual_restart(std::string_view why);
  /// What liveproxy's exit status should be, given how the app ended (see exit_status.hpp).
  int exit_status() const;

  tcp::endpoint front_endpoint() const { return listener_.local_endpoint(); }
  std::uint16_t app_port() const { return app_port_; }

 private:
  void on_changes(const watcher::batch& b);
  /// Code changes arrived (true) and will be a restart batch once settled; false: they were temporary files.
  void on_restart_pending(bool pending, const std::vector<std::string>& paths);
  /// The burst the app was restarted early for has settled: release what waited for it (or restart once more
  /// if changes came after the last early start). `what` names the changes.
  void settle_speculation(std::string what);
  /// liveproxy.json changed: read it again with the command line over it and apply what can be applied.
  void reload_config();
  /// Files outside the watched directories that are followed anyway: the config file, traceback files.
  void watch_extras();
  void on_app_ready(std::uint64_t generation);
  void on_app_exit(const app_exit& e);
  void on_start_timeout(std::uint64_t generation);
  /// While a run starts: does its process tree listen on some other port than ours? (It ignores {port}.)
  awaitable<void> watch_for_foreign_port(std::uint64_t run);
  void start_port_watch();
  /// After a crash: a Python app that could not import a module is run by the wrong interpreter, usually.
  void explain_missing_module();
  void on_upstream_down();
  void on_upstream_up();
  void on_upstream_no_restart();
  std::uint64_t app_generation() const;
  void restart_now();
  /// --preload: the spare's command and environment for this configuration (empty: runs start the plain way).
  std::pair<std::vector<std::string>, std::vector<std::string>> spare_setup(const config& c);
  void watch_traceback_files();
  void drain_handoff_backlog();
  error_info describe_failure() const;

  // What the user is told, on the terminal and the status page (dev_server_report.cpp).
  /// A change acted on at once: one line "files → outcome", and a row on the status page.
  void act(const std::string& what, std::string action, std::string outcome);
  /// A change whose outcome comes later (a restart): said when finish_action() knows it.
  void begin_action(std::string what, std::string action);
  /// The pending action's outcome; `line` false when another line already said it (a crash warning).
  void finish_action(std::string outcome, bool line = true);
  /// The first time the app answers: the URL to open (and the Network URLs, and --open), once the app's own
  /// start-up lines have been printed (its output quiet for a moment), so that the URL is the last on screen.
  void announce();
  void announce_now();
  /// After sending events to the tabs: with no tab open, says once where to open one.
  void note_tabs();
  /// " (2 tabs)".
  std::string tabs_text(std::size_t n) const;
  /// The app's command line as run (placeholders expanded).
  std::string command_text() const;
  /// The status page's snapshot, with the watched-tree counts refreshed when stale.
  std::string status_snapshot();

  net::any_io_executor ex_;
  config cfg_;
  std::string front_moved_;  ///< set when the default port was taken and the next free one is used
  listener listener_;
  std::optional<tcp_acceptor> handoff_;  ///< --fd mode: the app's listening socket, owned by us
  std::uint16_t app_port_;
  app_gate gate_;
  app_pool pool_;
  std::optional<preload_files> preload_files_;  ///< --preload's directory: outlives the supervisor's runs
  std::optional<supervisor> supervisor_;       ///< when liveproxy runs the app
  std::optional<upstream_monitor> upstream_;  ///< --upstream: an app started by the user
  std::optional<static_options> serve_;       ///< --serve: a folder, no app
  file_cache files_;
  reload_hub hub_;
  host_check hosts_;
  buffer_pool buffers_;
  proxy_context ctx_;
  std::unique_ptr<watcher::watcher> watcher_;  ///< replaced when liveproxy.json changes what is watched
  std::filesystem::path config_path_;          ///< the liveproxy.json followed while running (canonical), or empty
  stdin_commands stdin_;
  restart_backoff backoff_;
  steady_timer crash_restart_timer_;
  std::optional<std::chrono::milliseconds> crash_restart_in_;
  std::optional<app_exit> last_exit_;
  std::vector<std::string> traceback_;  ///< "file:line" named in the last crash output
  std::set<std::filesystem::path> extra_watched_;
  bool start_timed_out_ = false;
  std::optional<std::string> foreign_listen_;  ///< "127.0.0.1:8000": where the run listens instead of our port
  std::optional<std::string> missing_module_;  ///< the Python module the last crash could not import
  std::string missing_module_hint_;           ///< which interpreters do have it
  bool flask_hint_given_ = false;
  std::uint64_t port_watch_run_ = 0;
  bool reload_when_ready_ = false;
  bool stopping_ = false;

  /// A change being acted on until its outcome is known.
  struct pending_action {
    std::string what;
    std::chrono::steady_clock::time_point since;
  };
  std::optional<pending_action> pending_;
  status_feed status_;
  std::chrono::steady_clock::time_point watch_summary_at_{};
  std::string front_url_;
  bool announced_ = false;     ///< the URL to open was said
  bool announcing_ = false;    ///< waiting for the app's start-up output to end
  std::chrono::steady_clock::time_point last_app_output_{};
  std::chrono::steady_clock::time_point ready_at_{};
  steady_timer announce_timer_;
  steady_timer drain_timer_;  ///< a restart waiting for responses under way to finish
  bool draining_ = false;
  bool told_no_tabs_ = false;  ///< "no tab is connected" was said

  /// A speculative restart: the app restarted at a burst's first code change, before the burst settled. Until it
  /// has, the new run's readiness (or exit) is kept back: requests stay held, tabs wait.
  struct speculation {
    bool active = false;
    int starts = 0;          ///< early starts in this burst
    bool overtaken = false;  ///< changes came after the last early start: one more start once settled
    std::chrono::steady_clock::time_point since{};
    std::optional<std::uint64_t> ready;  ///< the run became ready meanwhile
    std::optional<std::chrono::milliseconds> ready_took;  ///< that long after it was started
    std::optional<app_exit> exit;        ///< or it ended
  };
  speculation spec_;
};

}  // namespace liveproxy
