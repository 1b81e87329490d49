// splice(2) loop: app socket -> pipe -> browser socket, waiting on whichever side is not ready.
#include "proxy/http/splice_relay.hpp"

#include "proxy/base/limits.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace liveproxy {

bool splice_pipe::ready() {
  if (fds_[0] >= 0) return true;
  if (::pipe2(fds_, O_NONBLOCK | O_CLOEXEC) != 0) return false;
  // A larger pipe moves a typical asset in one round; the default (64 KiB) when the system refuses.
  const int size = ::fcntl(fds_[1], F_SETPIPE_SZ, static_cast<int>(limits::splice_pipe_bytes));
  capacity_ = size > 0 ? static_cast<std::size_t>(size) : 65536;
  return true;
}

void splice_pipe::close() {
  for (int& fd : fds_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

awaitable<error_code> splice_body(tcp_socket& app, tcp_socket& client, std::uint64_t length, splice_pipe& pipe,
                                  io_deadline& deadline) {
  error_code ec;
  std::size_t in_pipe = 0;
  while (!ec && (length > 0 || in_pipe > 0)) {
    bool app_dry = false;
    if (length > 0 && in_pipe < pipe.capacity()) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length, pipe.capacity() - in_pipe));
      const auto n = ::splice(app.native_handle(), nullptr, pipe.write_end(), nullptr, want,
                              SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        length -= static_cast<std::uint64_t>(n);
        in_pipe += static_cast<std::size_t>(n);
      } else if (n == 0) {
        ec = net::error::eof;  // the app closed mid-body
        break;
      } else if (errno == EAGAIN) {
        app_dry = true;
      } else if (errno != EINTR) {
        ec.assign(errno, boost::system::system_category());
        break;
      }
    }
    if (in_pipe > 0) {
      // No SPLICE_F_MORE: if the app then stalls, corked bytes would wait up to 200 ms in the kernel.
      const auto n = ::splice(pipe.read_end(), nullptr, client.native_handle(), nullptr, in_pipe,
                              SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        in_pipe -= static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || errno != EAGAIN) {
        ec = n == 0 ? error_code(net::error::broken_pipe) : error_code(errno, boost::system::system_category());
        break;
      }
      // The browser is not reading: wait until it does (the app waits meanwhile, as with a copy).
      deadline.expires_after(limits::client_write_timeout, client);
      std::tie(ec) = co_await client.async_wait(tcp::socket::wait_write, use_tuple);
    } else if (app_dry) {
      deadline.expires_after(limits::app_idle_timeout, app);
      std::tie(ec) = co_await app.async_wait(tcp::socket::wait_read, use_tuple);
    }
  }
  if (ec) pipe.close();
  co_return ec;
}

}  // namespace liveproxy
