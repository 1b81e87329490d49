// --allowed-host (and "allowed_hosts" in liveproxy.json): a name the user chose (a *.test domain, a tunnel)
// gets our endpoints and the error details; other Hosts are refused with a page that says how to allow them.
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/script_tag.hpp"
#include "support/temp_dir.hpp"
#include "support/test_site.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

site_options allowing(std::vector<std::string> args) {
  site_options o;
  o.proxy_args = std::move(args);
  return o;
}

}  // namespace

TEST_CASE("allowed Hosts and patterns reach our endpoints - others are told how to allow themselves",
          "[integration][net]") {
  test_site site(allowing({"--allowed-host", "myapp.test", "--allowed-host", "*.example.test"}));
  const std::string port = ":" + std::to_string(site.port());
  for (const std::string& host : {"myapp.test" + port, "a.example.test" + port, "app.localhost" + port}) {
    INFO(host);
    CHECK(http_get(site.port(), "/__liveproxy/client.js", {{"Host", host}}).status == 200);
    ws_options opts;
    opts.host = host;
    opts.origin = "http://" + host;
    opts.target = "/__liveproxy/ws?token=" + token_in(http_get(site.port(), "/", {{"Host", host}}).body);
    ws_client ws(site.port(), opts);
    CHECK(ws.handshake_status() == 101);
  }
  for (const std::string& host : {"example.test" + port, "evil.example" + port}) {
    INFO(host);
    const auto res = http_get(site.port(), "/__liveproxy/client.js", {{"Host", host}});
    CHECK(res.status == 403);
    const auto name = host.substr(0, host.find(':'));
    CHECK(res.body.find("start liveproxy with --allowed-host " + name + " ") != std::string::npos);
    CHECK(res.body.find("\"allowed_hosts\" in liveproxy.json") != std::string::npos);
  }
}

TEST_CASE("an allowed Host sees a crashed app's output - a refused one is told how to allow itself",
          "[integration][net]") {
  site_options opts = allowing({"--allowed-host", "myapp.test"});
  opts.command = {"/bin/sh", "-c", "echo the-traceback-line; exit 1"};
  opts.wait_for_app = false;
  test_site site(opts);
  REQUIRE(site.proxy().proc().wait_for_output("waiting for a file change", 10s));
  const auto allowed = http_get(site.port(), "/", {{"Host", "myapp.test"}, {"Accept", "text/html"}});
  CHECK(allowed.status == 502);
  CHECK(allowed.body.find("the-traceback-line") != std::string::npos);
  const auto refused = http_get(site.port(), "/", {{"Host", "other.test"}, {"Accept", "text/html"}});
  CHECK(refused.status == 502);
  CHECK(refused.body.find("the-traceback-line") == std::string::npos);
  CHECK(refused.body.find("--allowed-host other.test") != std::string::npos);
}

TEST_CASE("allowed_hosts in liveproxy.json: applied, and a bad entry is named by file, line and column",
          "[integration][fs][net]") {
  temp_dir dir("liveproxy-allowed");
  write_file(dir / "index.html", "<!doctype html><title>x</title>\n");
  write_file(dir / "liveproxy.json", "{\n  \"serve\": \".\",\n  \"allowed_hosts\": [\"myapp.test\"]\n}\n");
  process_options in_dir;
  in_dir.cwd = dir.path().string();
  {
    liveproxy_process proxy({"--port", "0"}, in_dir);
    CHECK(http_get(proxy.port(), "/__liveproxy/client.js", {{"Host", "myapp.test"}}).status == 200);
    CHECK(http_get(proxy.port(), "/__liveproxy/client.js", {{"Host", "other.test"}}).status == 403);
  }
  write_file(dir / "liveproxy.json", "{\n  \"serve\": \".\",\n  \"allowed_hosts\": [\"ok.test\", \"http://bad.test\"]\n}\n");
  process bad({LIVEPROXY_BINARY, "--port", "0"}, in_dir);
  const auto status = bad.wait_exit(10s);
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) == 2);
  CHECK(bad.output().find("liveproxy.json:3:32: \"allowed_hosts[1]\": 'http://bad.test' is not a host name") !=
        std::string::npos);
}
