// Browser connections under abuse: idle ones cost little memory, their number is capped (accepting pauses),
// failed accepts are reported without flooding the terminal, and the idle and header timeouts apply.
#include "support/http_client.hpp"
#include "support/nofile.hpp"
#include "support/proc_stats.hpp"
#include "support/raw_client.hpp"
#include "support/sanitizers.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

std::vector<std::unique_ptr<raw_client>> open_idle(unsigned short port, std::size_t n) {
  std::vector<std::unique_ptr<raw_client>> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(std::make_unique<raw_client>(port));
    if (!out.back()->connected()) FAIL("connection " << i << " failed");
  }
  return out;
}

/// Waits until the proxy's resident memory stops growing (its sessions have all reached their idle wait).
std::size_t settled_rss(pid_t pid) {
  std::size_t last = rss_bytes(pid);
  for (int stable = 0, i = 0; stable < 3 && i < 100; ++i) {
    std::this_thread::sleep_for(100ms);
    const auto now = rss_bytes(pid);
    stable = now == last ? stable + 1 : 0;
    last = now;
  }
  return last;
}

}  // namespace

TEST_CASE("10,000 idle browser connections cost under 100 MB", "[integration][net][limits]") {
  SKIP_UNDER_SANITIZERS("a memory budget of the release build (jemalloc), not of ASan's allocator");
  constexpr std::size_t connections = 10'000;
  // This process holds one end of each connection, the proxy the other: both need the descriptors.
  REQUIRE(scoped_nofile::hard() >= connections + 200);
  scoped_nofile nofile(connections + 200);
  site_options opts;
  opts.proxy_args = {"--max-connections", std::to_string(connections + 100)};
  test_site site(opts);
  const pid_t proxy = site.proxy().proc().pid();
  // Warm up: a few real requests, so the baseline includes what serving costs once.
  for (int i = 0; i < 5; ++i) REQUIRE(http_get(site.port(), "/").status == 200);
  const auto base_fds = settled_open_fds(proxy);
  const auto base_rss = settled_rss(proxy);

  const auto idle = open_idle(site.port(), connections);
  REQUIRE(wait_until([&] { return open_fds(proxy) >= base_fds + connections; }, 60s, 50ms));
  const auto rss = settled_rss(proxy);
  const double per_connection = static_cast<double>(rss - base_rss) / connections;
  INFO("RSS " << base_rss / 1024 << " KiB before, " << rss / 1024 << " KiB with " << connections
              << " idle connections: " << per_connection << " bytes each");
  CHECK(rss < 100u * 1024 * 1024);
  CHECK(per_connection < 8 * 1024);
  // And the proxy still answers while they sit there.
  CHECK(http_get(site.port(), "/pid").status == 200);
}

TEST_CASE("connections after a request give their buffers back while idle", "[integration][net][limits]") {
  SKIP_UNDER_SANITIZERS("ASan keeps freed buffers in its quarantine instead of giving them back");
  constexpr std::size_t connections = 1'000;
  // Each http_client has its own io_context (an epoll and an eventfd) besides its socket.
  scoped_nofile nofile(connections * 4 + 200);
  test_site site;
  const pid_t proxy = site.proxy().proc().pid();
  for (int i = 0; i < 5; ++i) REQUIRE(http_get(site.port(), "/").status == 200);
  const auto base_rss = settled_rss(proxy);
  std::vector<std::unique_ptr<http_client>> kept;
  for (std::size_t i = 0; i < connections; ++i) {
    kept.push_back(std::make_unique<http_client>(site.port()));
    // A page (injected, so the injection buffers were used) and a 100 KB body (the relay buffer or splice).
    REQUIRE(kept.back()->get(i % 2 ? "/" : "/bytes?n=100000").status == 200);
  }
  const auto rss = settled_rss(proxy);
  const double per_connection = static_cast<double>(rss - base_rss) / connections;
  INFO("RSS " << base_rss / 1024 << " KiB before, " << rss / 1024 << " KiB with " << connections
              << " idle kept-alive connections: " << per_connection << " bytes each");
  CHECK(per_connection < 8 * 1024);
}

TEST_CASE("at --max-connections accepting pauses until a connection closes", "[integration][net][limits]") {
  site_options opts;
  opts.proxy_args = {"--max-connections", "10"};
  test_site site(opts);
  const pid_t proxy = site.proxy().proc().pid();
  // test_site's own probe connection has closed once the count of descriptors settles.
  const auto base_fds = settled_open_fds(proxy);
  auto idle = open_idle(site.port(), 10);
  REQUIRE(wait_until([&] { return open_fds(proxy) >= base_fds + 10; }, 10s));

  raw_client waiting(site.port());
  REQUIRE(waiting.connected());  // the kernel's backlog takes it
  REQUIRE(waiting.send("GET /pid HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  CHECK(waiting.silent_for(1500ms));
  CHECK(open_fds(proxy) == base_fds + 10);
  CHECK(site.proxy().proc().output().find("10 browser connections are open (--max-connections)") != std::string::npos);

  idle.resize(5);  // five close
  INFO(waiting.received());
  CHECK(waiting.read_until("\r\n\r\n", 10s));
  CHECK(waiting.received().rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("out of descriptors, accept failures are reported once per interval, without spinning",
          "[integration][net][limits]") {
  std::unique_ptr<test_site> site;
  {
    // The proxy (and its app) start with 64 descriptors; the limit is above what they can hold.
    scoped_nofile low(64);
    site_options opts;
    opts.proxy_args = {"--max-connections", "1000"};
    site = std::make_unique<test_site>(opts);
  }
  const pid_t proxy = site->proxy().proc().pid();
  const auto cpu_before = cpu_seconds(proxy);
  auto flood = open_idle(site->port(), 100);
  REQUIRE(site->proxy().proc().wait_for_output("accept failed", 10s));
  std::this_thread::sleep_for(3s);  // failures keep coming all this time: the report must not
  const auto out = site->proxy().proc().output();
  std::size_t reports = 0;
  for (auto pos = out.find("accept failed"); pos != std::string::npos; pos = out.find("accept failed", pos + 1)) ++reports;
  INFO(out);
  CHECK(reports == 1);
  CHECK(out.find("Too many open files") != std::string::npos);
  CHECK(cpu_seconds(proxy) - cpu_before < 1.0);
  flood.clear();
  CHECK(wait_until([&] { return http_get(site->port(), "/pid", {}, 2s).status == 200; }, 15s, 100ms));
}

TEST_CASE("a header trickled byte by byte is cut off at the header timeout", "[integration][net][limits]") {
  site_options opts;
  opts.proxy_args = {"--header-timeout", "1", "--idle-timeout", "60"};
  test_site site(opts);
  raw_client slow(site.port());
  REQUIRE(slow.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() - start < 20s) {
    slow.send("X");
    closed = slow.wait_closed(300ms);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  INFO("closed after " << took.count() << " ms");
  CHECK(closed);
  // The deadline is kept within the watchdog's 5 s slack: far from the 60 s idle timeout.
  CHECK(took < 8s);
}

TEST_CASE("the idle timeout applies only until a request's first byte", "[integration][net][limits]") {
  site_options opts;
  opts.proxy_args = {"--idle-timeout", "1", "--header-timeout", "60"};
  test_site site(opts);

  SECTION("a connection that sends nothing is closed") {
    raw_client idle(site.port());
    CHECK(idle.wait_closed(10s));
  }
  SECTION("a slow header longer than the idle timeout is still served") {
    raw_client slow(site.port());
    const std::string request = "GET /pid HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    // 8 s for the whole header: longer than the idle timeout and the watchdog's slack together.
    for (std::size_t i = 0; i + 1 < request.size(); ++i) {
      REQUIRE(slow.send(request.substr(i, 1)));
      CHECK(slow.silent_for(8000ms / request.size()));
    }
    REQUIRE(slow.send(request.substr(request.size() - 1)));
    INFO(slow.received());
    CHECK(slow.read_until("\r\n\r\n", 5s));
    CHECK(slow.received().rfind("HTTP/1.1 200", 0) == 0);
  }
}
