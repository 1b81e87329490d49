// A watched directory holding a copy of the Python test app, served through a real liveproxy.
#pragma once

#include "support/liveproxy_process.hpp"
#include "support/temp_dir.hpp"

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace liveproxy::test {

/// How to run the site.
struct site_options {
  double start_delay_seconds = 0;          ///< the app sleeps this long before binding (TEST_APP_START_DELAY)
  bool spawn_child = false;                ///< the app starts a `sleep` grandchild (TEST_APP_SPAWN_CHILD)
  std::vector<std::string> proxy_args;     ///< extra liveproxy options, before "--"
  std::vector<std::string> command;        ///< replaces the app command (default: python3 test_app.py {port})
  bool wait_for_app = true;                ///< the constructor waits until the app answers /pid
  bool pass_watch = true;                  ///< pass "--watch dir()"; false relies on the default (cwd)
  std::vector<std::pair<std::string, std::string>> env;  ///< extra environment for liveproxy and the app
};

/// Copies tests/integration/apps into a fresh temp dir, starts liveproxy watching it (cwd = that dir)
/// and, by default, waits until the app answers through the proxy, so the watcher is surely running.
/// The app writes listening.<pid> / stopped.<pid> markers into state_dir(), which is not watched.
class test_site {
 public:
  explicit test_site(site_options opts = {});

  const std::filesystem::path& dir() const { return app_dir_.path(); }
  const std::filesystem::path& state_dir() const { return state_dir_.path(); }
  liveproxy_process& proxy() { return *proxy_; }
  unsigned short port() const { return proxy_->port(); }

  /// The app's PID from GET /pid through the proxy, or nullopt if that failed.
  std::optional<pid_t> app_pid(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Writes a file under dir() (rel is relative to it).
  void write(const std::filesystem::path& rel, std::string_view content);
  /// Appends to a file under dir().
  void append(const std::filesystem::path& rel, std::string_view content);

  /// The app with this pid had bound its port and was about to listen.
  bool was_listening(pid_t pid) const;
  /// The app with this pid received SIGTERM.
  bool was_stopped(pid_t pid) const;
  /// PIDs of every app start that reached "listening", in no particular order.
  std::vector<pid_t> listening_pids() const;
  /// The grandchild PID the app with this pid started (spawn_child), if it did.
  std::optional<pid_t> child_of(pid_t pid) const;

 private:
  temp_dir app_dir_{"liveproxy-site"};
  temp_dir state_dir_{"liveproxy-state"};
  std::optional<liveproxy_process> proxy_;
};

}  // namespace liveproxy::test
