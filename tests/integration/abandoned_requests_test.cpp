// A browser that gives up while its request waits (held during a restart, or on a slow app) is noticed:
// the request to the app and both sockets are dropped within seconds, not kept for the app's 600 s timeout.
#include "support/http_client.hpp"
#include "support/proc_stats.hpp"
#include "support/raw_client.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

constexpr int clients = 20;

/// Sends `request` on `clients` connections, waits until `arrived()` says the proxy has them all waiting,
/// then closes every connection. Returns the proxy's descriptor count while they waited.
template <typename Arrived>
std::size_t abandon(test_site& site, const std::string& request, Arrived arrived) {
  std::vector<std::unique_ptr<raw_client>> waiting;
  for (int i = 0; i < clients; ++i) {
    waiting.push_back(std::make_unique<raw_client>(site.port()));
    REQUIRE(waiting.back()->connected());
    REQUIRE(waiting.back()->send(request));
  }
  REQUIRE(wait_until(arrived, 10s));
  const auto during = open_fds(site.proxy().proc().pid());
  // Nobody has answered them: they are really waiting.
  for (auto& c : waiting) CHECK(c->received().empty());
  waiting.clear();
  return during;
}

}  // namespace

TEST_CASE("requests abandoned while the app is slow are dropped with their sockets", "[integration][net]") {
  site_options opts;
  opts.command = {"/usr/bin/python3", "misbehaving_app.py", "{port}"};
  opts.wait_for_app = false;
  test_site site(opts);
  REQUIRE(wait_until([&] { return http_get(site.port(), "/ready", {}, 2s).status == 200; }, 15s, 50ms));
  const pid_t proxy = site.proxy().proc().pid();
  const auto before = open_fds(proxy);

  auto hanging = [&] {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(site.state_dir()))
      n += e.path().filename().string().rfind("hanging.", 0) == 0;
    return n == clients;
  };
  const auto during = abandon(site, "GET /hang HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", hanging);
  INFO("descriptors: " << before << " before, " << during << " while waiting");
  CHECK(during >= before + clients);  // their browser sockets at least (app sockets may be pooled ones)
  // The watchdog looks every second once it wakes (within 5 s): well before the app's 600 s timeout.
  CHECK(wait_until([&] { return open_fds(proxy) <= before + 1; }, 15s, 100ms));
  INFO("after: " << open_fds(proxy));
  // The proxy still serves.
  CHECK(http_get(site.port(), "/after").body == "/after");
}

TEST_CASE("requests abandoned while held for a starting app are dropped", "[integration][net]") {
  site_options opts;
  opts.command = {"/usr/bin/python3", "-c", "import time; print('never listening', flush=True); time.sleep(60)"};
  opts.proxy_args = {"--hold-timeout", "60", "--start-timeout", "60"};
  opts.wait_for_app = false;
  test_site site(opts);
  REQUIRE(site.proxy().proc().wait_for_output("never listening", 10s));
  const pid_t proxy = site.proxy().proc().pid();
  const auto before = open_fds(proxy);

  const auto during = abandon(site, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                              [&] { return open_fds(proxy) >= before + clients; });
  INFO("descriptors: " << before << " before, " << during << " while held");
  CHECK(wait_until([&] { return open_fds(proxy) <= before + 1; }, 15s, 100ms));
  INFO("after: " << open_fds(proxy));
}
