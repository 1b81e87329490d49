// This machine's own addresses, for the Network URLs printed with --host 0.0.0.0 (and allowed as Hosts).
#pragma once

#include <string>
#include <vector>

namespace liveproxy {

/// Addresses of the interfaces that are up, loopback excluded: IPv4 always, IPv6 (global scope, as
/// "[addr]") when `ipv6`. Empty if the interfaces cannot be read.
std::vector<std::string> local_addresses(bool ipv6);

}  // namespace liveproxy
