// Which processes hold a listening TCP socket: read from /proc, for apps liveproxy does not start itself.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace liveproxy {

/// Inodes of the TCP sockets listening on `port` (any local address, IPv4 and IPv6), from /proc/net/tcp{,6}.
std::set<unsigned long> listening_inodes(std::uint16_t port);

/// Processes with one of `inodes` open, from /proc/PID/fd (only those this user may read). A scan of every
/// process: tens of milliseconds on a busy machine, so callers do it once and then follow the PIDs.
std::set<pid_t> socket_owners(const std::set<unsigned long>& inodes);

/// True while `pid` runs (a zombie counts as ended).
bool process_alive(pid_t pid);

/// A TCP address something listens on.
struct listen_address {
  std::string address;  ///< "127.0.0.1", "0.0.0.0", "::1", "::"
  std::uint16_t port = 0;
};

/// `root` and every process below it (by parent PID, from /proc).
std::set<pid_t> process_tree(pid_t root);

/// The TCP addresses the processes in `pids` listen on (their sockets matched against /proc/net/tcp{,6}).
std::vector<listen_address> listening_addresses_of(const std::set<pid_t>& pids);

/// Who listens on `port`, for a message: "pid 1234 (python3 manage.py runserver 8000)", or "another
/// process" when /proc does not tell (another user's).
std::string describe_port_owner(std::uint16_t port);

}  // namespace liveproxy
