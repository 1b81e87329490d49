// raw_client: socket(2), connect(2), poll(2) and recv(2), nothing more.
#include "support/raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace liveproxy::test {

raw_client::raw_client(unsigned short port, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  // Before connect, so the window is small from the start and the peer really has to wait for us.
  if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

raw_client::~raw_client() { close(); }

void raw_client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool raw_client::send(std::string_view bytes) {
  return fd_ >= 0 && ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size());
}

template <typename More>
bool raw_client::read_while(More more, std::chrono::milliseconds timeout, std::size_t piece) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string buf(piece, '\0');
  while (more()) {
    if (peer_closed_ || fd_ < 0) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    const auto n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n <= 0) {
      peer_closed_ = true;
      return !more();
    }
    received_.append(buf.data(), static_cast<std::size_t>(n));
  }
  return true;
}

bool raw_client::read_until(std::string_view needle, std::chrono::milliseconds timeout) {
  return read_while([&] { return received_.find(needle) == std::string::npos; }, timeout);
}

bool raw_client::read_at_least(std::size_t size, std::chrono::milliseconds timeout, std::size_t piece) {
  return read_while([&] { return received_.size() < size; }, timeout, piece);
}

bool raw_client::wait_closed(std::chrono::milliseconds timeout) {
  read_while([] { return true; }, timeout);
  return peer_closed_;
}

bool raw_client::closed_now() {
  char buf[4096];
  while (!peer_closed_ && fd_ >= 0) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) break;
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) peer_closed_ = true;
    else received_.append(buf, static_cast<std::size_t>(n));
  }
  return peer_closed_;
}

bool raw_client::silent_for(std::chrono::milliseconds quiet) {
  const auto before = received_.size();
  read_while([&] { return received_.size() == before; }, quiet);
  return received_.size() == before && !peer_closed_;
}

}  // namespace liveproxy::test
