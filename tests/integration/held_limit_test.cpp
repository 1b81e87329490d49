// Requests held while the app restarts are bounded (--max-held): past the limit, 503 with Retry-After at
// once; those held are all served once the app is back.
#include "support/http_client.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"

#include <simdjson.h>

#include <catch2/catch.hpp>

#include <future>
#include <string>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

/// Requests held now, from the status snapshot.
long held_now(unsigned short port) {
  const auto res = http_get(port, "/__liveproxy/status.json");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (res.status != 200 || parser.parse(res.body).get(doc) != simdjson::SUCCESS) return -1;
  int64_t held = -1;
  return doc["held"].get(held) == simdjson::SUCCESS ? static_cast<long>(held) : -1;
}

}  // namespace

TEST_CASE("past --max-held, requests get 503 with Retry-After at once and the held ones are served",
          "[integration][fs][net]") {
  site_options opts;
  opts.proxy_args = {"--max-held", "5"};
  opts.start_delay_seconds = 3;  // each run takes 3 s to listen
  test_site site(opts);
  const auto pid = site.app_pid(15s);
  REQUIRE(pid);
  site.append("greeting.py", "\n# edited\n");
  REQUIRE(wait_until([&] { return site.was_stopped(*pid); }, 10s));

  std::vector<std::future<http_response>> held;
  for (int i = 0; i < 5; ++i)
    held.push_back(std::async(std::launch::async, [&] { return http_get(site.port(), "/greeting", {}, 20s); }));
  REQUIRE(wait_until([&] { return held_now(site.port()) == 5; }, 5s));

  const auto refused = http_get(site.port(), "/greeting");
  CHECK(refused.status == 503);
  CHECK(refused.header("Retry-After") == "2");
  CHECK(refused.body.find("--max-held") != std::string::npos);
  CHECK(refused.elapsed < 1s);
  for (auto& f : held) CHECK(f.get().status == 200);
  // Room again once they are released.
  CHECK(http_get(site.port(), "/greeting").status == 200);
}
