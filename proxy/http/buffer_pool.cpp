// The pool keeps a few of each (enough for the requests in flight at once); the rest goes back to the allocator.
#include "proxy/http/buffer_pool.hpp"

namespace liveproxy {
namespace {

constexpr std::size_t kept_of_each = 32;
constexpr std::size_t read_reserve = 8 * 1024;
/// A read buffer that grew past this (a huge header) is freed rather than kept.
constexpr std::size_t read_keep_limit = 64 * 1024;

}  // namespace

std::unique_ptr<char[]> buffer_pool::take_relay() {
  if (relay_.empty()) return std::make_unique_for_overwrite<char[]>(limits::relay_buffer_bytes);
  auto b = std::move(relay_.back());
  relay_.pop_back();
  return b;
}

void buffer_pool::give_relay(std::unique_ptr<char[]> b) {
  if (relay_.size() < kept_of_each) relay_.push_back(std::move(b));
}

beast::flat_buffer buffer_pool::take_read() {
  if (read_.empty()) {
    beast::flat_buffer b;
    b.reserve(read_reserve);
    return b;
  }
  auto b = std::move(read_.back());
  read_.pop_back();
  return b;
}

void buffer_pool::give_read(beast::flat_buffer& b) {
  if (b.size() != 0) return;
  beast::flat_buffer taken(std::move(b));
  if (read_.size() < kept_of_each && taken.capacity() >= read_reserve && taken.capacity() <= read_keep_limit)
    read_.push_back(std::move(taken));
}

splice_pipe buffer_pool::take_pipe() {
  if (pipes_.empty()) return splice_pipe();
  auto p = std::move(pipes_.back());
  pipes_.pop_back();
  return p;
}

void buffer_pool::give_pipe(splice_pipe& p) {
  splice_pipe taken(std::move(p));
  if (taken.is_open() && pipes_.size() < kept_of_each) pipes_.push_back(std::move(taken));
}

}  // namespace liveproxy
