// Reads /proc/PID/{fd,status,stat}.
#include "support/proc_stats.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>

namespace liveproxy::test {

std::string read_proc_file(const std::string& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::size_t open_fds(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++n;
  return n;
}

std::size_t settled_open_fds(pid_t pid) {
  std::size_t last = open_fds(pid);
  for (int stable = 0, i = 0; stable < 3 && i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto now = open_fds(pid);
    stable = now == last ? stable + 1 : 0;
    last = now;
  }
  return last;
}

std::size_t rss_bytes(pid_t pid) {
  std::istringstream in(read_proc_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6)) * 1024;  // "VmRSS:   7420 kB"
  return 0;
}

double cpu_seconds(pid_t pid) {
  const std::string all = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  // The command name may hold spaces: fields are counted after its closing parenthesis.
  const auto close = all.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) {
      stime = std::stoul(field);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace liveproxy::test
