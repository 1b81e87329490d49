// host_check: any Host and Origin a client sends (malformed ones included) get a verdict without a crash, and the
// verdicts keep their promises: only loopback or allowed names pass, a foreign Origin never does.
// Input: Host, a newline, Origin, a newline, one extra allowed name.
#include "proxy/browser/host_check.hpp"

#include "fuzz/fuzz_input.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

using liveproxy::host_check;
using liveproxy::host_without_port;
using liveproxy::is_loopback_name;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  liveproxy::fuzz::input in(data, size);
  const std::string_view host = in.until('\n');
  const std::string_view origin = in.until('\n');
  const std::string extra(in.rest());

  const std::string name = host_without_port(host);
  FUZZ_CHECK(name == lower(name));
  FUZZ_CHECK(name.size() <= host.size());

  const host_check loopback_only;
  const host_check with_extra({extra});
  const bool allowed = loopback_only.host_allowed(host);
  FUZZ_CHECK(allowed == (!name.empty() && is_loopback_name(name)));
  // Allowing a name adds that name and nothing else; a pattern adds what it says: "*" any name, "*.x" the names
  // under x, ".x" x and the names under it.
  // The value as host_check keeps it: lower case, an IPv6 address without brackets, no trailing dot ("*." is none).
  std::string pattern = lower(extra);
  if (pattern.size() > 2 && pattern.front() == '[' && pattern.back() == ']')
    pattern = pattern.substr(1, pattern.size() - 2);
  if (pattern == "*.") pattern.clear();
  if (pattern.size() > 1 && pattern.back() == '.') pattern.pop_back();
  const bool by_pattern =
      !name.empty() &&
      (pattern == "*" ||
       (pattern.starts_with("*.") ? name.size() > pattern.size() - 1 && name.ends_with(pattern.substr(1))
        : pattern.starts_with(".") ? name == pattern.substr(1) || name.ends_with(pattern)
                                   : name == pattern));
  FUZZ_CHECK(with_extra.host_allowed(host) == (allowed || by_pattern));

  // Without an Origin it is not a cross-site browser request; with one, it must name a web origin.
  FUZZ_CHECK(loopback_only.origin_allowed("", host));
  const bool origin_ok = loopback_only.origin_allowed(origin, host);
  if (origin_ok && !origin.empty()) {
    const auto scheme_end = origin.find("://");
    FUZZ_CHECK(scheme_end != std::string_view::npos);
    const std::string scheme = lower(origin.substr(0, scheme_end));
    FUZZ_CHECK(scheme == "http" || scheme == "https");
    const std::string_view authority = origin.substr(scheme_end + 3);
    // Same origin as the Host, or a loopback one.
    FUZZ_CHECK(lower(authority) == lower(host) || is_loopback_name(host_without_port(authority)));
  }
  return 0;
}
