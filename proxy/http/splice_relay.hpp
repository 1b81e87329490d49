// Zero-copy relay of a known-length body from the app to the browser: splice(2) through a pipe.
#pragma once

#include "proxy/http/deadline.hpp"
#include "proxy/base/net.hpp"

#include <cstdint>
#include <utility>

namespace liveproxy {

/// A pipe for splicing; opened on first use. Empty between bodies, so it can go from connection to connection.
class splice_pipe {
 public:
  splice_pipe() = default;
  splice_pipe(const splice_pipe&) = delete;
  splice_pipe& operator=(const splice_pipe&) = delete;
  splice_pipe(splice_pipe&& o) noexcept { swap(o); }
  splice_pipe& operator=(splice_pipe&& o) noexcept {
    if (this != &o) {
      close();
      swap(o);
    }
    return *this;
  }
  ~splice_pipe() { close(); }

  /// Opens the pipe if needed; false when the system has no splice (the caller copies instead).
  bool ready();
  void close();

  bool is_open() const { return fds_[0] >= 0; }
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  std::size_t capacity() const { return capacity_; }

 private:
  void swap(splice_pipe& o) noexcept {
    std::swap(fds_[0], o.fds_[0]);
    std::swap(fds_[1], o.fds_[1]);
    std::swap(capacity_, o.capacity_);
  }

  int fds_[2] = {-1, -1};
  std::size_t capacity_ = 0;
};

/// Moves exactly `length` body bytes from `app` to `client` without copying them through user space (the
/// two copies per byte of a read/write relay are most of its cost on large files). Deadlines as for the
/// copying relay. Both sockets must be in non-blocking mode (set when the connections are made). On error
/// the pipe is closed (it may hold bytes of the broken body).
awaitable<error_code> splice_body(tcp_socket& app, tcp_socket& client, std::uint64_t length, splice_pipe& pipe,
                                  io_deadline& deadline);

}  // namespace liveproxy
