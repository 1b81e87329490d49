// Zero-copy body of a served file: sendfile(2) from the file to the browser's socket.
#pragma once

#include "proxy/http/deadline.hpp"
#include "proxy/base/net.hpp"

#include <cstdint>

namespace liveproxy {

/// Sends exactly `length` bytes of `file_fd` starting at `offset` to `client` without copying them through
/// user space; the file offset of `file_fd` is not used or moved. `client` must be in non-blocking mode (set
/// when the connection is accepted, as for splice). While the browser is not reading, waits for writability
/// under limits::client_write_timeout. Errors: the socket's (the browser left, or the deadline closed it);
/// net::error::eof when the file ended before `length` bytes (it shrank mid-send: the response cannot be
/// completed, so the caller closes the connection).
awaitable<error_code> sendfile_body(int file_fd, std::uint64_t offset, std::uint64_t length, tcp_socket& client,
                                    io_deadline& deadline);

}  // namespace liveproxy
