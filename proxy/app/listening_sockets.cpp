// /proc/net/tcp lines: "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode";
// st 0A is LISTEN and the port is the hex after the colon of local_address.
#include "proxy/app/listening_sockets.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace liveproxy {
namespace {

void scan_table(const char* path, std::uint16_t port, std::set<unsigned long>& out) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
    unsigned long inode = 0;
    if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode))
      continue;
    const auto colon = local.rfind(':');
    if (state != "0A" || colon == std::string::npos) continue;
    if (std::strtoul(local.c_str() + colon + 1, nullptr, 16) == port && inode != 0) out.insert(inode);
  }
}

}  // namespace

std::set<unsigned long> listening_inodes(std::uint16_t port) {
  std::set<unsigned long> out;
  scan_table("/proc/net/tcp", port, out);
  scan_table("/proc/net/tcp6", port, out);
  return out;
}

std::set<pid_t> socket_owners(const std::set<unsigned long>& inodes) {
  std::set<pid_t> owners;
  if (inodes.empty()) return owners;
  DIR* proc = ::opendir("/proc");
  if (!proc) return owners;
  while (dirent* p = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(p->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    const std::string fd_dir = std::string("/proc/") + p->d_name + "/fd";
    DIR* fds = ::opendir(fd_dir.c_str());
    if (!fds) continue;  // another user's process, or gone
    while (dirent* f = ::readdir(fds)) {
      if (f->d_name[0] == '.') continue;
      char target[64];
      const auto n = ::readlinkat(::dirfd(fds), f->d_name, target, sizeof target - 1);
      if (n <= 8 || std::strncmp(target, "socket:[", 8) != 0) continue;
      target[n] = '\0';
      if (inodes.count(std::strtoul(target + 8, nullptr, 10))) {
        owners.insert(static_cast<pid_t>(pid));
        break;
      }
    }
    ::closedir(fds);
  }
  ::closedir(proc);
  return owners;
}

std::string describe_port_owner(std::uint16_t port) {
  const auto owners = socket_owners(listening_inodes(port));
  if (owners.empty()) return "another process";
  const pid_t pid = *owners.begin();
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!cmd.empty() && cmd.back() == '\0') cmd.pop_back();
  for (char& c : cmd)
    if (c == '\0') c = ' ';
  if (cmd.size() > 120) {
    cmd.resize(117);
    cmd.append("...");
  }
  std::string out = "pid ";
  out.append(std::to_string(pid));
  if (!cmd.empty()) {
    out.append(" (");
    out.append(cmd);
    out.push_back(')');
  }
  return out;
}

bool process_alive(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[256];
  const auto n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  // "pid (comm) S ...": the state follows the last ')'.
  const char* close = std::strrchr(buf, ')');
  return close && close[1] == ' ' && close[2] != 'Z' && close[2] != 'X';
}

}  // namespace liveproxy
