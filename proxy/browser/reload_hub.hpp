// The set of connected browser tabs, and broadcast of reload events to all of them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

namespace liveproxy {

class ws_session;

/// Sessions register themselves while open; broadcast copies the set, then sends.
class reload_hub {
 public:
  /// generation() is asked at each hello, so a new tab learns the current app run.
  reload_hub(std::string instance_id, std::function<std::uint64_t()> generation);

  void join(const std::shared_ptr<ws_session>& s);
  /// A status page: it gets status snapshots (the current one first), not reload events, and is no tab.
  void join_status(const std::shared_ptr<ws_session>& s);
  void leave(ws_session* s);

  /// Queues the message on every open session.
  void broadcast(std::string message);
  /// Gives every open status page this snapshot (one shared copy; a page that has not taken the last yet gets
  /// this one instead).
  void broadcast_status(std::shared_ptr<const std::string> snapshot);
  /// The hello this server sends on connect.
  std::string hello() const;
  /// What a status page gets first, and status.json (set by the owner of the state; it may hand out the same
  /// snapshot to many askers).
  /// `fresh`: as of now (status.json); else a snapshot up to status_feed::coalesce old may do (a page that
  /// connects: the next broadcast brings it up to date).
  void set_status_source(std::function<std::shared_ptr<const std::string>(bool fresh)> source) {
    status_source_ = std::move(source);
  }
  std::shared_ptr<const std::string> status(bool fresh = false) const {
    return status_source_ ? status_source_(fresh) : std::make_shared<const std::string>("{}");
  }
  /// Called with each console message a tab sends (its socket text; the receiver parses and bounds it).
  void set_on_console(std::function<void(std::string_view)> f) { on_console_ = std::move(f); }
  void console(std::string_view text) const {
    if (on_console_) on_console_(text);
  }
  /// Called for each console message a socket dropped unread, beyond its budget (the receiver counts them).
  void set_on_console_dropped(std::function<void()> f) { on_console_dropped_ = std::move(f); }
  void console_dropped() const {
    if (on_console_dropped_) on_console_dropped_();
  }
  /// Called when a tab connects or goes away (the status page shows the count).
  void set_on_tabs_changed(std::function<void()> f) { on_tabs_changed_ = std::move(f); }

  const std::string& instance_id() const { return instance_id_; }
  /// Expires when the hub is destroyed: a session destroyed after it (with the io_context, at exit) must
  /// not leave() a hub that is gone.
  std::weak_ptr<const void> alive() const { return alive_; }

  /// Connected tabs (status pages not counted).
  std::size_t size() const { return sessions_.size(); }
  std::size_t status_pages() const { return status_sessions_.size(); }

 private:
  std::string instance_id_;
  std::function<std::uint64_t()> generation_;
  std::unordered_set<ws_session*> sessions_;
  std::unordered_set<ws_session*> status_sessions_;
  std::function<std::shared_ptr<const std::string>(bool fresh)> status_source_;
  std::function<void()> on_tabs_changed_;
  std::function<void(std::string_view)> on_console_;
  std::function<void()> on_console_dropped_;
  std::shared_ptr<const void> alive_ = std::make_shared<int>(0);
};

/// A random hex id, new at every proxy start.
std::string make_instance_id();

}  // namespace liveproxy
