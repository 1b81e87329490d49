// Buffers and splice pipes shared by the browser connections of the one loop: taken when a request needs
// them, given back when its connection goes idle, so an idle keep-alive connection holds almost nothing.
#pragma once

#include "proxy/http/splice_relay.hpp"
#include "proxy/base/limits.hpp"
#include "proxy/base/net.hpp"

#include <memory>
#include <vector>

namespace liveproxy {

class buffer_pool {
 public:
  /// A relay buffer of limits::relay_buffer_bytes.
  std::unique_ptr<char[]> take_relay();
  void give_relay(std::unique_ptr<char[]> b);
  /// A read buffer for a request header, with room for a browser's header (cookies included) in one read.
  beast::flat_buffer take_read();
  /// Takes it back if it is empty (pipelined bytes stay with their connection) and not grown huge.
  void give_read(beast::flat_buffer& b);
  /// An open pipe for splicing (opened on first use by the caller), or a closed one.
  splice_pipe take_pipe();
  void give_pipe(splice_pipe& p);

 private:
  std::vector<std::unique_ptr<char[]>> relay_;
  std::vector<beast::flat_buffer> read_;
  std::vector<splice_pipe> pipes_;
};

/// A connection's relay buffer: taken from the pool on first use, given back by release().
class relay_buffer {
 public:
  explicit relay_buffer(buffer_pool& pool) : pool_(pool) {}
  char* data() {
    if (!mem_) mem_ = pool_.take_relay();
    return mem_.get();
  }
  static constexpr std::size_t size() { return limits::relay_buffer_bytes; }
  void release() {
    if (mem_) pool_.give_relay(std::move(mem_));
  }

 private:
  buffer_pool& pool_;
  std::unique_ptr<char[]> mem_;
};

}  // namespace liveproxy
