// live_waits: when GET /__liveproxy/wait is answered, stepped with a fake clock and the watcher's counts.
#include "proxy/status/live_waits.hpp"

#include <catch2/catch.hpp>

using namespace liveproxy;
using namespace std::chrono_literals;

namespace {
const live_waits::clock::time_point t0{std::chrono::seconds(1000)};
}

TEST_CASE("live_waits: nothing pending and the app settled answers at once", "[unit][wait]") {
  live_waits w;
  const auto id = w.begin(5, t0, 30s);
  REQUIRE(id);
  const auto a = w.update(5, true, t0);
  REQUIRE(a.size() == 1);
  CHECK(a[0].which == *id);
  CHECK(a[0].settled);
  CHECK(a[0].waited == 0ms);
  CHECK(w.size() == 0);
  CHECK_FALSE(w.next_due());
}

TEST_CASE("live_waits: a wait covers the changes seen when it began, and the restart they caused", "[unit][wait]") {
  live_waits w;
  // A file written just before: seen (7), not yet handed out (6).
  const auto id = w.begin(7, t0, 30s);
  CHECK(w.update(6, true, t0 + 10ms).empty());
  // Handed out: the restart closed the gate at once, so the app is not settled.
  CHECK(w.update(7, false, t0 + 40ms).empty());
  // Later changes (9) are not this wait's: it does not wait for them.
  const auto a = w.update(7, true, t0 + 90ms);
  REQUIRE(a.size() == 1);
  CHECK(a[0].which == *id);
  CHECK(a[0].settled);
  CHECK(a[0].waited == 90ms);
}

TEST_CASE("live_waits: the deadline answers unsettled, each wait its own", "[unit][wait]") {
  live_waits w;
  const auto short_one = w.begin(1, t0, 500ms);
  const auto long_one = w.begin(1, t0 + 100ms, 2s);
  CHECK(w.next_due() == t0 + 500ms);
  CHECK(w.update(0, false, t0 + 499ms).empty());
  auto a = w.update(0, false, t0 + 500ms);
  REQUIRE(a.size() == 1);
  CHECK(a[0].which == *short_one);
  CHECK_FALSE(a[0].settled);
  CHECK(a[0].waited == 500ms);
  CHECK(w.next_due() == t0 + 2100ms);
  // The app crashed (a failed gate counts as settled: the answer is the error).
  a = w.update(1, true, t0 + 700ms);
  REQUIRE(a.size() == 1);
  CHECK(a[0].which == *long_one);
  CHECK(a[0].settled);
}

TEST_CASE("live_waits: several waits are answered in the order they began", "[unit][wait]") {
  live_waits w;
  const auto a1 = w.begin(3, t0, 30s);
  const auto a2 = w.begin(4, t0 + 1ms, 30s);
  const auto a3 = w.begin(9, t0 + 2ms, 30s);
  const auto a = w.update(4, true, t0 + 5ms);
  REQUIRE(a.size() == 2);
  CHECK(a[0].which == *a1);
  CHECK(a[1].which == *a2);
  CHECK(w.size() == 1);
  w.cancel(*a3);
  CHECK(w.size() == 0);
  CHECK(w.update(9, true, t0 + 6ms).empty());
}

TEST_CASE("live_waits: at most max_waiting wait at once", "[unit][wait]") {
  live_waits w;
  for (std::size_t i = 0; i < live_waits::max_waiting; ++i) REQUIRE(w.begin(0, t0, 30s));
  CHECK_FALSE(w.begin(0, t0, 30s));
  // One answered makes room.
  CHECK(w.update(0, true, t0).size() == live_waits::max_waiting);
  CHECK(w.begin(0, t0, 30s));
}
