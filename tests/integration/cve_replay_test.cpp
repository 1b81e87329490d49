// The attacks behind the dev-server CVEs of 2025, replayed against liveproxy; each must fail.
// - CVE-2025-24010 (Vite): DNS rebinding. A page on evil.example, whose name then resolves to 127.0.0.1,
//   talks to the dev server with Host and Origin evil.example (same-origin to the browser) and reads what
//   it serves: our endpoints, the status page, the error page with the app's output.
// - CVE-2025-30359 / CVE-2025-30360 (webpack-dev-server): a malicious site opens the dev server's WebSocket
//   (its Origin check let IP-address origins through) and follows the developer's edits; or loads the dev
//   server's scripts into its own page.
#include "support/http_client.hpp"
#include "support/raw_client.hpp"
#include "support/script_tag.hpp"
#include "support/test_site.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

TEST_CASE("CVE-2025-24010 replay: a rebinding Host gets none of our endpoints, sockets or the app's output",
          "[integration][net]") {
  site_options opts;
  opts.command = {"/bin/sh", "-c", "echo SECRET_API_KEY=sk-live-31337; exit 1"};
  opts.wait_for_app = false;
  test_site site(opts);
  REQUIRE(site.proxy().proc().wait_for_output("waiting for a file change", 10s));
  const std::string port = std::to_string(site.port());
  for (const std::string& host : std::vector<std::string>{"evil.example:" + port, "evil.example", "127.0.0.1.evil.example:" + port,
                                                          "localhost.evil.example:" + port, "[::ffff:7f00:1]:" + port}) {
    INFO("Host: " << host);
    const header_list rebinding{{"Host", host}, {"Origin", "http://" + host}, {"Accept", "text/html"}};
    for (const char* target : {"/__liveproxy/", "/__liveproxy/status.json", "/__liveproxy/status.js",
                               "/__liveproxy/client.js", "/livereload.js", "/__liveproxy/ws", "/__liveproxy/status"}) {
      INFO(target);
      const auto res = http_get(site.port(), target, rebinding);
      CHECK(res.status == 403);
      CHECK(res.body.find("sk-live-31337") == std::string::npos);
    }
    http_client post(site.port());
    CHECK(post.request(boost::beast::http::verb::post, "/__liveproxy/restart", rebinding).status == 403);
    for (const char* socket : {"/__liveproxy/ws", "/__liveproxy/status", "/livereload"}) {
      ws_options w;
      w.host = host;
      w.origin = "http://" + host;
      w.target = socket;
      ws_client ws(site.port(), w);
      CHECK(ws.handshake_status() == 403);
    }
    // The app's own pages still go through (the app decides about its Host), but the error page, which
    // holds the app's output, tells the rebinding page nothing.
    const auto page = http_get(site.port(), "/", rebinding);
    CHECK(page.status == 502);
    CHECK(page.body.find("sk-live-31337") == std::string::npos);
    CHECK(page.body.find("/bin/sh") == std::string::npos);
    CHECK(count_injected(page.body) == 0);
  }
}

TEST_CASE("CVE-2025-30359/30360 replay: a foreign site cannot open our sockets nor load our files into its page",
          "[integration][net]") {
  test_site site;
  const std::string port = std::to_string(site.port());
  const auto token = token_in(http_get(site.port(), "/").body);
  REQUIRE(token.size() == 32);
  // Even with the right token (which a foreign page cannot read), and IP-address origins included.
  for (const std::string& origin : std::vector<std::string>{"http://evil.example", "https://evil.example",
                                                            "http://192.168.1.10:" + port, "http://10.0.0.1",
                                                            "http://[fd00::1]:" + port, "null", "file://"}) {
    INFO("Origin: " << origin);
    for (const std::string& socket : std::vector<std::string>{"/__liveproxy/ws?token=" + token, "/__liveproxy/status?token=" + token,
                                                              "/livereload"}) {
      ws_options w;
      w.origin = origin;
      w.target = socket;
      ws_client ws(site.port(), w);
      INFO(socket);
      CHECK(ws.handshake_status() == 403);
    }
  }
  // A <script> of a foreign page loading our client or status script: refused by the browser (CORP).
  for (const char* script : {"/__liveproxy/client.js", "/__liveproxy/status.js"}) {
    const auto res = http_get(site.port(), script);
    CHECK(res.header("Cross-Origin-Resource-Policy") == "same-origin");
    CHECK(res.count("Access-Control-Allow-Origin") == 0);
  }
}
