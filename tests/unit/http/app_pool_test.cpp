// The pool of app connections on real loopback sockets: it keeps what the load needs and lets go of the rest.
#include "proxy/http/app_pool.hpp"

#include <sys/socket.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <memory>
#include <vector>

using namespace liveproxy;
using namespace std::chrono_literals;

namespace {

/// An "app" that accepts every connection and keeps it; `open()` counts those the pool has not closed.
struct keeping_app {
  explicit keeping_app(net::io_context& io) : acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {}

  tcp_acceptor acceptor;
  std::vector<tcp_socket> accepted;

  std::unique_ptr<app_connection> connect(app_pool& pool) {
    auto c = pool.fresh();
    c->socket.connect(acceptor.local_endpoint());
    accepted.push_back(acceptor.accept());
    return c;
  }
  /// Connections still open from the pool's side (a closed one reads as EOF here).
  std::size_t open() {
    std::size_t n = 0;
    for (auto& s : accepted) {
      char byte;
      const auto r = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (r < 0 && errno == EAGAIN) ++n;
    }
    return n;
  }
};

}  // namespace

TEST_CASE("idle app connections nobody needed for a trim period are closed - those in use stay", "[unit][net]") {
  net::io_context io;
  keeping_app app(io);
  app_pool pool(io.get_executor(), app_target{{app.acceptor.local_endpoint()}, nullptr, "", "test"}, 100ms);

  // A burst: 40 exchanges at once, then all 40 connections back in the pool.
  std::vector<std::unique_ptr<app_connection>> busy;
  for (int i = 0; i < 40; ++i) busy.push_back(app.connect(pool));
  for (auto& c : busy) pool.release(std::move(c));
  busy.clear();
  REQUIRE(pool.idle_count() == 40);

  // Then a steady load of 5 at a time, for several trim periods: 5 connections are enough, and they are
  // reused (no new connection is made), while the 35 the burst left are closed.
  const auto until = std::chrono::steady_clock::now() + 450ms;
  while (std::chrono::steady_clock::now() < until) {
    for (int i = 0; i < 5; ++i) {
      auto c = pool.take_idle();
      REQUIRE(c != nullptr);
      busy.push_back(std::move(c));
    }
    for (auto& c : busy) pool.release(std::move(c));
    busy.clear();
    io.run_for(10ms);
  }
  CHECK(pool.idle_count() == 5);
  CHECK(app.accepted.size() == 40);
  CHECK(app.open() == 5);

  // Quiet: after two more periods nothing is kept.
  io.run_for(300ms);
  CHECK(pool.idle_count() == 0);
  CHECK(app.open() == 0);
}

TEST_CASE("an app connection with bytes nobody asked for is never handed out", "[unit][net]") {
  net::io_context io;
  keeping_app app(io);
  app_pool pool(io.get_executor(), app_target{{app.acceptor.local_endpoint()}, nullptr, "", "test"});
  pool.release(app.connect(pool));
  net::write(app.accepted.back(), net::buffer(std::string("HTTP/1.1 200 OK\r\n\r\n")));
  io.run_for(20ms);
  CHECK(pool.idle_count() == 0);  // dropped while it waited, not at the next take
  CHECK(pool.take_idle() == nullptr);
  // An app that answers unasked could do it again just as a request takes a connection: no reuse for this run.
  pool.release(app.connect(pool));
  CHECK(pool.take_idle() == nullptr);
  // Its next run starts trusted again.
  pool.new_generation(2);
  pool.release(app.connect(pool));
  CHECK(pool.take_idle() != nullptr);
}
