// Probing by TCP connect: an app that accepts is up. A reloader takes its process (and the listening
// socket) down within its own polling interval of a change, then binds again once the new code is loaded.
#include "proxy/app/upstream_monitor.hpp"

#include "proxy/app/listening_sockets.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <set>

namespace liveproxy {
namespace {

using namespace std::chrono_literals;

/// Often enough to see a restart that takes a few hundred milliseconds; each probe is a connect and a close.
constexpr auto probe_interval = 25ms;
/// After this long down (a crash, a syntax error) the probes slow down.
constexpr auto slow_after = 5s;
constexpr auto slow_probe_interval = 250ms;
constexpr auto probe_timeout = 1s;
/// A readiness request waits this long for the first byte of an answer before it is tried again.
constexpr auto answer_timeout = 2s;

bool is_local(const std::vector<tcp::endpoint>& endpoints) {
  for (const auto& e : endpoints)
    if (!e.address().is_loopback()) return false;
  return !endpoints.empty();
}

}  // namespace

upstream_monitor::upstream_monitor(net::any_io_executor ex, options opts, callbacks cb)
    : ex_(std::move(ex)), opts_(std::move(opts)), cb_(std::move(cb)) {}

void upstream_monitor::start() {
  const auto ticket = ++ticket_;
  net::co_spawn(
      ex_,
      [this, ticket]() -> awaitable<void> {
        if (co_await accepting()) {
          if (ticket != ticket_ || stopped_) co_return;
          up_ = true;
          ++generation_;
          remember_owners();
          cb_.came_up();
          co_return;
        }
        if (ticket != ticket_ || stopped_) co_return;
        mark_down();
        co_await wait_until_up(ticket);
      },
      net::detached);
}

void upstream_monitor::after_change() {
  if (stopped_) return;
  const auto ticket = ++ticket_;
  following_ = true;
  net::co_spawn(ex_, follow_restart(ticket), net::detached);
}

void upstream_monitor::on_refused() {
  if (stopped_ || following_ || !up_) return;
  const auto ticket = ++ticket_;
  following_ = true;
  mark_down();
  net::co_spawn(ex_, wait_until_up(ticket), net::detached);
}

void upstream_monitor::stop() {
  stopped_ = true;
  ++ticket_;
}

void upstream_monitor::remember_owners() {
  if (is_local(opts_.endpoints)) known_owners_ = socket_owners(listening_inodes(opts_.endpoints.front().port()));
}

void upstream_monitor::mark_down() {
  up_ = false;
  cb_.went_down();
}

awaitable<bool> upstream_monitor::accepting() {
  using namespace net::experimental::awaitable_operators;
  for (const auto& endpoint : opts_.endpoints) {
    tcp_socket probe(ex_);
    steady_timer timeout(ex_, probe_timeout);
    auto r = co_await (probe.async_connect(endpoint, use_tuple) || timeout.async_wait(use_tuple));
    if (r.index() == 0 && !std::get<0>(std::get<0>(r))) co_return true;
  }
  co_return false;
}

awaitable<bool> upstream_monitor::responding() {
  using namespace net::experimental::awaitable_operators;
  if (opts_.tls) co_return co_await accepting();
  const std::string request = "HEAD / HTTP/1.1\r\nHost: " + opts_.authority +
                              "\r\nUser-Agent: liveproxy (restart probe)\r\nConnection: close\r\n\r\n";
  for (const auto& endpoint : opts_.endpoints) {
    tcp_socket probe(ex_);
    steady_timer timeout(ex_, probe_timeout);
    auto c = co_await (probe.async_connect(endpoint, use_tuple) || timeout.async_wait(use_tuple));
    if (c.index() != 0 || std::get<0>(std::get<0>(c))) continue;
    auto [wec, wn] = co_await net::async_write(probe, net::buffer(request), use_tuple);
    if (wec) continue;
    char first;
    timeout.expires_after(answer_timeout);
    auto r = co_await (probe.async_read_some(net::buffer(&first, 1), use_tuple) || timeout.async_wait(use_tuple));
    if (r.index() == 0 && !std::get<0>(std::get<0>(r))) co_return true;
  }
  co_return false;
}

awaitable<void> upstream_monitor::follow_restart(std::uint64_t ticket) {
  steady_timer pause(ex_);
  const auto give_up = std::chrono::steady_clock::now() + opts_.grace;
  // A reloader that keeps the socket (werkzeug, uvicorn) never refuses: its old process ending is the sign.
  std::set<pid_t> owners;
  if (is_local(opts_.endpoints)) owners = socket_owners(listening_inodes(opts_.endpoints.front().port()));
  // A reloader quicker than our settle time has already replaced its process: other owners than when the app
  // was last seen up is a restart under way (or done), even though nothing refuses.
  if (!known_owners_.empty() && !owners.empty() && owners != known_owners_) {
    mark_down();
    co_await wait_until_up(ticket);
    co_return;
  }
  while (std::chrono::steady_clock::now() < give_up) {
    bool owner_ended = false;
    for (const pid_t pid : owners) owner_ended = owner_ended || !process_alive(pid);
    if (owner_ended || !co_await accepting()) {
      if (ticket != ticket_ || stopped_) co_return;
      mark_down();
      co_await wait_until_up(ticket);
      co_return;
    }
    if (ticket != ticket_ || stopped_) co_return;
    pause.expires_after(probe_interval);
    co_await pause.async_wait(use_tuple);
    if (ticket != ticket_ || stopped_) co_return;
  }
  following_ = false;
  remember_owners();
  cb_.no_restart_seen();
}

awaitable<void> upstream_monitor::wait_until_up(std::uint64_t ticket) {
  steady_timer pause(ex_);
  const auto since = std::chrono::steady_clock::now();
  for (;;) {
    const bool slow = std::chrono::steady_clock::now() - since > slow_after;
    pause.expires_after(slow ? slow_probe_interval : probe_interval);
    co_await pause.async_wait(use_tuple);
    if (ticket != ticket_ || stopped_) co_return;
    const bool ok = co_await responding();
    if (ticket != ticket_ || stopped_) co_return;
    if (ok) break;
  }
  following_ = false;
  up_ = true;
  ++generation_;
  remember_owners();
  cb_.came_up();
}

}  // namespace liveproxy
