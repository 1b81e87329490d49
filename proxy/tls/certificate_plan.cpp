// The certificate's renewal rule, without OpenSSL or a clock of its own.
#include "proxy/tls/certificate_plan.hpp"

#include <algorithm>

namespace liveproxy {

std::string reissue_reason(const std::vector<std::string>& covered, std::chrono::system_clock::time_point not_after,
                           const std::vector<std::string>& wanted, std::chrono::system_clock::time_point now) {
  std::vector<std::string> missing;
  for (const auto& w : wanted)
    if (std::find(covered.begin(), covered.end(), w) == covered.end()) missing.push_back(w);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return "it does not cover " + list;
  }
  if (not_after - now < front_certificate_renew_before) {
    const auto left = std::chrono::duration_cast<std::chrono::hours>(not_after - now);
    return left.count() <= 0 ? "it has expired" : "it ends in " + std::to_string(left.count()) + " h";
  }
  return {};
}

std::vector<std::string> front_names(const std::vector<std::string>& allowed_hosts) {
  std::vector<std::string> out{"localhost", "127.0.0.1", "::1"};
  for (auto h : allowed_hosts) {
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    if (!h.empty() && std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  }
  return out;
}

}  // namespace liveproxy
