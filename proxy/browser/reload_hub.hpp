// The set of connected browser tabs, and broadcast of reload events to all of them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

namespace liveproxy {

class ws_session;

/// Sessions register themselves while open; broadcast copies the set, then sends.
class reload_hub {
 public:
  /// generation() is asked at each hello, so a new tab learns the current app run.
  reload_hub(std::string instance_id, std::function<std::uint64_t()> generation);

  void join(const std::shared_ptr<ws_session>& s);
  void leave(ws_session* s);

  /// Queues the message on every open session.
  void broadcast(std::string message);
  /// The hello this server sends on connect.
  std::string hello() const;

  const std::string& instance_id() const { return instance_id_; }
  std::size_t size() const { return sessions_.size(); }

 private:
  std::string instance_id_;
  std::function<std::uint64_t()> generation_;
  std::unordered_set<ws_session*> sessions_;
};

/// A random hex id, new at every proxy start.
std::string make_instance_id();

}  // namespace liveproxy
