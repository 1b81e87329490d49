// One browser tab's reload WebSocket: a bounded send queue drained by a single writer.
#pragma once

#include "proxy/base/limits.hpp"
#include "proxy/base/net.hpp"
#include "proxy/http/client_stream.hpp"

#include <deque>
#include <memory>
#include <string>

namespace liveproxy {

class reload_hub;

class ws_session : public std::enable_shared_from_this<ws_session> {
 public:
  /// native: our JSON events, hello first. livereload: LiveReload 7, after the browser's hello. status: the
  /// status page's snapshots, the current one first. stale: a tab whose token is not this run's gets one
  /// {"type":"stale"} (so a tab left from before a restart of liveproxy reloads and gets the new token), then
  /// the socket closes; it never joins the hub.
  enum class protocol { native, livereload, status, stale };

  ws_session(client_stream stream, reload_hub& hub, protocol proto = protocol::native);
  ~ws_session();

  /// Completes the upgrade with this request, then serves until the tab goes away.
  template <typename Body>
  static awaitable<void> run(std::shared_ptr<ws_session> self, http::request<Body> req);

  /// Queues a message; a tab that stops reading is closed when its queue overflows (in messages or in bytes).
  /// A status page keeps only the newest snapshot it has not been sent yet.
  void send(std::shared_ptr<const std::string> message);

 private:
  awaitable<void> serve();
  awaitable<void> write_loop();
  void queue(std::shared_ptr<const std::string> message);

  websocket::stream<client_stream> ws_;
  reload_hub& hub_;
  std::weak_ptr<const void> hub_alive_;
  protocol protocol_;
  bool greeted_ = false;  ///< livereload: the browser's hello arrived
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::size_t queued_bytes_ = 0;  ///< of the messages in queue_ (a shared one counted in full: the budget is ours)
  bool writing_ = false;          ///< queue_.front() is being written
  steady_timer wake_;  ///< used as a condition variable for the writer
  bool closed_ = false;
};

template <typename Body>
awaitable<void> ws_session::run(std::shared_ptr<ws_session> self, http::request<Body> req) {
  self->ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  self->ws_.read_message_max(limits::ws_read_bytes);
  self->ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "liveproxy"); }));
  auto [ec] = co_await self->ws_.async_accept(req, use_tuple);
  if (ec) co_return;
  co_await self->serve();
}

}  // namespace liveproxy
