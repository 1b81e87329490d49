// Starting watchman privately for tests and waiting for its socket.
#include "watchman_server.hpp"

#include "support/wait.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace liveproxy::test {
namespace {

bool accepts(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

watchman_server::watchman_server() : socket_((dir_ / "sock").string()) {
  const std::string d = dir_.path().string();
  proc_ = std::make_unique<process>(
      std::vector<std::string>{"watchman", "--foreground", "--no-save-state", "--sockname=" + socket_,
                               "--statefile=" + d + "/state", "--logfile=" + d + "/log", "--pidfile=" + d + "/pid"},
      process_options{{}, {}, "watchman"});
  if (!wait_until([&] { return accepts(socket_) || proc_->exited(); }) || proc_->exited())
    throw std::runtime_error("watchman did not start: " + proc_->output() + read_file(log_file()));
}

bool have_watchman() {
  static const bool found = [] {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');)
      if (!dir.empty() && ::access((dir + "/watchman").c_str(), X_OK) == 0) return true;
    return false;
  }();
  return found;
}

const watchman_server& shared_watchman() {
  static const watchman_server server;
  return server;
}

}  // namespace liveproxy::test
