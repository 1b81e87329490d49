// A deliberately small URL grammar: scheme, host (name, IPv4 or [IPv6]), optional port, optional "/".
#include "proxy/http/upstream_url.hpp"
#include "proxy/base/text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace liveproxy {

upstream_url parse_upstream_url(std::string_view text) {
  upstream_url u;
  const std::string lower = lower_ascii(text);
  std::string_view rest = text;
  if (lower.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (lower.starts_with("https://")) {
    u.tls = true;
    rest.remove_prefix(8);
  } else {
    throw std::invalid_argument("expected an http:// or https:// URL, such as http://127.0.0.1:8000");
  }
  if (rest.ends_with("/")) rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos)
    throw std::invalid_argument("give the app's origin only (scheme, host and port): requests keep their own path");
  if (rest.find('@') != std::string_view::npos) throw std::invalid_argument("user information in the URL is not supported");
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with("[")) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("unclosed [ in the IPv6 address");
    host = rest.substr(1, close - 1);
    const auto after = rest.substr(close + 1);
    if (!after.empty() && !after.starts_with(":")) throw std::invalid_argument("unexpected text after the IPv6 address");
    if (!after.empty()) port = after.substr(1);
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) throw std::invalid_argument("the URL names no host");
  for (const char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':' || c == '%'))
      throw std::invalid_argument("'" + std::string(host) + "' is not a host name or address");
  u.host = std::string(host);
  const std::uint16_t default_port = u.tls ? 443 : 80;
  u.port = default_port;
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
      throw std::invalid_argument("'" + std::string(port) + "' is not a port number");
    u.port = static_cast<std::uint16_t>(value);
  }
  const bool v6 = u.host.find(':') != std::string::npos;
  u.authority = (v6 ? "[" + u.host + "]" : u.host) + (u.port == default_port ? "" : ":" + std::to_string(u.port));
  return u;
}

}  // namespace liveproxy
