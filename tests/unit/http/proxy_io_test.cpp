// The proxy's socket-level pieces on real loopback sockets: HTTP reads, header serialization, the deadline.
#include "proxy/http/deadline.hpp"
#include "proxy/http/http_io.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>

using namespace liveproxy;
using namespace std::chrono_literals;

namespace {

/// Two connected loopback sockets on one io_context: `near` is read by the code under test, `far` writes.
struct socket_pair {
  net::io_context io;
  tcp_socket near{io.get_executor()};
  tcp_socket far{io.get_executor()};

  socket_pair() {
    tcp_acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    far.connect(acceptor.local_endpoint());
    acceptor.accept(near);
  }

  void send(std::string_view bytes) { net::write(far, net::buffer(bytes)); }

  /// Runs `work` to completion (or for at most `limit`); true when it completed.
  template <typename Awaitable>
  bool run(Awaitable work, std::chrono::milliseconds limit = 5000ms) {
    bool done = false;
    net::co_spawn(io, std::move(work), [&](std::exception_ptr) { done = true; });
    io.restart();
    io.run_for(limit);
    return done;
  }
};

}  // namespace

TEST_CASE("read_header gathers a header sent in pieces and leaves the body buffered", "[unit][net]") {
  socket_pair p;
  beast::flat_buffer buf;
  buffer_parser<true> parser;
  error_code result = net::error::would_block;
  p.send("GET /a?b=1 HTT");
  bool done = p.run([&]() -> awaitable<void> {
    // The rest arrives only while read_header is already waiting.
    net::post(p.io, [&] { p.send("P/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhel"); });
    result = co_await read_header(p.near, buf, parser);
  }());
  REQUIRE(done);
  CHECK_FALSE(result);
  CHECK(parser.is_header_done());
  CHECK(parser.get().target() == "/a?b=1");
  CHECK(parser.get()[http::field::host] == "x");
  CHECK(std::string(static_cast<const char*>(buf.data().data()), buf.size()) == "hel");
}

namespace {

/// What read_header says after the far end sent `bytes` and then stopped sending.
error_code read_header_after(std::string_view bytes) {
  socket_pair p;
  beast::flat_buffer buf;
  buffer_parser<true> parser;
  error_code result = net::error::would_block;
  if (!bytes.empty()) p.send(bytes);
  p.far.shutdown(tcp::socket::shutdown_send);
  if (!p.run([&]() -> awaitable<void> { result = co_await read_header(p.near, buf, parser); }()))
    return net::error::timed_out;
  return result;
}

}  // namespace

TEST_CASE("read_header reports a peer that closed before or during a header", "[unit][net]") {
  CHECK(read_header_after("") == http::error::end_of_stream);
  CHECK(read_header_after("GET / HTTP/1.1\r\nHo") == http::error::partial_message);
  const auto garbage = read_header_after("NOT HTTP\r\n\r\n");
  CHECK(garbage);
  CHECK(garbage != http::error::end_of_stream);
  CHECK(garbage != net::error::timed_out);
}

TEST_CASE("read_body_some returns what has arrived without waiting for the rest", "[unit][net]") {
  socket_pair p;
  beast::flat_buffer buf;
  buffer_parser<false> parser;
  p.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
  std::string got;
  error_code result;
  bool done = p.run([&]() -> awaitable<void> {
    if (auto ec = co_await read_header(p.near, buf, parser)) {
      result = ec;
      co_return;
    }
    char space[64];
    // Only the first chunk is there: it must come back now, not once 64 bytes (or the end) arrived.
    auto [ec, n] = co_await read_body_some(p.near, buf, parser, space, sizeof space);
    result = ec;
    got.assign(space, n);
  }(), 2000ms);
  REQUIRE(done);
  CHECK_FALSE(result);
  CHECK(got == "first");
  CHECK_FALSE(parser.is_done());

  p.send("6\r\nsecond\r\n0\r\n\r\n");
  std::string rest;
  done = p.run([&]() -> awaitable<void> {
    char space[64];
    while (!parser.is_done()) {
      auto [ec, n] = co_await read_body_some(p.near, buf, parser, space, sizeof space);
      if (ec) {
        result = ec;
        co_return;
      }
      rest.append(space, n);
    }
  }());
  REQUIRE(done);
  CHECK_FALSE(result);
  CHECK(rest == "second");
}

TEST_CASE("read_body_some fills a small buffer piece by piece and ends a close-delimited body at EOF",
          "[unit][net]") {
  socket_pair p;
  beast::flat_buffer buf;
  buffer_parser<false> parser;
  p.send("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nabcdefghij");
  p.far.shutdown(tcp::socket::shutdown_send);
  std::string body;
  error_code result;
  REQUIRE(p.run([&]() -> awaitable<void> {
    if (auto ec = co_await read_header(p.near, buf, parser)) {
      result = ec;
      co_return;
    }
    char space[4];
    while (!parser.is_done()) {
      auto [ec, n] = co_await read_body_some(p.near, buf, parser, space, sizeof space);
      if (ec) {
        result = ec;
        co_return;
      }
      CHECK(n <= sizeof space);
      body.append(space, n);
    }
  }()));
  CHECK_FALSE(result);
  CHECK(body == "abcdefghij");
}

TEST_CASE("headers are serialized as sent, reason phrase included", "[unit]") {
  http::request<http::empty_body> req{http::verb::post, "/upload?x=1", 11};
  req.set(http::field::host, "127.0.0.1:3000");
  req.set("X-Custom", "a, b");
  std::string out = "prefix|";
  serialize_header(req.base(), out);
  CHECK(out == "prefix|POST /upload?x=1 HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nX-Custom: a, b\r\n\r\n");

  http::response<http::empty_body> res{http::status::not_found, 10};
  res.reason("Nothing Here");
  res.set(http::field::content_length, "0");
  out.clear();
  serialize_header(res.base(), out);
  CHECK(out == "HTTP/1.0 404 Nothing Here\r\nContent-Length: 0\r\n\r\n");

  http::response<http::empty_body> plain{http::status::ok, 11};
  out.clear();
  serialize_header(plain.base(), out);
  CHECK(out == "HTTP/1.1 200 OK\r\n\r\n");
}

TEST_CASE("the deadline closes the socket being waited on once it passes", "[unit][net]") {
  socket_pair p;
  io_deadline deadline(p.io.get_executor());
  std::optional<error_code> read_result;
  const auto started = std::chrono::steady_clock::now();
  bool done = p.run([&]() -> awaitable<void> {
    using namespace net::experimental::awaitable_operators;
    deadline.expires_after(50ms, p.near);
    auto reader = [&]() -> awaitable<void> {
      char byte;
      auto [ec, n] = co_await p.near.async_read_some(net::buffer(&byte, 1), use_tuple);
      read_result = ec;
    };
    co_await (reader() || deadline.watch());
  }());
  REQUIRE(done);
  REQUIRE(read_result);
  CHECK(*read_result == net::error::operation_aborted);
  CHECK(deadline.fired());
  CHECK(std::chrono::steady_clock::now() - started < 3s);
}

TEST_CASE("a deadline moved later before it passes does not fire", "[unit][net]") {
  socket_pair p;
  io_deadline deadline(p.io.get_executor());
  bool fired = true;
  REQUIRE(p.run([&]() -> awaitable<void> {
    using namespace net::experimental::awaitable_operators;
    deadline.expires_after(80ms, p.near);
    auto reader = [&]() -> awaitable<void> {
      steady_timer t(p.io.get_executor());
      t.expires_after(40ms);
      co_await t.async_wait(use_tuple);
      deadline.expires_after(10s, p.near);
      // Well past the first deadline: the watchdog woke there, saw the new one and slept on.
      t.expires_after(250ms);
      co_await t.async_wait(use_tuple);
      fired = deadline.fired() || !p.near.is_open();
    };
    co_await (reader() || deadline.watch());
  }()));
  CHECK_FALSE(fired);
}

TEST_CASE("a deadline set while nothing was timed wakes the watchdog", "[unit][net]") {
  socket_pair p;
  io_deadline deadline(p.io.get_executor());
  std::optional<error_code> read_result;
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(p.run([&]() -> awaitable<void> {
    using namespace net::experimental::awaitable_operators;
    deadline.expires_never();  // the watchdog starts with nothing to time: it sleeps without end
    auto reader = [&]() -> awaitable<void> {
      steady_timer t(p.io.get_executor());
      t.expires_after(20ms);
      co_await t.async_wait(use_tuple);
      deadline.expires_after(30ms, p.near);
      char byte;
      auto [ec, n] = co_await p.near.async_read_some(net::buffer(&byte, 1), use_tuple);
      read_result = ec;
    };
    co_await (reader() || deadline.watch());
  }()));
  REQUIRE(read_result);
  CHECK(*read_result == net::error::operation_aborted);
  CHECK(deadline.fired());
  // Woken at once, not at its next periodic look (5 s later).
  CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("a wait on the app ends when the browser closes its connection", "[unit][net]") {
  socket_pair browser;
  socket_pair app;
  io_deadline deadline(browser.io.get_executor());
  deadline.set_client(browser.near);
  std::optional<error_code> read_result;
  const auto started = std::chrono::steady_clock::now();
  // The app pair's sockets live on another io_context; the wait runs on the browser's.
  tcp_socket app_side(browser.io.get_executor(), tcp::v4(), app.near.release());
  REQUIRE(browser.run([&]() -> awaitable<void> {
    using namespace net::experimental::awaitable_operators;
    deadline.expires_after(60s, app_side);
    auto reader = [&]() -> awaitable<void> {
      net::post(browser.io, [&] { browser.far.close(); });
      char byte;
      auto [ec, n] = co_await app_side.async_read_some(net::buffer(&byte, 1), use_tuple);
      read_result = ec;
    };
    co_await (reader() || deadline.watch());
  }(), 10s));
  REQUIRE(read_result);
  CHECK(*read_result == net::error::operation_aborted);
  CHECK(deadline.client_gone());
  CHECK_FALSE(deadline.fired());
  CHECK(std::chrono::steady_clock::now() - started < 4s);
}

TEST_CASE("a held request is released when its browser leaves, not when it only sends more", "[unit][net]") {
  socket_pair browser;
  io_deadline deadline(browser.io.get_executor());
  deadline.set_client(browser.near);
  steady_timer held(browser.io.get_executor());
  bool cancelled = false;
  std::chrono::steady_clock::duration waited{};
  REQUIRE(browser.run([&]() -> awaitable<void> {
    using namespace net::experimental::awaitable_operators;
    deadline.expires_never();
    auto holder = [&]() -> awaitable<void> {
      // A pipelined request is not a departure: the first looks see bytes and keep holding.
      browser.send("GET /next HTTP/1.1\r\n\r\n");
      const auto start = std::chrono::steady_clock::now();
      held.expires_after(60s);
      deadline.hold(held);
      steady_timer later(browser.io.get_executor());
      later.expires_after(2500ms);
      later.async_wait([&](error_code) {
        // Reading the pipelined bytes and closing: now the browser is gone.
        char buf[64];
        error_code ignored;
        browser.near.read_some(net::buffer(buf), ignored);
        browser.far.close();
      });
      auto [ec] = co_await held.async_wait(use_tuple);
      cancelled = ec == net::error::operation_aborted;
      waited = std::chrono::steady_clock::now() - start;
    };
    co_await (holder() || deadline.watch());
  }(), 10s));
  CHECK(cancelled);
  CHECK(deadline.client_gone());
  CHECK(waited >= 2500ms);
  CHECK(waited < 5s);
}

TEST_CASE("a wait on the app is not timed while the app is stopped at a debugger prompt", "[unit][net]") {
  socket_pair browser;
  socket_pair app;
  io_deadline deadline(browser.io.get_executor());
  deadline.set_client(browser.near);
  bool paused = true;
  deadline.set_pause_flag(&paused);
  tcp_socket app_side(browser.io.get_executor(), tcp::v4(), app.near.release());
  std::optional<error_code> read_result;
  bool open_while_paused = false;
  REQUIRE(browser.run([&]() -> awaitable<void> {
    using namespace net::experimental::awaitable_operators;
    deadline.expires_after(50ms, app_side);
    auto reader = [&]() -> awaitable<void> {
      char byte;
      auto [ec, n] = co_await app_side.async_read_some(net::buffer(&byte, 1), use_tuple);
      read_result = ec;
    };
    auto developer = [&]() -> awaitable<void> {
      steady_timer t(browser.io.get_executor());
      t.expires_after(400ms);  // eight times the deadline, at the prompt
      co_await t.async_wait(use_tuple);
      open_while_paused = app_side.is_open() && !deadline.fired();
      paused = false;  // `c`: the app goes on, and its wait is timed again
    };
    co_await ((reader() && developer()) || deadline.watch());
  }()));
  CHECK(open_while_paused);
  REQUIRE(read_result);
  CHECK(*read_result == net::error::operation_aborted);
  CHECK(deadline.fired());
}
