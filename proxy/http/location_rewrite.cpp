// URL authority comparison by hand: scheme, host (with [v6]), port; a default port stands for itself.
#include "proxy/http/location_rewrite.hpp"
#include "proxy/base/text.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cctype>

namespace liveproxy {
namespace {

bool loopback_or_any(std::string_view h) {
  return h == "localhost" || h == "::1" || h == "0.0.0.0" || h == "::" || h.starts_with("127.");
}

}  // namespace

app_origin make_app_origin(bool tls, std::string_view host, std::uint16_t port) {
  app_origin o;
  o.tls = tls;
  o.port = port;
  const auto h = lower_ascii(host);
  o.hosts.push_back(h);
  if (loopback_or_any(h))
    for (const char* alias : {"127.0.0.1", "localhost", "::1", "0.0.0.0"})
      if (h != alias) o.hosts.emplace_back(alias);
  return o;
}

std::optional<std::string> rewrite_app_url(std::string_view url, const app_origin& app, std::string_view browser_origin) {
  std::size_t start = 0;
  bool tls = app.tls;
  if (url.size() >= 7 && beast::iequals(url.substr(0, 7), "http://")) {
    tls = false;
    start = 7;
  } else if (url.size() >= 8 && beast::iequals(url.substr(0, 8), "https://")) {
    tls = true;
    start = 8;
  } else if (url.starts_with("//")) {
    start = 2;  // scheme-relative: the scheme of the page, which is the app's own
  } else {
    return std::nullopt;  // relative: already goes to the browser's origin
  }
  if (tls != app.tls) return std::nullopt;
  auto end = url.find_first_of("/?#", start);
  if (end == std::string_view::npos) end = url.size();
  const auto authority = url.substr(start, end - start);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  const unsigned want = app.port;
  unsigned got = tls ? 443 : 80;
  if (!port.empty()) {
    got = 0;
    for (const char c : port) {
      if (c < '0' || c > '9' || got > 65535) return std::nullopt;
      got = got * 10 + static_cast<unsigned>(c - '0');
    }
  }
  if (got != want) return std::nullopt;
  const auto h = lower_ascii(host);
  if (std::find(app.hosts.begin(), app.hosts.end(), h) == app.hosts.end()) return std::nullopt;
  std::string out(browser_origin);
  out.append(url.substr(end));
  if (out.size() == browser_origin.size()) out.push_back('/');
  return out;
}

void rewrite_app_urls(http::fields& res, const app_origin& app, std::string_view browser_origin) {
  for (const auto name : {http::field::location, http::field::content_location}) {
    const auto it = res.find(name);
    if (it == res.end()) continue;
    if (auto url = rewrite_app_url(it->value(), app, browser_origin)) res.set(name, *url);
  }
  // Refresh: "5; url=http://127.0.0.1:41873/next" (quotes allowed around the URL).
  const auto it = res.find("Refresh");
  if (it == res.end()) return;
  const std::string value(it->value());
  const auto lowered = lower_ascii(value);
  const auto at = lowered.find("url=");
  if (at == std::string::npos) return;
  auto begin = at + 4;
  char quote = 0;
  if (begin < value.size() && (value[begin] == '"' || value[begin] == '\'')) quote = value[begin++];
  auto end = quote ? value.find(quote, begin) : value.size();
  if (end == std::string::npos) end = value.size();
  if (auto url = rewrite_app_url(std::string_view(value).substr(begin, end - begin), app, browser_origin))
    res.set("Refresh", value.substr(0, begin) + *url + value.substr(end));
}

}  // namespace liveproxy
