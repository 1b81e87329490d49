// percent_encode_path: what may stay literal in the paths and links we write.
#include "proxy/serve/percent_encoding.hpp"

#include <catch2/catch.hpp>

using liveproxy::percent_encode_path;

TEST_CASE("only unreserved characters and '/' stay literal", "[unit][serve]") {
  CHECK(percent_encode_path("/AZaz09-._~/") == "/AZaz09-._~/");
  CHECK(percent_encode_path("/a b/\xC3\xA9?#%") == "/a%20b/%C3%A9%3F%23%25");
  // ':' would read as a scheme in a relative link; the rest would need HTML escaping in an attribute.
  CHECK(percent_encode_path("a:b&'\"<>") == "a%3Ab%26%27%22%3C%3E");
  CHECK(percent_encode_path(std::string_view("\0\x7f\xff", 3)) == "%00%7F%FF");
  CHECK(percent_encode_path("") == "");
}
