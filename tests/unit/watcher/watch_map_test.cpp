// The inotify backend's watch bookkeeping: subtrees, re-pathing on moves, stale descriptors.
#include "watcher/watch_map.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using liveproxy::watcher::watch_map;

namespace {

watch_map sample() {
  watch_map m;
  m.remember(1, 0, "", "/r");
  m.remember(2, 0, "pkg", "/r/pkg");
  m.remember(3, 0, "pkg/deep", "/r/pkg/deep");
  m.remember(4, 0, "pkg/deep/er", "/r/pkg/deep/er");
  m.remember(5, 0, "pkg-x", "/r/pkg-x");  // sorts between "/r/pkg" and "/r/pkg/"
  m.remember(6, 0, "pkgs", "/r/pkgs");
  return m;
}

std::vector<int> sorted(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("watch_map subtree is the directory and everything below it and nothing else", "[unit][watcher]") {
  const watch_map m = sample();
  const auto sub = m.subtree("/r/pkg");
  REQUIRE_FALSE(sub.empty());
  CHECK(sub.front() == 2);
  CHECK(sorted(sub) == std::vector<int>{2, 3, 4});
  CHECK(sorted(m.subtree("/r")) == std::vector<int>{1, 2, 3, 4, 5, 6});
  CHECK(m.subtree("/r/none").empty());
}

TEST_CASE("watch_map move re-paths every descendant in place", "[unit][watcher]") {
  watch_map m = sample();
  const auto wds = m.subtree("/r/pkg");
  m.move(wds, "/r/pkg", "/r/lib/app", 0, "lib/app");
  REQUIRE(m.find(4) != nullptr);
  CHECK(m.find(4)->abs == "/r/lib/app/deep/er");
  CHECK(m.find(4)->rel == "lib/app/deep/er");
  CHECK(m.find(2)->rel == "lib/app");
  CHECK(m.find(5)->abs == "/r/pkg-x");
  CHECK(m.subtree("/r/pkg").empty());
  CHECK(sorted(m.subtree("/r/lib/app")) == std::vector<int>{2, 3, 4});
  CHECK(m.contains_path("/r/lib/app/deep"));
  CHECK_FALSE(m.contains_path("/r/pkg/deep"));
  CHECK(m.size() == 6);
}

TEST_CASE("watch_map move to another root changes the root of the moved watches", "[unit][watcher]") {
  watch_map m = sample();
  m.remember(7, 1, "", "/other");
  m.move(m.subtree("/r/pkg/deep"), "/r/pkg/deep", "/other/deep", 1, "deep");
  CHECK(m.find(3)->root == 1);
  CHECK(m.find(4)->rel == "deep/er");
  CHECK(m.find(2)->root == 0);
  CHECK(sorted(m.of_root(1)) == std::vector<int>{3, 4, 7});
}

TEST_CASE("watch_map forgetting a stale descriptor keeps the path of the newer one", "[unit][watcher]") {
  watch_map m = sample();
  // The directory was replaced under the same name before the old watch's IN_IGNORED arrived.
  m.remember(9, 0, "pkg", "/r/pkg");
  m.forget(2);
  CHECK(m.contains_path("/r/pkg"));
  CHECK(m.subtree("/r/pkg").front() == 9);
  CHECK(m.find(2) == nullptr);
}

TEST_CASE("watch_map keeps directories watched only for extra files out of the roots", "[unit][watcher]") {
  watch_map m = sample();
  m.remember_extra(3, "/r/pkg/deep", "settings.py");
  m.remember_extra(8, "/elsewhere", "lib.py");
  CHECK(m.find(8)->root == -1);
  CHECK(m.find(8)->extra_names.contains("lib.py"));
  CHECK(m.find(3)->root == 0);
  CHECK(m.find(3)->extra_names.contains("settings.py"));
}
