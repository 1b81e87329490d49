// `watchman get-sockname` in a child process (bounded in time), and a plain AF_UNIX connect.
#include "watcher/watchman_connect.hpp"

#include "watcher/watchman_protocol.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <simdjson.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace liveproxy::watcher::watchman {
namespace {

// Starting the service on a big home directory can take a while; beyond this we poll or inotify instead.
constexpr std::chrono::seconds get_sockname_timeout{10};

std::string run_get_sockname() {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  char arg0[] = "watchman";
  char arg1[] = "--no-pretty";
  char arg2[] = "get-sockname";
  char* argv[] = {arg0, arg1, arg2, nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, "watchman", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    if (rc == ENOENT) throw std::runtime_error("the watchman binary is not on PATH (Debian package: watchman)");
    throw std::runtime_error(std::string("cannot run watchman: ") + std::strerror(rc));
  }
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + get_sockname_timeout;
  bool timed_out = false;
  for (char buf[4096];;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    pollfd p{out[0], POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) == 0) {
      timed_out = true;
      break;
    }
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    throw std::runtime_error("`watchman get-sockname` did not answer within " +
                             std::to_string(get_sockname_timeout.count()) + " s");
  simdjson::dom::parser parser;
  pdu answer;
  const std::string bad = parse_pdu(parser, text, answer);
  if (!bad.empty() || !answer.error.empty() || answer.sockname.empty())
    throw std::runtime_error("`watchman get-sockname` failed: " +
                             (!answer.error.empty() ? answer.error : text.empty() ? "no output" : text));
  return answer.sockname;
}

}  // namespace

std::string find_socket(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("WATCHMAN_SOCK"); env != nullptr && *env != '\0') return env;
  return run_get_sockname();
}

int connect_socket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("watchman socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("cannot connect to watchman at " + path + ": " + std::strerror(err));
  }
  return fd;
}

}  // namespace liveproxy::watcher::watchman
