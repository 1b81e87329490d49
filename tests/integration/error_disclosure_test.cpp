// Error pages carry the app's output and command line: only to Hosts allowed to see them (loopback names).
// A page on a DNS-rebinding domain, whose Host is that domain, learns only that the app is not answering.
#include "support/http_client.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

header_list with_host(std::string host, std::string accept) { return {{"Host", std::move(host)}, {"Accept", std::move(accept)}}; }

bool contains(const std::string& haystack, std::string_view needle) { return haystack.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("a crashed app's output and command go only to allowed Hosts", "[integration][net]") {
  site_options opts;
  opts.command = {"/bin/sh", "-c", "echo DB_PASSWORD=SuperSecret-4242; exit 1"};
  opts.wait_for_app = false;
  test_site site(opts);
  REQUIRE(site.proxy().proc().wait_for_output("waiting for a file change", 10s));

  const std::string accept = GENERATE(as<std::string>{}, "text/html", "*/*");
  INFO("Accept: " << accept);
  for (const std::string& foreign :
       std::vector<std::string>{"evil.example", "evil.example:" + std::to_string(site.port()), "192.168.1.20", ""}) {
    const auto res = http_get(site.port(), "/", with_host(foreign, accept));
    INFO("Host: '" << foreign << "' " << res.error << "\n" << res.body);
    REQUIRE(res.ok());
    CHECK(res.status == 502);
    CHECK_FALSE(contains(res.body, "SuperSecret"));
    CHECK_FALSE(contains(res.body, "/bin/sh"));
    CHECK_FALSE(contains(res.body, "/__liveproxy/client.js"));
    CHECK(contains(res.body, "not answering"));
  }
  const auto own = http_get(site.port(), "/", with_host("localhost:" + std::to_string(site.port()), accept));
  REQUIRE(own.ok());
  CHECK(own.status == 502);
  CHECK(contains(own.body, "SuperSecret-4242"));
}

TEST_CASE("a bad app response's 502 page shows the app's output only to allowed Hosts", "[integration][net]") {
  site_options opts;
  opts.command = {"/usr/bin/python3", "misbehaving_app.py", "{port}"};
  opts.wait_for_app = false;
  test_site site(opts);
  REQUIRE(wait_until([&] { return http_get(site.port(), "/ready", {}, 2s).status == 200; }, 15s, 50ms));

  const auto foreign = http_get(site.port(), "/bad-status", with_host("rebind.attacker.test", "text/html"));
  INFO(foreign.body);
  REQUIRE(foreign.ok());
  CHECK(foreign.status == 502);
  CHECK_FALSE(contains(foreign.body, "Secret-Token-9931"));
  CHECK_FALSE(contains(foreign.body, "misbehaving_app.py"));

  const auto own = http_get(site.port(), "/bad-status", with_host("127.0.0.1:" + std::to_string(site.port()), "text/html"));
  REQUIRE(own.ok());
  CHECK(own.status == 502);
  CHECK(contains(own.body, "Secret-Token-9931"));
}
