// certificate_plan: when the front's certificate is issued again and for which names, stepped with a fixed clock
// so each row of the tables is exact.
#include "proxy/tls/certificate_plan.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace liveproxy;
using namespace std::chrono_literals;

namespace {

using names = std::vector<std::string>;
using time_point = std::chrono::system_clock::time_point;

// A fixed instant: the rule must not read a clock of its own.
const time_point now = std::chrono::sys_days{std::chrono::year{2025} / 6 / 1} + 12h;

const names lan{"localhost", "127.0.0.1", "::1", "192.168.1.20"};

struct reason_row {
  const char* what;
  names covered;
  std::chrono::seconds left;  ///< not_after - now
  names wanted;
  std::string reason;
};

}  // namespace

TEST_CASE("reissue_reason: the table of names and time left", "[unit][tls]") {
  const auto row = GENERATE(values<reason_row>({
      {"the same names, a week left", lan, 168h, lan, ""},
      {"no names wanted at all", lan, 168h, {}, ""},
      {"a name no longer wanted is no reason", lan, 168h, {"localhost", "127.0.0.1"}, ""},
      {"the same names in another order", lan, 168h, {"192.168.1.20", "::1", "127.0.0.1", "localhost"}, ""},
      {"a new address", lan, 168h, {"localhost", "127.0.0.1", "::1", "192.168.1.30"},
       "it does not cover 192.168.1.30"},
      {"two new names, in the order wanted", lan, 168h, {"myapp.test", "localhost", "192.168.1.30"},
       "it does not cover myapp.test, 192.168.1.30"},
      {"an address that moved", lan, 168h, {"localhost", "127.0.0.1", "::1", "192.168.1.21"},
       "it does not cover 192.168.1.21"},
      {"nothing covered yet", {}, 168h, {"localhost"}, "it does not cover localhost"},
      {"missing names come before time", lan, -1h, {"myapp.test"}, "it does not cover myapp.test"},
      {"exactly the renewal margin left is still fine", lan, 24h, lan, ""},
      {"just under the margin", lan, 24h - 1s, lan, "it ends in 23 h"},
      {"twenty hours left", lan, 20h, lan, "it ends in 20 h"},
      {"one hour left", lan, 1h, lan, "it ends in 1 h"},
      {"ends right now", lan, 0s, lan, "it has expired"},
      {"ended yesterday", lan, -24h, lan, "it has expired"},
  }));
  INFO(row.what);
  CHECK(reissue_reason(row.covered, now + row.left, row.wanted, now) == row.reason);
}

TEST_CASE("reissue_reason: under an hour left is said in minutes", "[unit][tls]") {
  CHECK(reissue_reason(lan, now + std::chrono::seconds(59 * 60), lan, now) == "it ends in 59 min");
  CHECK(reissue_reason(lan, now + std::chrono::seconds(61), lan, now) == "it ends in 1 min");
  // Under a minute is as good as over: it is replaced now either way.
  CHECK(reissue_reason(lan, now + std::chrono::seconds(1), lan, now) == "it has expired");
}

TEST_CASE("reissue_reason: a fresh certificate lasts until the renewal margin", "[unit][tls]") {
  static_assert(front_certificate_renew_before < front_certificate_lifetime,
                "a certificate renewed before it is issued would be issued in a loop");
  const time_point issued = now;
  const time_point not_after = issued + front_certificate_lifetime;
  const time_point renew_at = not_after - front_certificate_renew_before;
  CHECK(reissue_reason(lan, not_after, lan, issued).empty());
  CHECK(reissue_reason(lan, not_after, lan, issued + 100h).empty());
  CHECK(reissue_reason(lan, not_after, lan, renew_at).empty());
  CHECK(reissue_reason(lan, not_after, lan, renew_at + 1s) == "it ends in 23 h");
  CHECK(reissue_reason(lan, not_after, lan, not_after) == "it has expired");
}

TEST_CASE("front_names: loopback first, then each allowed host once", "[unit][tls]") {
  using row = std::pair<names, names>;
  const auto r = GENERATE(values<row>({
      {{}, {"localhost", "127.0.0.1", "::1"}},
      {{"myapp.test", "192.168.1.20"}, {"localhost", "127.0.0.1", "::1", "myapp.test", "192.168.1.20"}},
      {{"192.168.1.20", "myapp.test"}, {"localhost", "127.0.0.1", "::1", "192.168.1.20", "myapp.test"}},
      // Repeats, and hosts that are already among the loopback names.
      {{"myapp.test", "localhost", "myapp.test", "127.0.0.1"}, {"localhost", "127.0.0.1", "::1", "myapp.test"}},
      // Hosts are written with brackets around IPv6; a certificate names the bare address.
      {{"[fe80::1]"}, {"localhost", "127.0.0.1", "::1", "fe80::1"}},
      {{"[::1]"}, {"localhost", "127.0.0.1", "::1"}},
      {{"[fe80::1]", "fe80::1", "[fe80::1]"}, {"localhost", "127.0.0.1", "::1", "fe80::1"}},
      {{"", "myapp.test"}, {"localhost", "127.0.0.1", "::1", "myapp.test"}},
      {{"*.example.test"}, {"localhost", "127.0.0.1", "::1", "*.example.test"}},
      // Vite's ".example.test": the domain and its subdomains, as two names a certificate can hold.
      {{".example.test"}, {"localhost", "127.0.0.1", "::1", "example.test", "*.example.test"}},
      // What no certificate can name is left out, so it is never missing from one (no reissue at each check).
      {{"*", "fe80::zz", "a b", "myapp.test"}, {"localhost", "127.0.0.1", "::1", "myapp.test"}},
  }));
  INFO("allowed hosts: " << Catch::Detail::stringify(r.first));
  CHECK(front_names(r.first) == r.second);
}

TEST_CASE("front_names and reissue_reason: a new address on the network reissues once", "[unit][tls]") {
  // The cycle the dev server runs: names from the hosts, a certificate for them, the hosts change.
  const names before = front_names({"[2001:db8::5]", "192.168.1.20"});
  CHECK(reissue_reason(before, now + front_certificate_lifetime, front_names({"192.168.1.20", "[2001:db8::5]"}), now)
            .empty());
  const names after = front_names({"[2001:db8::5]", "192.168.1.20", "192.168.1.30"});
  CHECK(reissue_reason(before, now + front_certificate_lifetime, after, now) == "it does not cover 192.168.1.30");
  // Issued again for `after`, the next check is quiet even when an address has gone.
  CHECK(reissue_reason(after, now + front_certificate_lifetime, front_names({"192.168.1.30"}), now).empty());
}
