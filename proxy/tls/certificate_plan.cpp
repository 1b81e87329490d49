// The certificate's renewal rule, without OpenSSL or a clock of its own.
#include "proxy/tls/certificate_plan.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

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
    const auto left = std::chrono::duration_cast<std::chrono::minutes>(not_after - now);
    if (left.count() <= 0) return "it has expired";
    return left.count() < 60 ? "it ends in " + std::to_string(left.count()) + " min"
                             : "it ends in " + std::to_string(left.count() / 60) + " h";
  }
  return {};
}

std::vector<std::string> front_names(const std::vector<std::string>& allowed_hosts) {
  std::vector<std::string> out{"localhost", "127.0.0.1", "::1"};
  const auto add = [&](const std::string& n) {
    if (certificate_name_ok(n) && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  };
  for (auto h : allowed_hosts) {
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    if (h.size() > 1 && h.front() == '.') {
      add(h.substr(1));
      add("*" + h);
    } else {
      add(h);
    }
  }
  return out;
}

bool certificate_name_ok(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  const std::string s(name);
  if (s.find(':') != std::string::npos) {
    in6_addr a6{};
    return ::inet_pton(AF_INET6, s.c_str(), &a6) == 1;
  }
  std::string_view rest = name;
  if (rest.starts_with("*.")) rest.remove_prefix(2);
  if (rest.empty() || rest.front() == '.' || rest.back() == '.') return false;
  return std::all_of(rest.begin(), rest.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

}  // namespace liveproxy
