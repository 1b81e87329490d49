// The real liveproxy binary, started for a test, with its front URL read from its first output line.
#pragma once

#include "support/process.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace liveproxy::test {

/// Starts LIVEPROXY_BINARY (the environment variable of that name overrides the build's path) with args and waits for "liveproxy: http://HOST:PORT".
/// Throws std::runtime_error (with everything it printed) if that line does not come in time.
class liveproxy_process {
 public:
  explicit liveproxy_process(std::vector<std::string> args, process_options opts = {},
                             std::chrono::milliseconds startup_timeout = std::chrono::seconds(10));

  /// The front port (what the browser connects to).
  unsigned short port() const { return port_; }
  /// The front host as printed, e.g. "127.0.0.1".
  const std::string& host() const { return host_; }
  /// "http://HOST:PORT"
  std::string url() const { return "http://" + host_ + ":" + std::to_string(port_); }
  /// The app port from "-> app on HOST:PORT", or 0 if the line did not name one.
  unsigned short app_port() const { return app_port_; }

  process& proc() { return proc_; }
  const process& proc() const { return proc_; }

 private:
  process proc_;
  std::string host_;
  unsigned short port_ = 0;
  unsigned short app_port_ = 0;
};

}  // namespace liveproxy::test
