// Which Host and Origin headers may reach our own endpoints (DNS-rebinding and cross-site defence).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// The host part of a Host header value or an Origin's authority, lower-cased, without port or brackets.
std::string host_without_port(std::string_view authority);

/// True for localhost, *.localhost, 127.0.0.0/8 and ::1.
bool is_loopback_name(std::string_view host);

/// How to allow a refused Host, for the pages that refuse it: "start liveproxy with --allowed-host NAME ...".
std::string how_to_allow_host(std::string_view host_header);

/// Decides whether a request may use /__liveproxy/ endpoints.
class host_check {
 public:
  /// extra_hosts: names the user allowed besides loopback (the --host address, --allowed-host): a name or an
  /// address; "*.example.test" for its subdomains; ".example.test" for the domain and its subdomains (as
  /// Vite's allowedHosts); "*" for any Host (the protection off).
  explicit host_check(std::vector<std::string> extra_hosts = {});

  /// Host must be loopback or allowed.
  bool host_allowed(std::string_view host_header) const;
  /// Origin (if the request has one) must be same-origin with Host, or loopback, or allowed.
  bool origin_allowed(std::string_view origin_header, std::string_view host_header) const;

 private:
  std::vector<std::string> extra_hosts_;
};

}  // namespace liveproxy
