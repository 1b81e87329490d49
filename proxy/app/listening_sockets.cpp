// /proc/net/tcp lines: "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode";
// st 0A is LISTEN and the port is the hex after the colon of local_address.
#include "proxy/app/listening_sockets.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <string>

namespace liveproxy {
namespace {

/// A whole /proc file, or "" if it cannot be read. read(2), not an ifstream: a process that exits while its
/// file is read makes read fail with ESRCH, which libstdc++'s filebuf turns into an exception.
std::string read_proc(const std::string& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[8192];
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

/// "0100007F" (IPv4, little-endian words) or 32 hex digits (IPv6) as text.
std::string address_text(const std::string& hex) {
  unsigned char bytes[16];
  const std::size_t n = hex.size() / 2;
  if (n != 4 && n != 16) return hex;
  for (std::size_t i = 0; i < n; ++i) {
    const char pair[3] = {hex[2 * i], hex[2 * i + 1], '\0'};
    bytes[i] = static_cast<unsigned char>(std::strtoul(pair, nullptr, 16));
  }
  // The kernel prints each 32-bit word in host order (little-endian here).
  for (std::size_t w = 0; w < n; w += 4) {
    std::swap(bytes[w], bytes[w + 3]);
    std::swap(bytes[w + 1], bytes[w + 2]);
  }
  char text[64];
  ::inet_ntop(n == 4 ? AF_INET : AF_INET6, bytes, text, sizeof text);
  return text;
}

/// Every LISTEN socket of a /proc/net/tcp{,6} table: inode -> address.
void scan_listeners(const char* path, std::map<unsigned long, listen_address>& out) {
  std::istringstream in(read_proc(path));
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
    unsigned long inode = 0;
    if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode))
      continue;
    const auto colon = local.rfind(':');
    if (state != "0A" || colon == std::string::npos || inode == 0) continue;
    out[inode] = {address_text(local.substr(0, colon)),
                  static_cast<std::uint16_t>(std::strtoul(local.c_str() + colon + 1, nullptr, 16))};
  }
}

std::map<unsigned long, listen_address> all_listeners() {
  std::map<unsigned long, listen_address> listeners;
  scan_listeners("/proc/net/tcp", listeners);
  scan_listeners("/proc/net/tcp6", listeners);
  return listeners;
}

}  // namespace

std::set<unsigned long> listening_inodes(std::uint16_t port) {
  std::set<unsigned long> out;
  for (const auto& [inode, address] : all_listeners())
    if (address.port == port) out.insert(inode);
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

std::set<pid_t> process_tree(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  DIR* proc = ::opendir("/proc");
  if (proc) {
    while (dirent* p = ::readdir(proc)) {
      char* end = nullptr;
      const long pid = std::strtol(p->d_name, &end, 10);
      if (*end != '\0' || pid <= 0) continue;
      const std::string stat = read_proc(std::string("/proc/") + p->d_name + "/stat");
      if (stat.empty()) continue;
      const auto close = stat.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(stat.substr(close + 2));
      char state = 0;
      long ppid = 0;
      if (rest >> state >> ppid) children.emplace(static_cast<pid_t>(ppid), static_cast<pid_t>(pid));
    }
    ::closedir(proc);
  }
  std::set<pid_t> tree{root};
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    for (auto [it, end] = children.equal_range(p); it != end; ++it)
      if (tree.insert(it->second).second) todo.push_back(it->second);
  }
  return tree;
}

std::vector<listen_address> listening_addresses_of(const std::set<pid_t>& pids) {
  const auto listeners = all_listeners();
  std::vector<listen_address> out;
  std::set<unsigned long> seen;
  for (const pid_t pid : pids) {
    const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* fds = ::opendir(fd_dir.c_str());
    if (!fds) continue;
    while (dirent* f = ::readdir(fds)) {
      char target[64];
      const auto n = ::readlinkat(::dirfd(fds), f->d_name, target, sizeof target - 1);
      if (n <= 8 || std::strncmp(target, "socket:[", 8) != 0) continue;
      target[n] = '\0';
      const auto inode = std::strtoul(target + 8, nullptr, 10);
      if (const auto it = listeners.find(inode); it != listeners.end() && seen.insert(inode).second)
        out.push_back(it->second);
    }
    ::closedir(fds);
  }
  return out;
}

std::string describe_port_owner(std::uint16_t port) {
  const auto owners = socket_owners(listening_inodes(port));
  if (owners.empty()) return "another process";
  const pid_t pid = *owners.begin();
  std::string cmd = read_proc("/proc/" + std::to_string(pid) + "/cmdline");
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
