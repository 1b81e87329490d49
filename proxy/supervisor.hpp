// Runs the app: start in its own process group, pass its output through, detect readiness, stop the whole tree.
#pragma once

#include "proxy/net.hpp"
#include "proxy/output_log.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace liveproxy {

/// How an app run ended.
struct app_exit {
  int pid = 0;
  bool signaled = false;  ///< killed by a signal (code holds its number)
  int code = 0;           ///< exit status or signal number
  bool was_ready = false; ///< it had been listening before it ended
  /// "exited with status 1" / "killed by signal 11 (Segmentation fault)"
  std::string describe() const;
};

/// Owns at most one app process tree at a time. Everything runs on one executor.
class supervisor {
 public:
  struct callbacks {
    std::function<void(std::uint64_t generation)> ready;  ///< the app accepts TCP connections
    std::function<void(const app_exit&)> exited;          ///< it ended without being asked to
  };

  supervisor(net::any_io_executor ex, std::vector<std::string> command, std::string app_host,
             std::uint16_t app_port, callbacks cb);
  ~supervisor();
  supervisor(const supervisor&) = delete;
  supervisor& operator=(const supervisor&) = delete;

  /// Starts the app if it is not running.
  void start();
  /// Stops the running app (if any), then starts it again. Calls while a restart is under way coalesce.
  void restart();
  /// Stops the app: SIGTERM to its group, SIGKILL after the grace period (or at once if `now`).
  /// on_stopped runs when the whole group is gone (at once if nothing runs).
  void stop(bool now, std::function<void()> on_stopped);

  /// App starts so far (1 for the first run).
  std::uint64_t generation() const { return generation_; }
  bool running() const { return static_cast<bool>(child_); }
  /// The command line with {port} expanded.
  const std::vector<std::string>& command() const { return command_; }
  std::uint16_t app_port() const { return app_port_; }
  /// Output of the current (or last) run.
  const output_log& output() const { return output_; }

 private:
  struct child;
  void spawn();
  awaitable<void> watch_exit(std::shared_ptr<child> c);
  awaitable<void> pump_output(std::shared_ptr<child> c);
  awaitable<void> probe_ready(std::shared_ptr<child> c);
  void on_child_gone(const app_exit& e);

  net::any_io_executor ex_;
  std::vector<std::string> command_;
  std::string app_host_;
  std::uint16_t app_port_;
  callbacks cb_;
  output_log output_;
  std::shared_ptr<child> child_;
  std::uint64_t generation_ = 0;
  bool restart_pending_ = false;
  std::vector<std::function<void()>> on_stopped_;
};

}  // namespace liveproxy
