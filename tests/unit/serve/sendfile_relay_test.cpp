// sendfile_body on real loopback sockets: a slow reader gets every byte in order; a shrinking file is an error.
#include "proxy/serve/sendfile_relay.hpp"
#include "support/temp_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>

using namespace liveproxy;
using namespace std::chrono_literals;
using liveproxy::test::temp_dir;
using liveproxy::test::write_file;

namespace {

/// Two connected loopback sockets with small buffers, so the sender runs into a full socket again and again:
/// `near` sends (non-blocking, as the server's are), `far` is the browser.
struct socket_pair {
  net::io_context io;
  tcp_socket near{io.get_executor()};
  tcp_socket far{io.get_executor()};

  socket_pair() {
    tcp_acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    far.open(tcp::v4());
    // Set before connecting, so the advertised window is small too.
    far.set_option(net::socket_base::receive_buffer_size(4096));
    far.connect(acceptor.local_endpoint());
    acceptor.accept(near);
    near.set_option(net::socket_base::send_buffer_size(4096));
    near.native_non_blocking(true);
  }

  /// Runs `work` to completion (or for at most `limit`); true when it completed.
  template <typename Awaitable>
  bool run(Awaitable work, std::chrono::milliseconds limit = 20000ms) {
    bool done = false;
    net::co_spawn(io, std::move(work), [&](std::exception_ptr) { done = true; });
    io.run_for(limit);
    return done;
  }
};

/// Bytes that differ from one position to the next over long stretches, so a lost or repeated block shows.
std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + i / 4093) & 0xff);
  return s;
}

/// An open read-only descriptor, closed at the end of the test.
struct file_fd {
  int fd;
  explicit file_fd(const std::filesystem::path& p) : fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC)) { REQUIRE(fd >= 0); }
  ~file_fd() { ::close(fd); }
};

/// What a transfer did: the sender's result, what the reader got, and whether they interleaved.
struct transfer {
  std::optional<error_code> sent;
  std::string received;
  bool reader_ran_while_sending = false;
};

/// Sends [offset, offset + length) of `fd` to a reader that takes 8 KiB at a time and pauses now and then.
/// `on_read` runs after each read (to change the file mid-send).
template <typename OnRead>
transfer send_to_slow_reader(socket_pair& p, int fd, std::uint64_t offset, std::uint64_t length, OnRead on_read) {
  transfer t;
  io_deadline deadline(p.io.get_executor());
  deadline.set_client(p.near);
  const bool done = p.run([&]() -> awaitable<void> {
    using namespace net::experimental::awaitable_operators;
    auto sender = [&]() -> awaitable<void> {
      t.sent = co_await sendfile_body(fd, offset, length, p.near, deadline);
      error_code ignored;
      p.near.shutdown(tcp::socket::shutdown_send, ignored);  // the reader's end of the body
    };
    auto reader = [&]() -> awaitable<void> {
      steady_timer pause(p.io.get_executor());
      char buf[8192];
      for (std::size_t reads = 1;; ++reads) {
        auto [ec, n] = co_await p.far.async_read_some(net::buffer(buf), use_tuple);
        if (ec) break;
        if (!t.sent) t.reader_ran_while_sending = true;
        t.received.append(buf, n);
        on_read(t.received.size());
        if (reads % 16 == 0) {
          pause.expires_after(1ms);
          co_await pause.async_wait(use_tuple);
        }
      }
    };
    co_await ((sender() && reader()) || deadline.watch());
  }());
  REQUIRE(done);
  return t;
}

}  // namespace

TEST_CASE("sendfile_body delivers a 3 MB file to a slow reader, whole or in part, in order", "[unit][net][serve]") {
  temp_dir dir{"liveproxy-sendfile"};
  const auto content = pattern(3 * 1024 * 1024);
  write_file(dir / "big.bin", content);
  file_fd file(dir / "big.bin");

  const auto [offset, length] = GENERATE(std::pair<std::uint64_t, std::uint64_t>{0, 3 * 1024 * 1024},
                                         std::pair<std::uint64_t, std::uint64_t>{12345, 2 * 1024 * 1024 + 7},
                                         std::pair<std::uint64_t, std::uint64_t>{3 * 1024 * 1024 - 1, 1},
                                         std::pair<std::uint64_t, std::uint64_t>{100, 0});
  INFO("offset " << offset << ", length " << length);
  socket_pair p;
  const auto t = send_to_slow_reader(p, file.fd, offset, length, [](std::size_t) {});
  REQUIRE(t.sent);
  CHECK_FALSE(*t.sent);
  REQUIRE(t.received.size() == length);
  CHECK(t.received == content.substr(offset, length));
  if (length > 1024 * 1024) CHECK(t.reader_ran_while_sending);  // the sender did wait for the socket
  // The descriptor's own offset is left alone (several responses may share one open file).
  CHECK(::lseek(file.fd, 0, SEEK_CUR) == 0);
}

TEST_CASE("sendfile_body reports eof when the file is shorter than promised", "[unit][net][serve]") {
  temp_dir dir{"liveproxy-sendfile"};
  const auto content = pattern(1024 * 1024);
  write_file(dir / "short.bin", content);
  file_fd file(dir / "short.bin");
  socket_pair p;
  const auto t = send_to_slow_reader(p, file.fd, 0, 2 * 1024 * 1024, [](std::size_t) {});
  REQUIRE(t.sent);
  CHECK(*t.sent == net::error::eof);
  CHECK(t.received == content);
}

TEST_CASE("sendfile_body reports eof when the file shrinks mid-send", "[unit][net][serve]") {
  temp_dir dir{"liveproxy-sendfile"};
  const auto content = pattern(3 * 1024 * 1024);
  write_file(dir / "shrinking.bin", content);
  file_fd file(dir / "shrinking.bin");
  socket_pair p;
  bool truncated = false;
  const auto t = send_to_slow_reader(p, file.fd, 0, content.size(), [&](std::size_t received) {
    // The small socket buffers keep the sender well short of 1 MiB when the reader has 64 KiB.
    if (!truncated && received >= 64 * 1024) {
      REQUIRE(::truncate((dir / "shrinking.bin").c_str(), 1024 * 1024) == 0);
      truncated = true;
    }
  });
  REQUIRE(truncated);
  REQUIRE(t.sent);
  CHECK(*t.sent == net::error::eof);
  CHECK(t.received.size() == 1024 * 1024);
  CHECK(t.received == content.substr(0, 1024 * 1024));
}

TEST_CASE("sendfile_body reports a browser that has gone", "[unit][net][serve]") {
  // Without this, writing to the reset socket would kill the test run (liveproxy's main ignores it too).
  const auto previous = std::signal(SIGPIPE, SIG_IGN);
  temp_dir dir{"liveproxy-sendfile"};
  write_file(dir / "big.bin", pattern(3 * 1024 * 1024));
  file_fd file(dir / "big.bin");
  socket_pair p;
  p.far.close();
  io_deadline deadline(p.io.get_executor());
  std::optional<error_code> sent;
  const bool done = p.run([&]() -> awaitable<void> {
    using namespace net::experimental::awaitable_operators;
    auto sender = [&]() -> awaitable<void> {
      sent = co_await sendfile_body(file.fd, 0, 3 * 1024 * 1024, p.near, deadline);
    };
    co_await (sender() || deadline.watch());
  }());
  std::signal(SIGPIPE, previous);
  REQUIRE(done);
  REQUIRE(sent);
  CHECK(*sent);
  CHECK(*sent != net::error::eof);
}
