// Small pieces of the text liveproxy says: counts with their noun, hosts as URLs write them.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <string>

namespace liveproxy {

/// "1 tab", "2 tabs", "0 tabs".
inline std::string count_of(std::size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

/// An address as the host part of a URL: IPv6 in brackets.
inline std::string url_host(const boost::asio::ip::address& a) {
  return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

}  // namespace liveproxy
