// Header predicates and rewriting for the relay.
#include "proxy/http/http_util.hpp"

#include <boost/beast/core/string.hpp>

#include <string>
#include <vector>

namespace liveproxy {

bool header_has_token(std::string_view value, std::string_view token) {
  std::size_t pos = 0;
  while (pos <= value.size()) {
    auto end = value.find(',', pos);
    if (end == std::string_view::npos) end = value.size();
    auto item = value.substr(pos, end - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    // A parameter ("text/html; charset=utf-8") does not change the token.
    if (auto semi = item.find(';'); semi != std::string_view::npos) {
      item = item.substr(0, semi);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    }
    if (beast::iequals(item, token)) return true;
    pos = end + 1;
  }
  return false;
}

void strip_hop_by_hop(http::fields& f, bool keep_upgrade) {
  // Names listed in Connection, as views into its value (which is erased last). The usual
  // "Connection: keep-alive" names a field that goes anyway, so most messages list nothing here.
  std::vector<std::string_view> named;
  for (auto it = f.find(http::field::connection); it != f.end() && it->name() == http::field::connection; ++it) {
    const std::string_view v = it->value();
    std::size_t pos = 0;
    while (pos < v.size()) {
      auto end = v.find(',', pos);
      if (end == std::string_view::npos) end = v.size();
      auto item = v.substr(pos, end - pos);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      pos = end + 1;
      if (item.empty() || beast::iequals(item, "keep-alive") || beast::iequals(item, "close")) continue;
      // Fields that frame or route the message are never hop-by-hop, whatever Connection says.
      if (beast::iequals(item, "content-length") || beast::iequals(item, "transfer-encoding") ||
          beast::iequals(item, "host"))
        continue;
      if (keep_upgrade && beast::iequals(item, "upgrade")) continue;
      named.push_back(item);
    }
  }
  // One pass over the fields (each erase by name would search the whole set again).
  for (auto it = f.begin(); it != f.end();) {
    bool drop = false;
    switch (it->name()) {
      case http::field::connection:
        break;
      case http::field::keep_alive:
      case http::field::te:
      case http::field::trailer:
      case http::field::proxy_authenticate:
      case http::field::proxy_authorization:
        drop = true;
        break;
      case http::field::upgrade:
        drop = !keep_upgrade;
        break;
      default:
        drop = it->name() == http::field::unknown && beast::iequals(it->name_string(), "Proxy-Connection");
        for (std::size_t i = 0; !drop && i < named.size(); ++i) drop = beast::iequals(it->name_string(), named[i]);
        break;
    }
    it = drop ? f.erase(it) : std::next(it);
  }
  f.erase(http::field::connection);
}

bool is_identity_encoded(const http::response_header<>& res) {
  const auto enc = res[http::field::content_encoding];
  return enc.empty() || beast::iequals(enc, "identity");
}

bool wants_injection(const http::response_header<>& res, http::verb method) {
  if (method == http::verb::head) return false;
  const auto status = res.result_int();
  if (status < 200 || status == 204 || status == 304) return false;
  if (!header_has_token(res[http::field::content_type], "text/html")) return false;
  if (status == 206) return false;  // a byte range of a page: offsets would no longer match
  const auto disposition = res[http::field::content_disposition];
  if (disposition.size() >= 10 && beast::iequals(disposition.substr(0, 10), "attachment")) return false;
  if (res.find(no_inject_header) != res.end()) return false;
  return true;
}

}  // namespace liveproxy
