// Broadcast to tabs. Sessions are owned here only while open, and leave() on close.
#include "proxy/browser/reload_hub.hpp"

#include "proxy/browser/event_json.hpp"
#include "proxy/browser/ws_session.hpp"

#include <random>
#include <vector>

namespace liveproxy {

reload_hub::reload_hub(std::string instance_id, std::function<std::uint64_t()> generation)
    : instance_id_(std::move(instance_id)), generation_(std::move(generation)) {}

void reload_hub::join(const std::shared_ptr<ws_session>& s) {
  sessions_.insert(s.get());
  if (on_tabs_changed_) on_tabs_changed_();
}

void reload_hub::join_status(const std::shared_ptr<ws_session>& s) { status_sessions_.insert(s.get()); }

void reload_hub::leave(ws_session* s) {
  if (sessions_.erase(s) != 0 && on_tabs_changed_) on_tabs_changed_();
  status_sessions_.erase(s);
}

namespace {

void send_to(std::unordered_set<ws_session*>& set, std::shared_ptr<const std::string> payload) {
  // Copy first: a send may close a session, which leaves the set.
  const std::vector<ws_session*> targets(set.begin(), set.end());
  for (ws_session* s : targets)
    if (set.contains(s)) s->send(payload);
}

}  // namespace

void reload_hub::broadcast(std::string message) {
  send_to(sessions_, std::make_shared<const std::string>(std::move(message)));
}

void reload_hub::broadcast_status(std::shared_ptr<const std::string> snapshot) {
  send_to(status_sessions_, std::move(snapshot));
}

std::string reload_hub::hello() const { return event_json::hello(instance_id_, generation_ ? generation_() : 0); }

std::string make_instance_id() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> nibble(0, 15);
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (auto& ch : id) ch = hex[nibble(rd)];
  return id;
}

}  // namespace liveproxy
