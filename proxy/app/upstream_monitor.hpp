// --upstream: follows an app liveproxy does not run. It cannot be told when the app's own reloader
// (runserver, flask --reload, nodemon, uvicorn --reload) restarts it, so it watches for the signs: the port
// refusing connections (the process owned the socket), or a process holding the listening socket ending (the
// reloader keeps the socket and hands it to each new process); then for the app to answer a request again.
#pragma once

#include "proxy/base/net.hpp"

#include <chrono>
#include <cstdint>
#include <sys/types.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace liveproxy {

class upstream_monitor {
 public:
  struct callbacks {
    std::function<void()> went_down;        ///< the app stopped accepting: hold requests
    std::function<void()> came_up;          ///< it accepts again (after a restart, or at first)
    std::function<void()> no_restart_seen;  ///< a code change, and the app stayed up through the grace period
  };

  struct options {
    std::vector<tcp::endpoint> endpoints;
    /// The Host for the readiness request (the upstream's authority).
    std::string authority;
    /// An https upstream: readiness is a TCP accept (a request would need TLS).
    bool tls = false;
    /// How long after a code change the app's reloader may take to stop the old process.
    std::chrono::milliseconds grace{1500};
  };

  upstream_monitor(net::any_io_executor ex, options opts, callbacks cb);

  /// Looks whether the app answers now; if not, reports went_down and then came_up once it does.
  void start();
  /// A code change: the app's reloader will restart it. Watch it go down (within the grace period) and come
  /// back; if it does not go down, report no_restart_seen.
  void after_change();
  /// A request found the app refusing connections: follow it until it accepts again.
  void on_refused();
  void stop();
  /// liveproxy.json changed the grace period; the next code change uses it.
  void set_grace(std::chrono::milliseconds grace) { opts_.grace = grace; }

  /// Times the app came up (1 once it first answered): tabs compare it to know they missed a restart.
  std::uint64_t generation() const { return generation_; }
  bool up() const { return up_; }

 private:
  awaitable<bool> accepting();
  /// Accepts and answers a HEAD request (a process behind a kept socket may accept only once loaded).
  awaitable<bool> responding();
  awaitable<void> follow_restart(std::uint64_t ticket);
  awaitable<void> wait_until_up(std::uint64_t ticket);
  void mark_down();
  /// Notes which processes hold the listening socket now that the app answers (a local upstream only).
  void remember_owners();

  net::any_io_executor ex_;
  options opts_;
  callbacks cb_;
  std::uint64_t ticket_ = 0;  ///< bumped to end the follower running now
  std::uint64_t generation_ = 0;
  bool up_ = false;
  bool following_ = false;
  std::set<pid_t> known_owners_;  ///< holders of the listening socket when the app was last seen answering
  bool stopped_ = false;
};

}  // namespace liveproxy
