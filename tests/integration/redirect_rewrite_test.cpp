// An app that builds absolute URLs from its own port would send the browser past liveproxy: such redirects
// are rewritten to the browser's origin; every other URL (another host or port, external, OAuth) is left alone.
#include "support/http_client.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

std::string query_escape(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("redirects to the app's own address are rewritten to the browser's origin", "[integration][net]") {
  site_options opts;
  opts.command = {"/usr/bin/python3", "misbehaving_app.py", "{port}"};
  opts.wait_for_app = false;
  test_site site(opts);
  REQUIRE(wait_until([&] { return http_get(site.port(), "/ready", {}, 2s).status == 200; }, 15s, 50ms));
  const std::string browser = "localhost:" + std::to_string(site.port());

  struct example {
    std::string field, value, expected;
  };
  // {me}: the browser's origin; {port}: the app's (both differ from run to run, so filled in below).
  const std::string me = "{me}";
  const auto e = GENERATE_COPY(values<example>({
      {"Location", "http://127.0.0.1:{port}/next?x=1#top", me + "/next?x=1#top"},
      {"Location", "http://localhost:{port}/a", me + "/a"},
      {"Location", "http://[::1]:{port}", me + "/"},
      {"Location", "http://0.0.0.0:{port}/b", me + "/b"},
      {"Location", "//127.0.0.1:{port}/c", me + "/c"},
      {"Content-Location", "http://127.0.0.1:{port}/d", me + "/d"},
      {"Refresh", "0; url=http://127.0.0.1:{port}/e", "0; url=" + me + "/e"},
      // Not the app: left exactly as they are.
      {"Location", "/relative/path", "/relative/path"},
      {"Location", "http://127.0.0.1:1/other-port", "http://127.0.0.1:1/other-port"},
      {"Location", "https://127.0.0.1:{port}/tls-is-another-origin", "https://127.0.0.1:{port}/tls-is-another-origin"},
      {"Location", "https://accounts.example.com/o/oauth2?redirect_uri=http://127.0.0.1:{port}/cb",
       "https://accounts.example.com/o/oauth2?redirect_uri=http://127.0.0.1:{port}/cb"},
      {"Location", "http://example.com:{port}/same-port-other-host", "http://example.com:{port}/same-port-other-host"},
  }));
  INFO(e.field << ": " << e.value);
  const auto res = http_get(site.port(), "/header?h=" + e.field + "&v=" + query_escape(e.value), {{"Host", browser}});
  REQUIRE(res.ok());
  CHECK(res.status == 302);
  std::string expected = e.expected;
  if (const auto at = expected.find("{port}"); at != std::string::npos)
    expected.replace(at, 6, std::to_string(site.proxy().app_port()));
  if (const auto at = expected.find("{me}"); at != std::string::npos) expected.replace(at, 4, "http://" + browser);
  CHECK(res.header(e.field) == expected);
}
