// Host/Origin rules for our endpoints: loopback names always, anything else only when configured.
#include "proxy/browser/host_check.hpp"
#include "proxy/base/text.hpp"

#include <algorithm>
#include <cctype>

namespace liveproxy {
namespace {

bool is_ipv4_loopback(std::string_view h) {
  // 127.a.b.c with four numeric parts.
  if (!h.starts_with("127.")) return false;
  int dots = 0;
  for (const char c : h) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

}  // namespace

std::string host_without_port(std::string_view authority) {
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    return close == std::string_view::npos ? std::string() : lower_ascii(authority.substr(1, close - 1));
  }
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos) authority = authority.substr(0, colon);
  if (authority.ends_with(".")) authority.remove_suffix(1);  // "localhost." is localhost
  return lower_ascii(authority);
}

bool is_loopback_name(std::string_view host) {
  return host == "localhost" || host.ends_with(".localhost") || is_ipv4_loopback(host) || host == "::1";
}

host_check::host_check(std::vector<std::string> extra_hosts) : extra_hosts_(std::move(extra_hosts)) {
  for (auto& h : extra_hosts_) {
    h = lower_ascii(h);
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);  // an IPv6 address
    // "*." names no domain: without its dot it would read as "*", every name. It allows nothing.
    if (h == "*.") h.clear();
    if (h.size() > 1 && h.back() == '.') h.pop_back();
  }
}

bool host_check::host_allowed(std::string_view host_header) const {
  const auto host = host_without_port(host_header);
  if (host.empty()) return false;
  if (is_loopback_name(host)) return true;
  return std::any_of(extra_hosts_.begin(), extra_hosts_.end(), [&](const std::string& allowed) {
    if (allowed == "*") return true;
    if (allowed.starts_with("*.")) return host.size() > allowed.size() - 1 && host.ends_with(allowed.substr(1));
    if (allowed.starts_with(".")) return host == allowed.substr(1) || host.ends_with(allowed);
    return host == allowed;
  });
}

std::string how_to_allow_host(std::string_view host_header) {
  const auto host = host_without_port(host_header);
  // Only a plain name goes into the advice: the header is the client's, and the text is shown back.
  const bool plain = !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':';
  });
  const std::string name = plain ? host : "NAME";
  return "To allow it, start liveproxy with --allowed-host " + name + " (repeatable; *." + (plain ? name : "example.test") +
         " allows its subdomains), or add \"" + name + "\" to \"allowed_hosts\" in liveproxy.json.";
}

bool host_check::origin_allowed(std::string_view origin_header, std::string_view host_header) const {
  if (origin_header.empty()) return true;  // not a browser cross-origin request
  const auto scheme_end = origin_header.find("://");
  if (scheme_end == std::string_view::npos) return false;  // "null" and garbage
  const auto scheme = lower_ascii(origin_header.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return false;
  const auto authority = origin_header.substr(scheme_end + 3);
  if (lower_ascii(authority) == lower_ascii(host_header)) return true;  // same origin
  return host_allowed(authority);
}

}  // namespace liveproxy
