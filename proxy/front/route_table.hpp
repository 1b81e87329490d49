// Which app behind the front answers a request: the longest route prefix that matches its path.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// Route prefixes of the apps behind one front ("apps", --route). Matching is by path segment: "/api/" and "/api"
/// both take "/api", "/api/" and "/api/users", never "/apix". Requests no prefix takes go to app 0, the main one.
class route_table {
 public:
  /// `app` answers paths under `prefix` (which starts with '/').
  void add(std::string prefix, std::size_t app);
  /// The app for a path (without its query): the longest matching prefix's, else 0.
  std::size_t match(std::string_view path) const;
  bool empty() const { return routes_.empty(); }

 private:
  struct route {
    std::string prefix;  ///< without a trailing '/', except "/" itself
    std::size_t app;
  };
  std::vector<route> routes_;  ///< longest prefix first
};

}  // namespace liveproxy
