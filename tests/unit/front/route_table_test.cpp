// Routing requests among several apps: longest prefix, by path segment, the main app for the rest.
#include "proxy/front/route_table.hpp"

#include <catch2/catch.hpp>

using namespace liveproxy;

TEST_CASE("the longest route prefix that matches a path by segment wins", "[unit]") {
  route_table t;
  t.add("/", 1);
  t.add("/api/", 2);
  t.add("/api/admin", 3);
  t.add("/static/", 4);
  CHECK(t.match("/") == 1);
  CHECK(t.match("/about") == 1);
  CHECK(t.match("/api") == 2);
  CHECK(t.match("/api/") == 2);
  CHECK(t.match("/api/users/7") == 2);
  CHECK(t.match("/apix") == 1);
  CHECK(t.match("/api/admin") == 3);
  CHECK(t.match("/api/admin/login") == 3);
  CHECK(t.match("/api/administrator") == 2);
  CHECK(t.match("/static/site.css") == 4);
  CHECK(t.match("/staticfiles") == 1);
}

TEST_CASE("paths no route takes go to the main app", "[unit]") {
  route_table t;
  CHECK(t.empty());
  CHECK(t.match("/anything") == 0);
  t.add("/api/", 1);
  CHECK_FALSE(t.empty());
  CHECK(t.match("/api/x") == 1);
  CHECK(t.match("/") == 0);
  CHECK(t.match("/ap") == 0);
  // Added in any order, the longer prefix is tried first.
  t.add("/api/v2/", 2);
  CHECK(t.match("/api/v2/x") == 2);
  CHECK(t.match("/api/v1/x") == 1);
}
