// Longest-prefix routing by path segment.
#include "proxy/front/route_table.hpp"

#include <algorithm>

namespace liveproxy {

void route_table::add(std::string prefix, std::size_t app) {
  // "/api/" and "/api" mean the same: the /api segment and what is under it.
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  const auto at = std::find_if(routes_.begin(), routes_.end(),
                               [&](const route& r) { return r.prefix.size() < prefix.size(); });
  routes_.insert(at, route{std::move(prefix), app});
}

std::size_t route_table::match(std::string_view path) const {
  for (const auto& r : routes_) {
    if (r.prefix == "/") return r.app;
    if (path.starts_with(r.prefix) && (path.size() == r.prefix.size() || path[r.prefix.size()] == '/')) return r.app;
  }
  return 0;
}

}  // namespace liveproxy
