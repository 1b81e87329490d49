// Reload socket: hello first, then events; reads to notice the close, answer pings, and take the page's console
// messages.
#include "proxy/browser/ws_session.hpp"

#include "proxy/browser/livereload_protocol.hpp"
#include "proxy/browser/reload_hub.hpp"
#include "proxy/base/limits.hpp"

namespace liveproxy {

ws_session::ws_session(client_stream stream, reload_hub& hub, protocol proto)
    : ws_(std::move(stream)), hub_(hub), hub_alive_(hub.alive()), protocol_(proto), wake_(ws_.get_executor()) {
  wake_.expires_at(steady_timer::time_point::max());
}

ws_session::~ws_session() {
  if (!hub_alive_.expired()) hub_.leave(this);
}

void ws_session::send(std::shared_ptr<const std::string> message) {
  if (protocol_ != protocol::livereload) {
    queue(std::move(message));
    return;
  }
  if (!greeted_) return;  // LiveReload clients get commands only after their hello
  if (auto lr = livereload::translate(*message)) queue(std::make_shared<const std::string>(std::move(*lr)));
}

void ws_session::queue(std::shared_ptr<const std::string> message) {
  if (closed_) return;
  if (protocol_ == protocol::status && queue_.size() > (writing_ ? 1u : 0u)) {
    // A snapshot not sent yet is out of date: the newest replaces it (never a queue of snapshots).
    queued_bytes_ -= queue_.back()->size();
    queued_bytes_ += message->size();
    queue_.back() = std::move(message);
    return;
  }
  if (queue_.size() >= limits::ws_queue_messages || queued_bytes_ + message->size() > limits::ws_queue_bytes) {
    closed_ = true;
    beast::get_lowest_layer(ws_).close();
    return;
  }
  queued_bytes_ += message->size();
  queue_.push_back(std::move(message));
  wake_.cancel_one();
}

awaitable<void> ws_session::serve() {
  ws_.text(true);
  if (protocol_ == protocol::stale) {
    auto [ec, n] = co_await ws_.async_write(net::buffer(std::string_view(R"({"type":"stale"})")), use_tuple);
    if (!ec) co_await ws_.async_close(websocket::close_code::policy_error, use_tuple);
    co_return;
  }
  if (protocol_ == protocol::status) {
    hub_.join_status(shared_from_this());
    queue(hub_.status());
  } else {
    hub_.join(shared_from_this());
  }
  if (protocol_ == protocol::native) {
    auto hello = std::make_shared<const std::string>(hub_.hello());
    queued_bytes_ += hello->size();
    queue_.push_front(std::move(hello));
  }
  net::co_spawn(ws_.get_executor(), [self = shared_from_this()]() { return self->write_loop(); }, net::detached);
  beast::flat_buffer buf;
  auto window_start = std::chrono::steady_clock::now();
  std::size_t in_window = 0;
  auto console_window_start = window_start;
  std::size_t console_in_window = 0;
  for (;;) {
    // Our client sends only console messages; reading keeps the control frames flowing and sees LiveReload's
    // hello.
    // A message over ws_read_bytes ends the read with an error (and the socket).
    auto [ec, n] = co_await ws_.async_read(buf, use_tuple);
    if (ec) break;
    const auto now = std::chrono::steady_clock::now();
    if (protocol_ == protocol::native) {
      // Our client's console messages (the page's errors): rate-limited by the client, and beyond a budget
      // here dropped rather than closing the socket the page reloads by.
      const auto text = beast::buffers_to_string(buf.data());
      buf.consume(n);
      if (text.find(R"("type":"console")") != std::string::npos) {
        if (now - console_window_start > std::chrono::seconds(1)) {
          console_window_start = now;
          console_in_window = 0;
        }
        if (++console_in_window <= limits::ws_console_per_second) hub_.console(text);
        else hub_.console_dropped();
        continue;
      }
    }
    if (now - window_start > limits::ws_message_window) {
      window_start = now;
      in_window = 0;
    }
    if (++in_window > limits::ws_messages_per_window) {
      [[maybe_unused]] auto [cec] = co_await ws_.async_close(websocket::close_code::policy_error, use_tuple);
      break;
    }
    if (protocol_ != protocol::livereload) {
      buf.consume(buf.size());
      continue;
    }
    if (!greeted_ && livereload::is_hello(beast::buffers_to_string(buf.data()))) {
      greeted_ = true;
      queue(std::make_shared<const std::string>(livereload::hello()));
    }
    buf.consume(n);
  }
  closed_ = true;
  hub_.leave(this);
  wake_.cancel();
}

awaitable<void> ws_session::write_loop() {
  while (!closed_) {
    if (queue_.empty()) {
      co_await wake_.async_wait(use_tuple);
      continue;
    }
    // The message in flight stays queued until written: one writer, no interleaving.
    auto msg = queue_.front();
    writing_ = true;
    auto [ec, n] = co_await ws_.async_write(net::buffer(*msg), use_tuple);
    writing_ = false;
    if (ec) {
      closed_ = true;
      beast::get_lowest_layer(ws_).close();
      break;
    }
    queued_bytes_ -= msg->size();
    queue_.pop_front();
  }
}

}  // namespace liveproxy
