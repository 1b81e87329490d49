// A plain blocking TCP client with deadlines, for bytes the HTTP client would not send or would hide:
// malformed requests, trickled headers, connections that stay idle or close half-way.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace liveproxy::test {

class raw_client {
 public:
  /// Connects to 127.0.0.1:port. A receive_buffer > 0 is set before connecting (a small window from the start).
  explicit raw_client(unsigned short port, int receive_buffer = 0);
  ~raw_client();
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  bool connected() const { return connected_; }
  bool send(std::string_view bytes);

  /// Reads until `received()` contains `needle`, the peer closes, or `timeout` passes.
  bool read_until(std::string_view needle, std::chrono::milliseconds timeout);
  /// Reads until at least `size` bytes are in, at most `piece` bytes per read.
  bool read_at_least(std::size_t size, std::chrono::milliseconds timeout, std::size_t piece = 65536);
  /// Reads until the peer closes (true) or `timeout` passes (false); what came is kept in received().
  bool wait_closed(std::chrono::milliseconds timeout);
  /// Without waiting: has the peer closed (reading what is there meanwhile)?
  bool closed_now();
  /// True if nothing arrived and the peer did not close within `quiet`.
  bool silent_for(std::chrono::milliseconds quiet);
  const std::string& received() const { return received_; }
  bool peer_closed() const { return peer_closed_; }
  /// Closes our end now (the destructor does it too).
  void close();

 private:
  /// Reads while more() holds; false on timeout.
  template <typename More>
  bool read_while(More more, std::chrono::milliseconds timeout, std::size_t piece = 65536);

  int fd_ = -1;
  bool connected_ = false;
  bool peer_closed_ = false;
  std::string received_;
};

}  // namespace liveproxy::test
