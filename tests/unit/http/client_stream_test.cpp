// client_stream on real loopback sockets: TLS driven by OpenSSL on the socket (handshake, gathered writes, full
// socket buffers, read-ahead, close_notify, closed descriptors, cancellation, asynchrony), plain TCP passed through,
// and a WebSocket over it. The server end has liveproxy's own TLS settings (tls_front); the browser is Asio's.
#include "proxy/http/client_stream.hpp"
#include "proxy/front/tls_front.hpp"
#include "proxy/tls/local_ca.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "support/temp_dir.hpp"

using namespace liveproxy;
using namespace std::chrono_literals;
using namespace net::experimental::awaitable_operators;

namespace {

using tls_client = net::ssl::stream<tcp_socket>;
using io_result = std::tuple<error_code, std::size_t>;

/// TLS 1.3 adds this much to each record: its header, the content type and the AEAD tag.
constexpr std::size_t record_overhead = 5 + 1 + 16;

/// n bytes unlike their neighbours and another seed's: a lost, repeated or shifted byte shows.
std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 251 + seed * 7) & 0xff);
  return s;
}

/// Awaits `op` and keeps its result.
template <typename T>
awaitable<void> into(awaitable<T> op, T& result) {
  result = co_await std::move(op);
}

/// Both operations at once, their results as a pair (awaitable_operators' && would flatten a tuple on its left).
template <typename A, typename B>
awaitable<std::pair<A, B>> both(awaitable<A> a, awaitable<B> b) {
  std::pair<A, B> r;
  co_await (into(std::move(a), r.first) && into(std::move(b), r.second));
  co_return r;
}

/// Bytes queued for reading on a descriptor.
int queued(int fd) {
  int n = -1;
  ::ioctl(fd, FIONREAD, &n);
  return n;
}

/// liveproxy's server settings (tls_front's, a certificate for 127.0.0.1 from a fresh local_ca) and a browser's
/// that trust only that CA and check the name.
struct tls_settings {
  test::temp_dir dir{"liveproxy-client-stream"};
  tls_front front{local_ca::load_or_create(dir.path(), "test@host"), {"127.0.0.1"}};
  net::ssl::context client{net::ssl::context::tls_client};

  tls_settings() {
    client.add_certificate_authority(net::buffer(front.ca().cert_pem()));
    client.set_verify_mode(net::ssl::verify_peer);
    client.set_verify_callback(net::ssl::host_name_verification("127.0.0.1"));
  }
};

/// SIGPIPE ignored while it lives, as liveproxy does (main.cpp): OpenSSL writes with write(2), which raises it
/// on a connection the browser reset.
struct sigpipe_ignored {
  struct sigaction saved_ {};
  sigpipe_ignored() {
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ign, &saved_);
  }
  ~sigpipe_ignored() { ::sigaction(SIGPIPE, &saved_, nullptr); }
};

/// A connected loopback pair on one io_context: `server` is the client_stream under test (TLS when `tls`),
/// `client` the browser's end (Asio's ssl::stream, its next_layer() alone when plain).
struct stream_pair {
  sigpipe_ignored sigpipe;
  bool tls;
  tls_settings settings;
  net::io_context io;
  std::optional<client_stream> server;
  tls_client client{io, settings.client};

  /// client_rcvbuf: the browser's receive buffer (0: the system's).
  explicit stream_pair(bool with_tls, int client_rcvbuf = 0) : tls(with_tls) {
    tcp_acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    auto& c = client.next_layer();
    c.open(tcp::v4());
    if (client_rcvbuf > 0) c.set_option(net::socket_base::receive_buffer_size(client_rcvbuf));
    c.connect(acceptor.local_endpoint());
    server.emplace(acceptor.accept());
    if (tls) server->start_tls(*settings.front.context());
  }

  /// Runs `work` to its end (for at most `limit`): false when it did not end. What it threw (a REQUIRE) is
  /// rethrown here.
  template <typename Awaitable>
  bool run(Awaitable work, std::chrono::milliseconds limit = 3000ms) {
    bool done = false;
    std::exception_ptr failure;
    net::co_spawn(io, std::move(work), [&](std::exception_ptr e) {
      done = true;
      failure = e;
    });
    io.restart();
    io.run_for(limit);
    if (failure) std::rethrow_exception(failure);
    return done;
  }

  /// Both ends' TLS handshakes (nothing when plain).
  awaitable<void> handshake() {
    if (!tls) co_return;
    auto [s, c] =
        co_await both(server->async_handshake(use_tuple), client.async_handshake(tls_client::client, use_tuple));
    REQUIRE_FALSE(std::get<0>(s));
    REQUIRE_FALSE(std::get<0>(c));
  }

  /// The browser's reads and writes, through TLS or not.
  awaitable<io_result> client_read(net::mutable_buffer b) {
    return tls ? net::async_read(client, b, use_tuple) : net::async_read(client.next_layer(), b, use_tuple);
  }
  awaitable<io_result> client_read_some(net::mutable_buffer b) {
    return tls ? client.async_read_some(b, use_tuple) : client.next_layer().async_read_some(b, use_tuple);
  }
  awaitable<io_result> client_write(net::const_buffer b) {
    return tls ? net::async_write(client, b, use_tuple) : net::async_write(client.next_layer(), b, use_tuple);
  }

  /// True once `ready()` is, polled every millisecond; false when it still is not after `limit`.
  template <typename Predicate>
  awaitable<bool> eventually(Predicate ready, std::chrono::milliseconds limit = 1000ms) {
    steady_timer pause(io);
    for (const auto end = std::chrono::steady_clock::now() + limit; !ready();) {
      if (std::chrono::steady_clock::now() > end) co_return false;
      pause.expires_after(1ms);
      co_await pause.async_wait(use_tuple);
    }
    co_return true;
  }
};

}  // namespace

TEST_CASE("client_stream passes bytes both ways, through TLS after its handshake or plain", "[unit][net][tls]") {
  const bool tls = GENERATE(true, false);
  stream_pair p(tls);
  CHECK(p.server->is_tls() == tls);
  const std::string to_client = pattern(1000, 1), to_server = pattern(3000, 2);
  std::string at_client(to_client.size(), '\0'), at_server(to_server.size(), '\0');
  io_result wrote, read;
  REQUIRE(p.run([&]() -> awaitable<void> {
    co_await p.handshake();
    std::tie(wrote, read) = co_await both(net::async_write(*p.server, net::buffer(to_client), use_tuple),
                                          p.client_read(net::buffer(at_client)));
    CHECK_FALSE(std::get<0>(wrote));
    CHECK_FALSE(std::get<0>(read));
    std::tie(wrote, read) = co_await both(p.client_write(net::buffer(to_server)),
                                          net::async_read(*p.server, net::buffer(at_server), use_tuple));
    CHECK_FALSE(std::get<0>(wrote));
    CHECK_FALSE(std::get<0>(read));
  }()));
  // Plain, the browser reads the raw socket: the bytes went through untouched.
  CHECK(at_client == to_client);
  CHECK(at_server == to_server);
}

TEST_CASE("a write of a header and a body arrives whole, whatever the body's size", "[unit][net][tls]") {
  const bool tls = GENERATE(true, false);
  // Around a TLS record's 16 KiB, and an empty first buffer (Beast's flat_stream made that a 0-byte write).
  const auto sizes = GENERATE(table<std::size_t, std::size_t>({{40, 0},
                                                               {40, 1},
                                                               {40, 16383},
                                                               {40, 16384},
                                                               {40, 16385},
                                                               {40, 20000},
                                                               {40, 65536},
                                                               {40, 300000},
                                                               {0, 20000},
                                                               {0, 300000},
                                                               {16383, 5},
                                                               {16384, 70000}}));
  INFO("TLS " << tls << ", header " << std::get<0>(sizes) << ", body " << std::get<1>(sizes));
  stream_pair p(tls);
  const std::string head = pattern(std::get<0>(sizes), 3), body = pattern(std::get<1>(sizes), 4);
  const std::array<net::const_buffer, 2> pieces{net::buffer(head), net::buffer(body)};
  std::string got(head.size() + body.size(), '\0');
  io_result wrote, read, after;
  REQUIRE(p.run([&]() -> awaitable<void> {
    co_await p.handshake();
    std::tie(wrote, read) = co_await both(net::async_write(*p.server, pieces, use_tuple), p.client_read(net::buffer(got)));
    // Then the end: the browser's next read finds it, not a stray byte.
    if (tls) {
      auto [ec] = co_await p.server->async_shutdown(use_tuple);
      CHECK_FALSE(ec);
    } else {
      p.server->socket().shutdown(tcp::socket::shutdown_send);
    }
    char extra = 0;
    after = co_await p.client_read_some(net::buffer(&extra, 1));
  }()));
  CHECK_FALSE(std::get<0>(wrote));
  CHECK(std::get<1>(wrote) == got.size());
  CHECK_FALSE(std::get<0>(read));
  CHECK(got == head + body);
  CHECK(std::get<0>(after) == net::error::eof);
  CHECK(std::get<1>(after) == 0);
}

TEST_CASE("a write bigger than the socket buffers waits for the browser to read, then arrives whole",
          "[unit][net][tls]") {
  const bool tls = GENERATE(true, false);
  stream_pair p(tls, 64 * 1024);
  p.server->socket().set_option(net::socket_base::send_buffer_size(64 * 1024));
  const std::string body = pattern(4 << 20, 5);
  std::string got(body.size(), '\0');
  bool written = false, full = false, written_when_full = false;
  io_result wrote, read;
  REQUIRE(p.run([&]() -> awaitable<void> {
    co_await p.handshake();
    auto writer = [&]() -> awaitable<io_result> {
      auto r = co_await net::async_write(*p.server, net::buffer(body), use_tuple);
      written = true;
      co_return r;
    };
    auto reader = [&]() -> awaitable<io_result> {
      // The browser reads nothing until the buffers between are full (its queue stops growing): the write
      // must then be waiting for the socket, not done and not spinning.
      std::size_t last = 0;
      int unchanged = 0;
      full = co_await p.eventually(
          [&] {
            const auto now = p.client.next_layer().available();
            unchanged = now > 0 && now == last ? unchanged + 1 : 0;
            last = now;
            return unchanged >= 5;
          },
          2000ms);
      written_when_full = written;
      co_return co_await p.client_read(net::buffer(got));
    };
    std::tie(wrote, read) = co_await both(writer(), reader());
  }()));
  CHECK(full);
  CHECK_FALSE(written_when_full);
  CHECK_FALSE(std::get<0>(wrote));
  CHECK(std::get<1>(wrote) == body.size());
  CHECK_FALSE(std::get<0>(read));
  CHECK(got == body);
}

TEST_CASE("small reads return every record the browser sent at once, what OpenSSL read ahead included",
          "[unit][net][tls]") {
  stream_pair p(true);
  const std::array<std::string, 3> parts{pattern(700, 6), pattern(3000, 7), pattern(1500, 8)};
  const std::string sent = parts[0] + parts[1] + parts[2];
  std::string got;
  std::optional<std::size_t> left_in_socket;
  // 512 bytes at a time, as a session's first read; each must come without more from the browser.
  auto read_all = [&]() -> awaitable<void> {
    char buf[512];
    while (got.size() < sent.size()) {
      auto [ec, n] = co_await p.server->async_read_some(net::buffer(buf), use_tuple);
      REQUIRE_FALSE(ec);
      REQUIRE(n > 0);
      got.append(buf, n);
      if (!left_in_socket) left_in_socket = p.server->socket().available();
    }
  };
  auto send_all = [&]() -> awaitable<void> {
    for (const auto& part : parts) {
      auto [ec, n] = co_await net::async_write(p.client, net::buffer(part), use_tuple);
      REQUIRE_FALSE(ec);
    }
  };

  SECTION("sent after the handshake, all at the socket before the first read") {
    REQUIRE(p.run([&]() -> awaitable<void> {
      co_await p.handshake();
      co_await send_all();
      REQUIRE(co_await p.eventually(
          [&] { return p.server->socket().available() >= sent.size() + parts.size() * record_overhead; }));
      co_await read_all();
    }()));
    // The first read took all three records off the socket: the rest came from OpenSSL's buffer.
    CHECK(left_in_socket == 0u);
  }
  SECTION("sent right behind the browser's handshake, which the server's handshake may read ahead") {
    REQUIRE(p.run([&]() -> awaitable<void> {
      auto browser = [&]() -> awaitable<bool> {
        auto [ec] = co_await p.client.async_handshake(tls_client::client, use_tuple);
        REQUIRE_FALSE(ec);
        co_await send_all();
        co_return true;
      };
      const auto [shaken, sent_all] = co_await both(p.server->async_handshake(use_tuple), browser());
      REQUIRE_FALSE(std::get<0>(shaken));
      co_await read_all();
    }()));
  }
  CHECK(got == sent);
}

TEST_CASE("async_shutdown ends the browser's reading cleanly, and the browser's close ends the server's",
          "[unit][net][tls]") {
  stream_pair p(true);
  const std::string last = "the last bytes";
  std::string got(last.size(), '\0');
  error_code server_read, client_read, shut;

  SECTION("close_notify from the server: eof, not stream_truncated") {
    REQUIRE(p.run([&]() -> awaitable<void> {
      co_await p.handshake();
      auto [wec, wn] = co_await net::async_write(*p.server, net::buffer(last), use_tuple);
      REQUIRE_FALSE(wec);
      std::tie(shut) = co_await p.server->async_shutdown(use_tuple);
      auto [rec, rn] = co_await net::async_read(p.client, net::buffer(got), use_tuple);
      REQUIRE_FALSE(rec);
      char more[16];
      std::tie(client_read, std::ignore) = co_await p.client.async_read_some(net::buffer(more), use_tuple);
    }()));
    CHECK_FALSE(shut);
    CHECK(got == last);
    CHECK(client_read == net::error::eof);
    CHECK(client_read != net::ssl::error::stream_truncated);
  }
  SECTION("the browser ends TCP without close_notify: eof") {
    REQUIRE(p.run([&]() -> awaitable<void> {
      co_await p.handshake();
      // A FIN alone (close() would send a reset: the session tickets the server sent are unread).
      p.client.next_layer().shutdown(tcp::socket::shutdown_send);
      char buf[512];
      std::tie(server_read, std::ignore) = co_await p.server->async_read_some(net::buffer(buf), use_tuple);
    }()));
    CHECK(server_read == net::error::eof);
  }
  SECTION("close_notify from the browser: eof, and the server's answer completes the browser's shutdown") {
    REQUIRE(p.run([&]() -> awaitable<void> {
      co_await p.handshake();
      auto server = [&]() -> awaitable<bool> {
        char buf[512];
        std::tie(server_read, std::ignore) = co_await p.server->async_read_some(net::buffer(buf), use_tuple);
        std::tie(shut) = co_await p.server->async_shutdown(use_tuple);
        co_return true;
      };
      auto [browser, answered] = co_await both(p.client.async_shutdown(use_tuple), server());
      std::tie(client_read) = browser;
    }()));
    CHECK(server_read == net::error::eof);
    CHECK_FALSE(shut);
    CHECK_FALSE(client_read);
  }
}

TEST_CASE("a failed handshake and a reset connection end the operation with the reason", "[unit][net][tls]") {
  stream_pair p(true, 64 * 1024);
  error_code ec;

  SECTION("plain HTTP where a handshake was due: OpenSSL's reason, which tls_front prints") {
    REQUIRE(p.run([&]() -> awaitable<void> {
      co_await net::async_write(p.client.next_layer(), net::buffer(std::string_view("GET / HTTP/1.1\r\n\r\n")),
                                use_tuple);
      std::tie(ec) = co_await p.server->async_handshake(use_tuple);
    }()));
    REQUIRE(ec.category() == net::error::get_ssl_category());
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    CHECK(std::string(reason ? reason : "") == "http request");
  }
  SECTION("a browser that leaves mid-handshake: eof") {
    REQUIRE(p.run([&]() -> awaitable<void> {
      const unsigned char hello_start[] = {0x16, 0x03, 0x01, 0x00, 0x50, 0x01};
      co_await net::async_write(p.client.next_layer(), net::buffer(hello_start), use_tuple);
      p.client.next_layer().shutdown(tcp::socket::shutdown_send);
      std::tie(ec) = co_await p.server->async_handshake(use_tuple);
    }()));
    CHECK(ec == net::error::eof);
  }
  SECTION("a browser that resets the connection while a write waits for it: connection reset") {
    p.server->socket().set_option(net::socket_base::send_buffer_size(64 * 1024));
    const std::string body = pattern(4 << 20, 9);
    REQUIRE(p.run([&]() -> awaitable<void> {
      co_await p.handshake();
      net::post(p.io, [&] {
        ::linger reset{1, 0};
        ::setsockopt(p.client.next_layer().native_handle(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        p.client.next_layer().close();
      });
      std::tie(ec, std::ignore) = co_await net::async_write(*p.server, net::buffer(body), use_tuple);
    }()));
    INFO(ec.message());
    CHECK((ec == net::error::connection_reset || ec == net::error::broken_pipe));
  }
}

TEST_CASE("after close() reads and writes fail without touching the descriptor's number", "[unit][net][tls]") {
  const bool tls = GENERATE(true, false);
  stream_pair p(tls);
  REQUIRE(p.run(p.handshake()));
  // Another connection takes the number, as the proxy's next accept may (dup2 makes sure it is that number).
  tcp_acceptor acceptor(p.io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  tcp_socket other_far(p.io);
  other_far.connect(acceptor.local_endpoint());
  const int fd = p.server->socket().native_handle();
  p.server->close();
  tcp_socket other_near = acceptor.accept();
  other_near.native_non_blocking(true);  // as the proxy's are: a stray read through the number must not block
  const bool reused = other_near.native_handle() == fd;
  if (!reused) REQUIRE(::dup2(other_near.native_handle(), fd) == fd);
  net::write(other_far, net::buffer(std::string_view("kept")));
  error_code read_ec, write_ec;
  REQUIRE(p.run([&]() -> awaitable<void> {
    REQUIRE(co_await p.eventually([&] { return queued(fd) == 4; }));
    char buf[64];
    std::tie(read_ec, std::ignore) = co_await p.server->async_read_some(net::buffer(buf), use_tuple);
    std::tie(write_ec, std::ignore) =
        co_await p.server->async_write_some(net::buffer(std::string_view("leaked")), use_tuple);
  }()));
  CHECK(read_ec == net::error::bad_descriptor);
  CHECK(write_ec == net::error::bad_descriptor);
  // The other connection's bytes are still queued, and the first its peer gets is what it sends itself.
  CHECK(queued(fd) == 4);
  REQUIRE(::write(fd, "mine", 4) == 4);
  if (!reused) ::close(fd);
  std::string first(4, '\0');
  net::read(other_far, net::buffer(first));
  CHECK(first == "mine");
}

TEST_CASE("a pending read ends with operation_aborted when the socket closes or the read is cancelled",
          "[unit][net][tls]") {
  const bool tls = GENERATE(true, false);
  stream_pair p(tls);
  error_code ec;
  char buf[512];

  SECTION("close(), as a deadline does") {
    REQUIRE(p.run([&]() -> awaitable<void> {
      co_await p.handshake();
      net::post(p.io, [&] { p.server->close(); });
      std::tie(ec, std::ignore) = co_await p.server->async_read_some(net::buffer(buf), use_tuple);
    }()));
    CHECK(ec == net::error::operation_aborted);
  }
  SECTION("|| with a timer, after which the stream still reads") {
    std::size_t won = 0;
    std::string after;
    REQUIRE(p.run([&]() -> awaitable<void> {
      co_await p.handshake();
      steady_timer timer(p.io);
      timer.expires_after(20ms);
      auto first = co_await (p.server->async_read_some(net::buffer(buf), use_tuple) || timer.async_wait(use_tuple));
      won = first.index();
      co_await p.client_write(net::buffer(std::string_view("after")));
      auto [rec, n] = co_await p.server->async_read_some(net::buffer(buf), use_tuple);
      REQUIRE_FALSE(rec);
      after.assign(buf, n);
    }()));
    CHECK(won == 1);
    CHECK(after == "after");
  }
  if (tls) {
    SECTION("a handshake the browser never starts, cancelled by || with a timer") {
      std::size_t won = 0;
      REQUIRE(p.run([&]() -> awaitable<void> {
        steady_timer timer(p.io);
        timer.expires_after(20ms);
        won = (co_await (p.server->async_handshake(use_tuple) || timer.async_wait(use_tuple))).index();
      }()));
      CHECK(won == 1);
    }
  }
}

TEST_CASE("operations complete after their initiating call returns, even when they could at once",
          "[unit][net][tls]") {
  const bool tls = GENERATE(true, false);
  stream_pair p(tls);
  const std::string hello = "hello";
  REQUIRE(p.run([&]() -> awaitable<void> {
    co_await p.handshake();
    co_await p.client_write(net::buffer(hello));
    REQUIRE(co_await p.eventually(
        [&] { return p.server->socket().available() >= hello.size() + (tls ? record_overhead : 0); }));
  }()));

  bool initiated = false;
  std::optional<bool> read_inline, write_inline, shutdown_inline, closed_inline;
  std::string got;
  char buf[64];
  p.server->async_read_some(net::buffer(buf), [&](error_code ec, std::size_t n) {
    read_inline = !initiated;
    CHECK_FALSE(ec);
    got.assign(buf, n);
  });
  p.server->async_write_some(net::buffer(hello), [&](error_code ec, std::size_t n) {
    write_inline = !initiated;
    CHECK_FALSE(ec);
    CHECK(n == hello.size());
  });
  initiated = true;
  p.io.restart();
  p.io.run_for(1s);
  CHECK(read_inline == false);
  CHECK(write_inline == false);
  CHECK(got == hello);

  if (tls) {
    initiated = false;
    p.server->async_shutdown([&](error_code ec) {
      shutdown_inline = !initiated;
      CHECK_FALSE(ec);
    });
    initiated = true;
    p.io.restart();
    p.io.run_for(1s);
    CHECK(shutdown_inline == false);
  }
  // A read on a closed socket fails at once, and still not within the call.
  p.server->close();
  initiated = false;
  p.server->async_read_some(net::buffer(buf), [&](error_code ec, std::size_t) {
    closed_inline = !initiated;
    CHECK(ec == net::error::bad_descriptor);
  });
  initiated = true;
  p.io.restart();
  p.io.run_for(1s);
  CHECK(closed_inline == false);
}

TEST_CASE("a WebSocket over client_stream exchanges messages and closes from either side", "[unit][net][tls]") {
  const bool server_closes = GENERATE(true, false);
  INFO((server_closes ? "the server closes" : "the browser closes"));
  stream_pair p(true);
  std::string at_server, at_client;
  error_code accepted, opened, closed, ended;
  bool server_socket_open = true;
  REQUIRE(p.run([&]() -> awaitable<void> {
    co_await p.handshake();
    websocket::stream<client_stream> ws(std::move(*p.server));
    websocket::stream<tls_client> browser(std::move(p.client));
    auto [a, o] = co_await both(ws.async_accept(use_tuple), browser.async_handshake("127.0.0.1", "/", use_tuple));
    std::tie(accepted) = a;
    std::tie(opened) = o;
    REQUIRE_FALSE(accepted);
    REQUIRE_FALSE(opened);

    beast::flat_buffer server_buf, client_buf;
    co_await both(browser.async_write(net::buffer(std::string_view("to the server")), use_tuple),
                  ws.async_read(server_buf, use_tuple));
    at_server = beast::buffers_to_string(server_buf.data());
    co_await both(ws.async_write(net::buffer(std::string_view("to the browser")), use_tuple),
                  browser.async_read(client_buf, use_tuple));
    at_client = beast::buffers_to_string(client_buf.data());

    // The closing side's async_close completes once the other's read has answered and both tore down.
    if (server_closes) {
      auto [c, r] = co_await both(ws.async_close(websocket::close_code::normal, use_tuple),
                                  browser.async_read(client_buf, use_tuple));
      std::tie(closed) = c;
      ended = std::get<0>(r);
    } else {
      auto [c, r] = co_await both(browser.async_close(websocket::close_code::normal, use_tuple),
                                  ws.async_read(server_buf, use_tuple));
      std::tie(closed) = c;
      ended = std::get<0>(r);
    }
    server_socket_open = ws.next_layer().socket().is_open();
  }()));
  CHECK(at_server == "to the server");
  CHECK(at_client == "to the browser");
  CHECK_FALSE(closed);
  CHECK(ended == websocket::error::closed);
  CHECK_FALSE(server_socket_open);
}
