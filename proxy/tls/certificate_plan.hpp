// When the front's certificate must be issued again: a pure decision over the names it must cover and the clock.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace liveproxy {

/// How long a front certificate lives: short, so a copied key is soon worthless; reissued well before its end.
inline constexpr std::chrono::hours front_certificate_lifetime{24 * 7};
inline constexpr std::chrono::hours front_certificate_renew_before{24};

/// Why a certificate covering `covered` and valid until `not_after` will not do for `wanted` now ("it does not
/// cover 192.168.1.30", "it ends in 20 h"), or "" when it will. A name no longer wanted is
/// no reason: the certificate still covers what is asked.
std::string reissue_reason(const std::vector<std::string>& covered, std::chrono::system_clock::time_point not_after,
                           const std::vector<std::string>& wanted, std::chrono::system_clock::time_point now);

/// The names the front's certificate covers: localhost and the loopback addresses, then the allowed Hosts and
/// the machine's addresses (with --host 0.0.0.0), each once, in that order. IPv6 addresses in brackets ("[fe80::1]",
/// as Hosts are written) are given without them; ".example.test" (the domain and its subdomains) is
/// example.test and *.example.test; what no certificate can name ("*", a malformed address) is left out, so
/// that it is never "missing" from one.
std::vector<std::string> front_names(const std::vector<std::string>& allowed_hosts);

/// A DNS name (a leading "*." allowed) or an IP address that a certificate's subjectAltName can hold.
bool certificate_name_ok(std::string_view name);

}  // namespace liveproxy
