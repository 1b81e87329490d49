// Which Hosts may use our endpoints: loopback always, allowed names and patterns, nothing malformed.
#include "proxy/browser/host_check.hpp"
#include "proxy/settings/config.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace liveproxy;

TEST_CASE("allowed Hosts: exact names, *.domain for subdomains, .domain for both, * for any", "[unit]") {
  const host_check hosts({"myapp.test", "*.example.test", ".corp.test", "192.168.1.20", "[fd00::5]"});
  for (const char* ok : {"localhost:3000", "app.localhost", "127.0.0.1:3000", "[::1]:3000", "MyApp.Test:3000",
                         "myapp.test.", "a.example.test:3000", "b.a.example.test", "corp.test", "x.corp.test",
                         "192.168.1.20:3000", "[fd00::5]:3000"}) {
    INFO(ok);
    CHECK(hosts.host_allowed(ok));
  }
  for (const char* refused : {"", "example.test", "evilexample.test", "myapp.test.evil.example", "xcorp.test",
                              "192.168.1.21", "[fd00::6]", "evil.example:3000", ":3000", "[", "[]:80"}) {
    INFO(refused);
    CHECK_FALSE(hosts.host_allowed(refused));
  }
  CHECK(host_check({"*"}).host_allowed("anything.example"));
  // "*." is no pattern (the option refuses it); dropping its dot must not make it "*" (found by the fuzzer).
  CHECK_FALSE(host_check({"*."}).host_allowed("anything.example"));
  CHECK_FALSE(host_check({"*."}).host_allowed("\x0e"));
}

TEST_CASE("a refused Host is told how to allow it, with its name only when it is a plain name", "[unit]") {
  CHECK(how_to_allow_host("myapp.test:3000").find("--allowed-host myapp.test ") != std::string::npos);
  const auto odd = how_to_allow_host("<script>alert(1)</script>");
  CHECK(odd.find("<script>") == std::string::npos);
  CHECK(odd.find("--allowed-host NAME") != std::string::npos);
}

TEST_CASE("allowed-host values are names, addresses or patterns, and nothing else", "[unit]") {
  CHECK(check_allowed_host("MyApp.Test", "--allowed-host") == "myapp.test");
  CHECK(check_allowed_host("*.example.test", "--allowed-host") == "*.example.test");
  CHECK(check_allowed_host("[fd00::5]", "--allowed-host") == "[fd00::5]");
  CHECK(check_allowed_host("*", "--allowed-host") == "*");
  for (const char* bad : {"", "http://myapp.test", "myapp.test:3000", "my app", "*example.test", "a/b", "*.*"}) {
    INFO(bad);
    CHECK_THROWS_AS(check_allowed_host(bad, "--allowed-host"), config_error);
  }
}
