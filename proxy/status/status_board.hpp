// What liveproxy is doing and has done, kept for the status page (/__liveproxy/) and said as one JSON
// snapshot. A plain record with no I/O: dev_server tells it what happens, the page shows it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace liveproxy {

class status_board {
 public:
  using clock = std::chrono::system_clock;

  /// One change and what liveproxy did about it.
  struct action_record {
    clock::time_point at;
    std::string files;    ///< "mysite/urls.py", "a.css, b.css and 3 more", "rs typed"
    std::string action;   ///< restart, reload, css swap, settings, ...
    std::string outcome;  ///< "restarted in 170 ms, 2 tabs reloaded"; empty while under way
    /// A restart of an app whose runs are preloaded: whether this one was, and if not, why.
    std::optional<bool> preloaded = std::nullopt;
    std::string not_preloaded_why = {};
  };
  /// A watched directory: how it is watched and how much is in it.
  struct watched_root {
    std::string path;
    std::size_t dirs = 0;
    std::size_t files = 0;
  };

  /// How liveproxy runs: "command" (it starts the app), "upstream" or "serve"; what it forwards to.
  void set_mode(std::string mode, std::string target, std::string command, std::string front_url);
  void set_watching(std::string backend, std::vector<watched_root> roots);

  /// The app's states: starting (run, pid), ready (after `took`), exited (how), or for an upstream
  /// simply up or down.
  void app_starting(std::uint64_t run, long pid);
  void app_ready(std::chrono::milliseconds took);
  /// ...with the error its output ends with ("SyntaxError: ...") and where ("mysite/settings.py:26"), if known.
  void app_exited(std::string how, std::string headline = {}, std::string where = {});
  void app_state(std::string state);
  /// The app waits at this prompt ("(Pdb)") on its terminal; empty: it no longer does.
  void app_paused(std::string prompt) { paused_prompt_ = std::move(prompt); }
  /// Requests waiting for the app now.
  void set_held(std::size_t held) { held_ = held; }

  /// Of several apps ("apps", --route): one row each, the main app first. None: one app.
  struct app_row {
    std::string name;
    std::string state;    ///< "starting", "running", "restarting", "crashed", "down"
    long pid = 0;         ///< 0: not a process of ours (an upstream), or none yet
    std::uint64_t run = 0;
    std::string routes;   ///< "/api/, /admin/"; empty: a side process
    std::string command;  ///< or the upstream's URL
    std::string last;     ///< the last restart or failure, as the terminal said it
    std::size_t held = 0;
  };
  void set_apps(std::vector<app_row> apps) { apps_ = std::move(apps); }
  /// The Network URL a phone opens (with --host 0.0.0.0) and, with --https, the authority's SHA-256.
  void set_phone(std::string url, std::string ca_fingerprint) {
    phone_url_ = std::move(url);
    ca_fingerprint_ = std::move(ca_fingerprint);
  }

  /// A change arrived and `action` was taken; its outcome, if it takes time, comes with finish().
  void begin(std::string files, std::string action, std::string outcome = {});
  /// The outcome of the latest action still under way (none: nothing happens).
  void finish(std::string outcome, std::optional<bool> preloaded = std::nullopt, std::string not_preloaded_why = {});

  /// A message from a page's console (an uncaught error, console.error or console.warn), as the terminal said
  /// it; the last max_console are kept.
  void console(bool is_error, std::string text);
  static constexpr std::size_t max_console = 20;

  /// The whole state as one JSON object {"type":"status",...}: the app's last `output` lines, `tabs`
  /// connected now.
  std::string json(std::size_t tabs, const std::deque<std::string>& output) const;

  const std::deque<action_record>& actions() const { return actions_; }
  /// How many actions were ever begun (actions() keeps the last max_actions): marks "the ones since then".
  std::uint64_t actions_begun() const { return actions_begun_; }
  /// How long the app's last start took; negative: it has not been ready yet.
  std::chrono::milliseconds last_start() const { return last_start_; }
  static constexpr std::size_t max_actions = 50;

 private:
  std::string mode_, target_, command_, front_url_;
  std::string backend_;
  std::vector<watched_root> roots_;
  std::string state_ = "starting";
  std::uint64_t run_ = 0;
  long pid_ = 0;
  clock::time_point started_at_{};
  clock::time_point liveproxy_started_ = clock::now();
  std::string exit_;
  std::string error_headline_, error_where_;
  std::string paused_prompt_;
  std::size_t held_ = 0;
  std::chrono::milliseconds last_start_{-1};
  std::deque<action_record> actions_;  ///< newest last
  std::uint64_t actions_begun_ = 0;
  std::vector<app_row> apps_;
  std::string phone_url_, ca_fingerprint_;
  struct console_record {
    clock::time_point at;
    bool is_error;
    std::string text;
  };
  std::deque<console_record> console_;  ///< newest last
};

}  // namespace liveproxy
