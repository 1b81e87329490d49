// The restart loop as a pure policy: fed timed events about file changes and the app, it answers with commands
// (gate, runs, tabs, reports) that an executor carries out. Built like watcher::debouncer: no I/O, no clock of its
// own, so tests step it with a fake clock.
#pragma once

#include "proxy/app/restart_backoff.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace liveproxy {

/// How the app is reached: what a change to code can do to it.
enum class app_kind {
  command,   ///< liveproxy runs it: a code change restarts it
  upstream,  ///< the user runs it (--upstream): its own reloader restarts it; liveproxy follows
  folder,    ///< --serve: no app; everything is a page reload or a stylesheet swap
};

/// One thing for the executor to do. Commands come in the order they are to be done.
struct policy_command {
  enum class kind {
    open_gate,        ///< the app answers (run): release held requests, let new ones through
    close_gate,       ///< hold new requests
    fail_gate,        ///< answer requests with the error page, now and until the gate changes
    start_run,        ///< stop the current run (its whole tree) and start a new one; watch where it listens
    wait_for_drain,   ///< call responses_drained() once no response is being sent by the app (at once if none)
    follow_upstream,  ///< the app's own reloader restarts it: watch it go down and come back
    reload_tabs,      ///< every tab reloads (or morphs) its page
    swap_css,         ///< every tab swaps this stylesheet (text: its path from the served root, with '/')
    app_ready,        ///< report: the run answers, `app_took` after it was started; `quiet` when an action says it
    app_failed,       ///< report: the run ended (text: the line, detail: how); the error page is the answer now
    begin_action,     ///< report: changes (text) are being acted on (action); the outcome comes with finish_action
    finish_action,    ///< report: the outcome (result) of the action begun for the changes (text); took: since
                      ///< the first change
    act,              ///< report: changes (text) acted on at once (action: "page reload", "css swap")
    crash_restart,    ///< report: the run crashed (text: how); it starts again after `took` (--restart-on-crash)
    crash_wait,       ///< report: the run crashed (text: how); it starts again at the next change
    early_start,      ///< report: a run was started at the first code change, before the burst settled
    deferred,         ///< report: changes (text) while the app does not answer: tabs reload once it does
  };
  /// What finish_action reports.
  enum class outcome { none, restarted, failed, upstream_restarted, upstream_stayed_up, superseded };

  kind what;
  std::string text = {};    ///< the changes (begin/act/deferred/finish), how the run ended, or a stylesheet's path
  std::string action = {};  ///< begin/act: what is done about the changes ("restart", "page reload")
  outcome result = outcome::none;
  std::string detail = {};  ///< finish_action: how the run ended (failed), or the change that superseded it
  std::chrono::milliseconds took{0};      ///< finish_action: from the first change; crash_restart: the delay
  std::chrono::milliseconds app_took{0};  ///< app_ready, finish_action (restarted): the run's own start
  std::uint64_t run = 0;                  ///< open_gate, app_ready: the run that answers (its generation)
  bool quiet = false;                     ///< app_ready: an action's outcome line follows; finish_action: no line
  bool full = false;  ///< reload_tabs: a script the pages run (or an unknown file) changed: reload, never morph

  bool operator==(const policy_command&) const = default;
};

using policy_commands = std::vector<policy_command>;

/// The restart loop's decisions, for one app.
///
/// - A code change restarts a supervised app: the gate closes (requests wait), responses under way finish first
///   (at most drain_limit), then the run is replaced. Its readiness opens the gate, then tabs reload.
/// - Speculative restart: the run is replaced at the burst's first code change, before it settles; its
///   readiness (or exit) is kept back until the burst settles, so requests and tabs see only the final code. A
///   second change in the burst starts it once more; after that the burst is a checkout: one start when settled.
/// - A crash fails the gate (the error page answers, tabs reload to show it) and waits for a change, or with
///   restart_on_crash starts again after a capped exponential backoff. Any change starts a crashed app.
/// - A run that does not listen in time, or listens on another port, fails the gate but keeps running: its
///   readiness later opens it.
/// - An upstream app is followed: a code change waits for its own reloader; it going down closes the gate.
/// - Page and stylesheet changes reload or swap at once while the app answers; while it does not, the tabs
///   reload when it does.
class restart_policy {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  struct options {
    app_kind kind = app_kind::command;
    bool speculative = true;
    bool restart_on_crash = false;
    /// Responses under way may finish for this long before a restart cuts them.
    std::chrono::milliseconds drain_limit{2000};
  };

  /// What a settled batch of changes holds, as the policy needs it.
  struct changes {
    enum class strongest { ignore, css, reload, restart };
    strongest act = strongest::ignore;
    std::string summary;                ///< "app.py, views.py and 3 more"
    std::vector<std::string> css;       ///< stylesheets and images to swap (paths from the root, with '/')
    /// A file the pages load other than markup (a script): a page morphed in place would keep running the old
    /// one, so the tabs reload instead.
    bool scripts = false;
  };

  /// How a run ended.
  struct exit_info {
    std::string describe;  ///< "app exited with status 1 before it listened on port 8000"
    bool was_ready = false;
    clock::duration uptime{};
    std::string how = {};  ///< "exited with status 1", for the status page
  };

  explicit restart_policy(options o);
  /// liveproxy.json changed speculative restart or restart on crash (the kind stays).
  void reconfigure(bool speculative, bool restart_on_crash) {
    opts_.speculative = speculative;
    opts_.restart_on_crash = restart_on_crash;
  }

  /// liveproxy starts: the first run, or following the upstream, or serving the folder.
  policy_commands start();
  /// liveproxy stops: no more runs, no timers.
  policy_commands stop();

  // The watcher.
  /// Code changes arrived and will be a restart once settled; `named` is false when the watcher could not name
  /// written files (only deletions, too many, or lost events).
  policy_commands code_pending(time_point now, bool named);
  /// The code changes announced by code_pending were temporary files only: nothing will settle.
  policy_commands temporary_only(time_point now);
  /// A batch settled. `config_restart`: liveproxy.json changed in it in a way that needs the app restarted (the
  /// executor has read the file and reconfigured the supervisor already).
  policy_commands settled(time_point now, const changes& c, bool config_restart = false);
  /// `rs` typed, or the restart button.
  policy_commands manual_restart(time_point now, std::string why);

  // The app. The executor passes on only events of the current run (a late event of a replaced run is dropped).
  /// The run answers (generation `run`), `took` after it was started.
  policy_commands ready(time_point now, std::uint64_t run, std::chrono::milliseconds took);
  policy_commands exited(time_point now, const exit_info& e);
  /// The run has not listened within the start timeout, or listens on another port than ours. It runs on: its
  /// readiness may still come.
  policy_commands cannot_reach();
  /// The upstream stopped answering (its reloader took it down, or it is not up yet).
  policy_commands upstream_down(time_point now);
  /// The upstream answers again: `run` counts its comings up.
  policy_commands upstream_up(time_point now, std::uint64_t run);
  /// After a code change the upstream stayed up through its grace period: its reloader did not restart it.
  policy_commands upstream_stayed_up(time_point now);

  // The executor.
  /// No response is being sent by the app any more (after wait_for_drain).
  policy_commands responses_drained(time_point now);
  /// Time passed: a timer set to next_due() fired.
  policy_commands tick(time_point now);
  /// When tick() has something to do next (a crash restart, a drain limit); nullopt: no timer.
  std::optional<time_point> next_due() const;

  // For the status page and the error page.
  enum class gate_state { closed, open, failed };
  gate_state gate() const { return gate_; }
  /// A run is started and has not ended.
  bool running() const { return running_; }
  /// The delay before the crash restart that is due, if one is.
  std::optional<std::chrono::milliseconds> crash_restart_delay() const {
    return crash_restart_at_ ? std::optional(crash_restart_delay_) : std::nullopt;
  }
  /// A speculative run is waiting for its burst to settle.
  bool speculating() const { return spec_.active; }

 private:
  struct pending_action {
    std::string what;
    time_point since;
  };
  struct speculation {
    bool active = false;
    int starts = 0;          ///< early starts in this burst
    bool overtaken = false;  ///< changes came after the last early start: one more start once settled
    time_point since{};
    std::optional<std::pair<std::uint64_t, std::chrono::milliseconds>> ready;  ///< the run became ready meanwhile
    std::optional<exit_info> exit;  ///< or it ended
  };

  void set_gate(policy_commands& out, gate_state g, std::uint64_t run = 0);
  /// The one way a run is replaced: close the gate, tabs reload when it is ready, drain, start.
  void restart_now(policy_commands& out, time_point now);
  void begin(policy_commands& out, time_point now, std::string what, std::string action);
  void finish(policy_commands& out, time_point now, policy_command::outcome result, std::string detail = {},
              std::chrono::milliseconds app_took = {}, bool line = true);
  /// The burst a speculative run was started for has settled: what it kept back happens now.
  void settle_speculation(policy_commands& out, time_point now, std::string what);
  void on_ready(policy_commands& out, time_point now, std::uint64_t run, std::chrono::milliseconds took);
  void on_exit(policy_commands& out, time_point now, const exit_info& e);

  options opts_;
  gate_state gate_ = gate_state::closed;
  bool running_ = false;        ///< a run is started and has not ended
  bool reload_when_ready_ = false;
  bool full_reload_when_ready_ = false;  ///< ...and a script changed meanwhile: reload rather than morph
  /// The reload_tabs command for the tabs waiting for the app (reload_when_ready_), full if a script changed.
  policy_command waiting_reload();
  bool draining_ = false;
  time_point drain_until_{};
  bool stopping_ = false;
  restart_backoff backoff_;
  std::optional<time_point> crash_restart_at_;
  std::chrono::milliseconds crash_restart_delay_{0};
  std::optional<pending_action> pending_;
  speculation spec_;
};

}  // namespace liveproxy
