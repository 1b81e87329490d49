// Keeps the status pages up to date: the board's snapshot goes to every open /__liveproxy/ page shortly
// after something changed, coalesced, and only while a page is open.
#pragma once

#include "proxy/base/net.hpp"
#include "proxy/status/status_board.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <deque>

namespace liveproxy {

class reload_hub;

class status_feed {
 public:
  /// `output`: the app's recent output lines, asked for at each snapshot.
  status_feed(net::any_io_executor ex, reload_hub& hub, std::function<std::deque<std::string>()> output);
  status_feed(const status_feed&) = delete;
  status_feed& operator=(const status_feed&) = delete;

  status_board& board() { return board_; }
  /// Something shown on the page changed: open pages get a new snapshot within `coalesce`.
  void changed();
  /// The snapshot now: built after a change at most once per `coalesce` (or when older than max_age, for the
  /// held count) and shared by everyone who asks meanwhile, however many pages connect.
  /// `fresh`: a change since is always in it (status.json).
  std::shared_ptr<const std::string> snapshot(bool fresh = false);
  static constexpr auto max_age = std::chrono::milliseconds(250);

  static constexpr auto coalesce = std::chrono::milliseconds(100);

 private:
  reload_hub& hub_;
  std::function<std::deque<std::string>()> output_;
  status_board board_;
  steady_timer timer_;
  void schedule();
  std::shared_ptr<const std::string> build(std::chrono::steady_clock::time_point now);

  bool scheduled_ = false;
  bool stale_ = true;  ///< something changed since cached_ was built
  std::shared_ptr<const std::string> cached_;
  std::chrono::steady_clock::time_point cached_at_{};
};

}  // namespace liveproxy
