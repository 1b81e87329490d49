// Runs the app: start it under a guard in its own process group, pass its output through, detect readiness,
// stop the whole tree.
#pragma once

#include "proxy/app/output_log.hpp"
#include "proxy/app/startup_echo.hpp"
#include "proxy/base/net.hpp"

#include <termios.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// How an app run ended.
struct app_exit {
  int pid = 0;
  bool signaled = false;  ///< killed by a signal (code holds its number)
  int code = 0;           ///< exit status or signal number
  bool was_ready = false; ///< it had been listening before it ended
  std::chrono::steady_clock::duration uptime{};  ///< from start to exit
  /// "exited with status 1" / "was killed by signal 11 (Segmentation fault)"
  std::string describe() const;
};

/// What to run and how to tell it is up.
struct supervisor_options {
  std::vector<std::string> command;  ///< placeholders already expanded
  std::string app_host = "127.0.0.1";
  std::uint16_t app_port = 0;
  /// A run that does not listen within this time is reported through callbacks::start_timed_out.
  std::chrono::milliseconds start_timeout{20'000};
  /// --fd mode: this listening socket is handed to the app as fd 3; the app counts as ready at once.
  int listen_fd = -1;
  /// With listen_fd: announce it with LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES too. Off when the command
  /// names the descriptor itself ({fd}): apps such as gunicorn would then take the socket twice.
  bool listen_env = true;
  /// Extra environment ("NAME=value"), after PORT (so it can override it).
  std::vector<std::string> env;
  /// --preload: a run's command that becomes the app only when told to (see assets/python_preload.py). Such a
  /// run, a spare, is started in advance while the app serves; a (re)start then takes the spare instead of
  /// starting a process. Empty: every run starts `command`.
  std::vector<std::string> spare_command = {};
  /// The spare's own environment (after env).
  std::vector<std::string> spare_env = {};
  /// How long after a run is ready (or has ended) its spare is started: the requests held for the new run go
  /// first. Short: edits half a second apart must each find a warm interpreter (a cold start takes longer than
  /// that, and every later edit would then be cold too).
  std::chrono::milliseconds spare_delay{30};
  /// Each run gets a pseudo-terminal of its own, starting with these settings (liveproxy's terminal's, as they
  /// were before raw mode) and the window's size. Unset: stdin is /dev/null and the output a pipe.
  std::optional<termios> pty = std::nullopt;
  /// Where several apps run: its name (prefixing its output) and its directory (empty: liveproxy's).
  std::string name = "app";
  std::string cwd = {};
  /// False for a side process (a CSS watcher, a worker): it never listens, and counts as ready once started.
  bool listens = true;
};

/// Owns at most one app process tree at a time. Everything runs on one executor.
class supervisor {
 public:
  struct callbacks {
    std::function<void(std::uint64_t generation)> ready;            ///< the app accepts TCP connections
    std::function<void(const app_exit&)> exited;                    ///< it ended without being asked to
    std::function<void(std::uint64_t generation)> start_timed_out;  ///< it runs but did not listen in time
    std::function<void(std::uint64_t generation, int pid)> started = {};  ///< a run was started
    std::function<void()> output = {};                                 ///< the app printed something
    /// A spare ended before it was used (preloading failed): `why` and its output. Runs are started the plain
    /// way from then on.
    std::function<void(const std::string& why)> spare_failed = {};
  };

  supervisor(net::any_io_executor ex, supervisor_options opts, callbacks cb);
  ~supervisor();
  supervisor(const supervisor&) = delete;
  supervisor& operator=(const supervisor&) = delete;

  /// Starts the app if it is not running.
  void start();
  /// Stops the running app (if any), waits until its whole tree is gone and its port is free, then
  /// starts it again. Calls while a restart is under way coalesce.
  void restart();
  /// Stops the app: SIGTERM to its group, SIGKILL after the grace period (or at once if `now`).
  /// on_stopped runs when the whole tree is gone (at once if nothing runs).
  void stop(bool now, std::function<void()> on_stopped);

  /// New command, environment and start timeout for the next run (liveproxy.json changed); restart() to apply.
  void reconfigure(std::vector<std::string> command, std::vector<std::string> env, std::chrono::milliseconds start_timeout,
                   std::vector<std::string> spare_command, std::vector<std::string> spare_env);

  /// App starts so far (1 for the first run).
  std::uint64_t generation() const { return generation_; }
  /// The app process runs (or is about to be started).
  bool running() const;
  /// The command line with placeholders expanded.
  const std::vector<std::string>& command() const { return opts_.command; }
  std::uint16_t app_port() const { return opts_.app_port; }
  bool hands_off_socket() const { return opts_.listen_fd >= 0; }
  std::chrono::milliseconds start_timeout() const { return opts_.start_timeout; }
  /// Time since the current run was started (for "ready in N ms").
  std::chrono::steady_clock::duration since_start() const;
  /// Output of the current (or last) run.
  const output_log& output() const { return output_; }
  /// Runs get a pseudo-terminal of their own.
  bool has_terminal() const { return opts_.pty.has_value(); }
  /// Keys typed for the app: written to its terminal (nothing without one, or without a run).
  void type(std::string_view keys);
  /// The window's size changed: the app's terminal (and the spare's) take it on.
  void resize();
  /// The app waits for input on its terminal: its output ends in a line without a newline (a debugger's
  /// "(Pdb) ", input()'s prompt) and has been quiet for a moment. The prompt, or nothing.
  std::optional<std::string> waiting_prompt(std::chrono::steady_clock::time_point now) const;
  /// PID of the current app process (the group leader), or 0.
  int app_pid() const;
  /// PID of the spare waiting to become the next run, or 0.
  int spare_pid() const;
  /// Runs start from spares (--preload, and no spare has failed).
  bool preloading() const { return !opts_.spare_command.empty() && !spare_failed_; }
  /// The current run was a spare (its imports were done before it was asked to start).
  bool run_was_preloaded() const { return run_preloaded_; }
  /// Runs start from spares but the current one did not: why, in a few words ("" otherwise).
  std::string not_preloaded_why() const {
    return opts_.spare_command.empty() || run_preloaded_ ? std::string() : not_preloaded_why_;
  }
  /// liveproxy's own address, which the app's output shows in place of its private one.
  void set_front_url(std::string url) { echo_.set_front_url(std::move(url)); }

 private:
  struct child;
  void launch_when_port_free();
  void launch();
  /// Starts a guarded run: the app's command, or (spare) the spare command waiting on its go pipe.
  std::shared_ptr<child> spawn(bool spare);
  /// The spare, told to go; null if there is none (or it has ended: preloading is then off).
  std::shared_ptr<child> take_spare();
  /// Starts the spare after `delay` (the option's spare_delay if none).
  void schedule_spare(std::optional<std::chrono::milliseconds> delay = std::nullopt);
  void discard_spare();
  awaitable<void> watch_spare(std::shared_ptr<child> c);
  void take_status(const std::shared_ptr<child>& c);
  awaitable<void> wait_port_then_launch(std::uint64_t ticket);
  awaitable<void> watch_status(std::shared_ptr<child> c);
  awaitable<void> watch_guard(std::shared_ptr<child> c);
  awaitable<void> pump_output(std::shared_ptr<child> c);
  awaitable<void> probe_ready(std::shared_ptr<child> c);
  /// The run answers (or, a side process, runs): its held start-up output, then the ready callback.
  void became_ready(const std::shared_ptr<child>& c);
  awaitable<void> watch_accepts(std::shared_ptr<child> c);
  awaitable<void> flush_typed(std::shared_ptr<child> c);
  /// Shows what the start-up filter let through.
  void show(const std::vector<echo_piece>& pieces) const;

  net::any_io_executor ex_;
  supervisor_options opts_;
  callbacks cb_;
  output_log output_;
  std::shared_ptr<child> child_;
  std::uint64_t generation_ = 0;
  bool restart_pending_ = false;
  bool waiting_for_port_ = false;
  std::uint64_t launch_ticket_ = 0;  ///< bumped to cancel a pending launch
  std::chrono::steady_clock::time_point started_at_{};
  std::vector<std::function<void()>> on_stopped_;
  std::shared_ptr<child> spare_;
  steady_timer spare_timer_;
  bool spare_failed_ = false;
  bool run_preloaded_ = false;
  std::string not_preloaded_why_;
  startup_echo echo_;
  std::chrono::steady_clock::time_point last_output_{};
};

}  // namespace liveproxy
