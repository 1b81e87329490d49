// --upstream URLs: what is accepted, how the Host authority is written, and what is refused with a reason.
#include "proxy/http/upstream_url.hpp"

#include <catch2/catch.hpp>

using namespace liveproxy;

TEST_CASE("upstream URLs name an origin", "[unit]") {
  struct example {
    const char* text;
    bool tls;
    const char* host;
    unsigned port;
    const char* authority;
  };
  const auto e = GENERATE(values<example>({
      {"http://127.0.0.1:8000", false, "127.0.0.1", 8000, "127.0.0.1:8000"},
      {"http://localhost:8000/", false, "localhost", 8000, "localhost:8000"},
      {"HTTPS://myapp.test", true, "myapp.test", 443, "myapp.test"},
      {"http://myapp.test:80", false, "myapp.test", 80, "myapp.test"},
      {"https://[::1]:8443", true, "::1", 8443, "[::1]:8443"},
      {"http://[::1]", false, "::1", 80, "[::1]"},
  }));
  INFO(e.text);
  const auto u = parse_upstream_url(e.text);
  CHECK(u.tls == e.tls);
  CHECK(u.host == e.host);
  CHECK(u.port == e.port);
  CHECK(u.authority == e.authority);
}

TEST_CASE("upstream URLs that are not just an origin are refused", "[unit]") {
  for (const char* bad : {"127.0.0.1:8000", "ftp://x", "http://", "http://:80", "http://x:0", "http://x:65536",
                          "http://x:80a", "http://x/app", "http://x?q", "http://user@x", "http://[::1", "http://[::1]x",
                          "http://ex ample"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_upstream_url(bad), std::invalid_argument);
  }
}
