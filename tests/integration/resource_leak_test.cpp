// Nothing leaks across requests and restarts: the proxy holds as many descriptors afterwards as before.
#include "support/http_client.hpp"
#include "support/proc_stats.hpp"
#include "support/test_site.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

TEST_CASE("descriptors after 10,000 requests and 100 restarts equal those before", "[integration][net][limits]") {
  site_options opts;
  opts.proxy_args = {"--verbose"};  // "(run 101)": each run said
  test_site site(opts);
  const pid_t proxy = site.proxy().proc().pid();
  for (int i = 0; i < 5; ++i) REQUIRE(http_get(site.port(), "/").status == 200);
  const auto before = settled_open_fds(proxy);

  constexpr int restarts = 100;
  constexpr int clients = 4;
  constexpr int per_client_per_round = 25;  // 100 rounds x 4 clients x 25 = 10,000 requests
  std::vector<std::unique_ptr<http_client>> browsers;
  for (int i = 0; i < clients; ++i) browsers.push_back(std::make_unique<http_client>(site.port()));
  int failures = 0;
  std::string first_failure;
  for (int round = 0; round < restarts; ++round) {
    // Same-origin (no Origin header): the restart endpoint accepts it. The requests that follow are held
    // while the app restarts, then answered by the new run.
    const auto restart = browsers[0]->request(boost::beast::http::verb::post, "/__liveproxy/restart");
    if (restart.status != 202) ++failures;
    for (int n = 0; n < per_client_per_round; ++n)
      for (auto& b : browsers) {
        const auto res = b->get(n % 3 == 0 ? "/" : n % 3 == 1 ? "/pid" : "/static/site.css");
        if (res.status != 200) {
          if (first_failure.empty()) first_failure = res.error + " status " + std::to_string(res.status);
          ++failures;
        }
      }
  }
  browsers.clear();
  INFO("first failure: " << first_failure);
  CHECK(failures == 0);
  const auto after = settled_open_fds(proxy);
  INFO("descriptors: " << before << " before, " << after << " after");
  CHECK(after == before);
  CHECK(site.proxy().proc().output().find("(run 101)") != std::string::npos);
}
