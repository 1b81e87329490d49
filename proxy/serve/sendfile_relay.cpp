// sendfile(2) loop: file -> browser socket, waiting for the socket whenever its buffer is full.
#include "proxy/serve/sendfile_relay.hpp"

#include "proxy/base/limits.hpp"

#include <sys/sendfile.h>

#include <algorithm>
#include <cerrno>

namespace liveproxy {

awaitable<error_code> sendfile_body(int file_fd, std::uint64_t offset, std::uint64_t length, tcp_socket& client,
                                    io_deadline& deadline) {
  // Linux moves at most this much per call (MAX_RW_COUNT) whatever is asked.
  constexpr std::uint64_t max_per_call = 0x7ffff000;
  auto at = static_cast<off_t>(offset);
  error_code ec;
  while (!ec && length > 0) {
    const auto want = static_cast<std::size_t>(std::min(length, max_per_call));
    const auto n = ::sendfile(client.native_handle(), file_fd, &at, want);
    if (n > 0) {
      length -= static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) {
      ec = net::error::eof;  // the file is shorter than its length was when the header went out
      break;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      ec.assign(errno, boost::system::system_category());
      break;
    }
    // The browser is not reading: wait until it does.
    deadline.expires_after(limits::client_write_timeout, client);
    std::tie(ec) = co_await client.async_wait(tcp::socket::wait_write, use_tuple);
  }
  co_return ec;
}

}  // namespace liveproxy
