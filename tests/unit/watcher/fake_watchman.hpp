// A scripted stand-in for the watchman service, for protocol behaviour the real one cannot be made
// to show on demand (watchman 4.9 drops a command arriving in the same read as the one before it,
// which hides a duplicate command; a cancelled subscription needs a deleted root).
#pragma once

#include "support/temp_dir.hpp"

#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace liveproxy::test {

/// Listens on a private socket and serves one connection on its own thread: answers version,
/// watch-project, query (no files), subscribe (a fresh, empty listing when the command asks for one)
/// and unsubscribe, recording every command. Stopped when destroyed.
class fake_watchman {
 public:
  fake_watchman();
  ~fake_watchman();
  fake_watchman(const fake_watchman&) = delete;
  fake_watchman& operator=(const fake_watchman&) = delete;

  const std::string& socket() const { return socket_; }
  /// How many commands named name (e.g. "subscribe") have been received so far.
  std::size_t count(const std::string& name) const;
  /// The name of the latest subscription.
  std::string subscription() const;
  /// Sends one unilateral PDU (a line of JSON, without the newline) to the connected client.
  void send(const std::string& pdu);
  /// A subscription result for the latest subscription naming these existing files.
  void send_files(const std::vector<std::string>& names);

 private:
  void serve();
  void answer(const std::string& line);
  void write_line(const std::string& line);

  temp_dir dir_{"watcher-fake-wm"};
  std::string socket_;
  int listen_fd_ = -1;
  int conn_fd_ = -1;
  int wake_[2] = {-1, -1};  // written to on destruction, so the serving thread stops
  std::thread thread_;
  mutable std::mutex m_;      // commands_, subscription_
  std::mutex write_m_;        // one line at a time on the connection
  std::vector<std::string> names_;  // command names, in order
  std::string subscription_;
  int clock_ = 0;
};

}  // namespace liveproxy::test
