// Requests cut when the app goes away under them (issue 21, item 8): an idempotent request the app closed or reset
// before a byte of answer is held and sent again once it is back. In front of Django's runserver with its own
// reloader (--upstream), on a loaded machine; and under wrk's 32 connections through a 2-second stop of the app.
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

/// Two busy loops, as the issue's "machine loaded": stopped with the test.
struct load {
  process a{{"/bin/sh", "-c", "exec yes >/dev/null"}};
  process b{{"/bin/sh", "-c", "exec yes >/dev/null"}};
};

void write(const std::filesystem::path& file, const std::string& text) { std::ofstream(file) << text; }

std::string urls_py(int version) {
  return "from django.http import HttpResponse\n"
         "from django.urls import path\n"
         "urlpatterns = [path('', lambda request: HttpResponse('version " +
         std::to_string(version) + "'))]\n";
}

std::size_t cuts(const test_site& site) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(site.state_dir()))
    n += e.path().filename().string().rfind("cut.", 0) == 0;
  return n;
}

}  // namespace

TEST_CASE("an answer cut inside its header goes again if the request may - else it is a 502", "[integration][retry]") {
  site_options opts;
  opts.command = {"/usr/bin/python3", "misbehaving_app.py", "{port}"};
  opts.wait_for_app = false;
  test_site site(opts);
  REQUIRE(wait_until([&] { return http_get(site.port(), "/ready", {}, 2s).status == 200; }, 15s, 50ms));

  // Runserver's reloader stops the old process between the status line and the header fields it writes
  // separately: nothing reached the browser, so a GET goes again.
  const auto get = http_client(site.port()).get("/half-header?n=1");
  INFO(get.error << get.body);
  CHECK(get.status == 200);
  CHECK(get.body == "/half-header?n=1");
  CHECK(cuts(site) == 1);

  // A POST may have done its work: it is not sent twice.
  const auto post = http_client(site.port()).request(boost::beast::http::verb::post, "/half-header?n=1&post");
  INFO(post.body);
  CHECK(post.status == 502);
  CHECK(post.body.find("without a complete response") != std::string::npos);
  CHECK(cuts(site) == 2);

  // An app that stays up and cuts every answer is not going away: a few tries, then a 502.
  const auto always = http_client(site.port()).get("/half-header?n=1000");
  INFO(always.body);
  CHECK(always.status == 502);
  CHECK(cuts(site) >= 4);
  CHECK(cuts(site) <= 8);
}

TEST_CASE("30 requests across Django's own reloader on a loaded machine are all answered", "[integration][retry]") {
  temp_dir dir("liveproxy-retry-django");
  process make({"/usr/bin/python3", "-m", "django", "startproject", "mysite", "."}, process_options{dir.path(), {}, ""});
  REQUIRE(make.wait_exit(30s) == std::optional<int>(0));
  write(dir / "mysite/urls.py", urls_py(1));
  const auto app_port = free_port();
  // runserver with its own autoreloader (the user's own command: liveproxy only follows it).
  process app({"/usr/bin/python3", "manage.py", "runserver", "127.0.0.1:" + std::to_string(app_port)},
              process_options{dir.path(), {{"PYTHONUNBUFFERED", "1"}}, "runserver"});
  liveproxy_process proxy({"--port", "0", "--upstream", "http://127.0.0.1:" + std::to_string(app_port), "--watch",
                           dir.path().string()},
                          process_options{dir.path(), {}, ""});
  REQUIRE(wait_until([&] { return http_client(proxy.port()).get("/").body.starts_with("version 1"); }, 30s));
  load busy;
  for (int round = 2; round <= 3; ++round) {
    // Django's StatReloader notes each module's mtime at its once-a-second scan: an edit before the scan that
    // first sees urls.py (imported by the first request) would go unnoticed by it.
    std::this_thread::sleep_for(2500ms);
    // The edit, and 30 requests spread over the next second and a half: some reach the old process as its
    // reloader stops it.
    write(dir / "mysite/urls.py", urls_py(round));
    std::vector<std::thread> clients;
    std::atomic<int> ok{0};
    std::vector<std::string> failures(30);
    for (int i = 0; i < 30; ++i) {
      clients.emplace_back([&, i] {
        std::this_thread::sleep_for(std::chrono::milliseconds(i * 50));
        const auto res = http_client(proxy.port(), 30s).get("/");
        if (res.status == 200) ++ok;
        else failures[i] = std::to_string(res.status) + " " + res.error + " " + res.body.substr(0, 200);
      });
    }
    for (auto& t : clients) t.join();
    std::string failed;
    for (const auto& f : failures)
      if (!f.empty()) failed += f + "\n";
    INFO("round " << round << ": " << failed);
    CHECK(ok == 30);
    CHECK(wait_until([&] { return http_client(proxy.port()).get("/").body.starts_with("version " + std::to_string(round)); },
                     30s));
  }
}

TEST_CASE("wrk with 32 connections through a 2 s stop of the app sees no error", "[integration][retry]") {
  const auto app_port = free_port();
  const std::string server = R"(
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
s.daemon_threads = True
print("listening", flush=True)
s.serve_forever()
)";
  auto start_app = [&] {
    return std::make_unique<process>(std::vector<std::string>{"/usr/bin/python3", "-c", server, std::to_string(app_port)});
  };
  auto app = start_app();
  REQUIRE(app->wait_for_output("listening", 10s));
  temp_dir dir;
  liveproxy_process proxy({"--port", "0", "--upstream", "http://127.0.0.1:" + std::to_string(app_port), "--watch",
                           dir.path().string(), "--quiet"});
  REQUIRE(wait_until([&] { return http_client(proxy.port()).get("/").status == 200; }, 10s));
  process wrk({"wrk", "-t2", "-c32", "-d6s", "--timeout", "10s", proxy.url() + "/"});
  std::this_thread::sleep_for(1500ms);
  app.reset();  // stopped: SIGTERM to its group, and gone
  std::this_thread::sleep_for(2s);
  app = start_app();
  REQUIRE(app->wait_for_output("listening", 10s));
  REQUIRE(wrk.wait_exit(30s) == std::optional<int>(0));
  const auto out = wrk.output();
  INFO(out);
  std::smatch m;
  REQUIRE(std::regex_search(out, m, std::regex(R"((\d+) requests in)")));
  CHECK(std::stol(m[1]) > 1000);
  CHECK(out.find("Non-2xx") == std::string::npos);
  CHECK(out.find("Socket errors") == std::string::npos);
}
