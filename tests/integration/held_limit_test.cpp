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

/// A number from the status snapshot ("held", or "run" of "app"), or -1.
long status_number(unsigned short port, const char* key, const char* in = nullptr) {
  const auto res = http_get(port, "/__liveproxy/status.json");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (res.status != 200 || parser.parse(res.body).get(doc) != simdjson::SUCCESS) return -1;
  int64_t value = -1;
  const auto where = in ? doc[in][key] : doc[key];
  return where.get(value) == simdjson::SUCCESS ? static_cast<long>(value) : -1;
}

long held_now(unsigned short port) { return status_number(port, "held"); }

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
  // The second run has been started (it takes 3 s to listen): from now on requests are held.
  REQUIRE(wait_until([&] { return status_number(site.port(), "run", "app") == 2; }, 10s));

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
