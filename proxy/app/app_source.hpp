// The ways an app is reached, behind one interface: a command liveproxy runs, an upstream the user runs, a folder
// liveproxy serves. The restart loop (dev_server) holds one source and carries out restart_policy's commands on
// it; several apps behind one front are several sources, each with its routes.
#pragma once

#include "proxy/app/app_failure.hpp"
#include "proxy/app/output_log.hpp"
#include "proxy/app/restart_policy.hpp"
#include "proxy/http/app_pool.hpp"
#include "proxy/http/location_rewrite.hpp"
#include "proxy/settings/config.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace liveproxy {

class app_source {
 public:
  /// What a source tells the loop, on the loop's executor. Only events of the current run are passed on.
  struct events {
    std::function<void(std::uint64_t run, std::chrono::milliseconds took)> ready;
    std::function<void(const restart_policy::exit_info&)> exited;
    /// The run has not listened within the start timeout, or listens on another port.
    std::function<void()> cannot_reach;
    /// An upstream stopped answering / stayed up through a code change.
    std::function<void()> went_down;
    std::function<void()> stayed_up;
    /// A run was started (its generation and process id) / the app printed something.
    std::function<void(std::uint64_t run, int pid)> started;
    std::function<void()> output;
  };

  virtual ~app_source() = default;

  virtual app_kind kind() const = 0;
  /// Where requests go: the run's private port, the upstream's addresses; no endpoints for a folder.
  virtual const app_target& target() const = 0;
  /// The app's own origin, for rewriting redirects that name it.
  virtual app_origin origin() const = 0;

  /// liveproxy starts: where events go from now on. An upstream starts being followed; a command's first run
  /// is the policy's first start_run.
  virtual void start(events e) = 0;
  /// Stops the current run (its whole tree) and starts a new one (policy: start_run).
  virtual void start_run() {}
  /// The app's own reloader restarts it: watch it go down and come back (policy: follow_upstream).
  virtual void follow_restart() {}
  /// A request found the app refusing connections.
  virtual void refused() {}
  /// Stops the app (at once if `now`); done runs when nothing of it is left.
  virtual void stop(bool now, std::function<void()> done) = 0;
  /// liveproxy's own address ("http://127.0.0.1:8000"): where the app's output names its private one, this shows.
  virtual void set_front_url(const std::string&) {}
  /// liveproxy.json changed what the source runs (the command, its environment, start timeout, preloading).
  virtual void reconfigure(const config&) {}

  /// Runs started (a command) or comings up (an upstream) so far: tabs compare it to see a restart they missed.
  virtual std::uint64_t generation() const = 0;
  /// What the error page says of the app now; `gate_failed`: the loop answers with the error page (the app is
  /// known to be down) rather than a request failing on its own; `restart_in`: a crashed run starts again then.
  virtual app_failure failure(bool gate_failed, std::optional<std::chrono::milliseconds> restart_in) const = 0;
  /// One line for the start: "-> app on 127.0.0.1:8000".
  virtual std::string describe() const = 0;
  /// For the status page: "command", "upstream" or "serve", the target, and the command line.
  virtual std::string mode() const = 0;
  virtual std::string target_text() const = 0;
  virtual std::string command_text() const { return {}; }
  /// The app's recent output (a command), else nullptr.
  virtual const output_log* output() const { return nullptr; }
  /// The current run started from a preloaded interpreter.
  virtual bool run_was_preloaded() const { return false; }
  /// When runs are preloaded but the current one was not: why, in a few words ("" otherwise).
  virtual std::string not_preloaded_why() const { return {}; }
  /// liveproxy's exit status for how the app ended (0 when it was stopped, or is not ours).
  virtual int exit_status() const { return 0; }
  /// The app's terminal, when a command runs on a pseudo-terminal of its own: keys typed for it, the window's
  /// size changed, and the prompt it waits at (a debugger's "(Pdb) "), if it does.
  virtual bool has_terminal() const { return false; }
  virtual void type(std::string_view) {}
  virtual void resize() {}
  virtual std::optional<std::string> waiting_prompt(std::chrono::steady_clock::time_point) const {
    return std::nullopt;
  }
  /// Real files named in the last crash: watched, so that saving the fix starts the app.
  virtual std::vector<std::filesystem::path> crash_files() const { return {}; }
};

}  // namespace liveproxy
