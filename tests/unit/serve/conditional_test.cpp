// Validators, HTTP dates, RFC 9110 preconditions and Range parsing, as tables.
#include "proxy/serve/conditional.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace liveproxy;

namespace {

constexpr std::time_t rfc_example = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

}  // namespace

TEST_CASE("the ETag is strong and changes with inode, size and nanosecond mtime", "[unit][serve]") {
  struct stat st {};
  st.st_ino = 0x1f;
  st.st_size = 0x800;
  st.st_mtim.tv_sec = 1;
  st.st_mtim.tv_nsec = 5;
  const auto tag = make_etag(st);
  CHECK(tag == "\"1f-800-3b9aca05\"");

  auto renamed = st;
  renamed.st_ino = 0x20;
  auto grown = st;
  grown.st_size = 0x801;
  auto touched = st;
  touched.st_mtim.tv_nsec = 6;
  CHECK(make_etag(renamed) != tag);
  CHECK(make_etag(grown) != tag);
  CHECK(make_etag(touched) != tag);
}

TEST_CASE("http_date writes IMF-fixdate in UTC", "[unit][serve]") {
  CHECK(http_date(rfc_example) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
  CHECK(http_date(2147483648) == "Tue, 19 Jan 2038 03:14:08 GMT");
  CHECK(http_date(-1) == "Thu, 01 Jan 1970 00:00:00 GMT");  // no real date: the epoch
}

TEST_CASE("parse_http_date reads all three forms and refuses near misses", "[unit][serve]") {
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == rfc_example);
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == rfc_example);
  CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == rfc_example);
  CHECK(parse_http_date("  Sun, 06 Nov 1994 08:49:37 GMT ") == rfc_example);
  CHECK(parse_http_date("Thursday, 01-Jan-04 00:00:00 GMT") == 1072915200);
  CHECK(parse_http_date("Mon Nov 16 08:49:37 1994") == rfc_example + 10 * 86400);

  for (const auto bad : {"", "garbage", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37",
                         "Sun, 6 Nov 1994 08:49:37 GMT", "sun, 06 nov 1994 08:49:37 GMT",
                         "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
                         "Sun, 06 Nov 1994 08:60:00 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
                         "Sun, 06 Nov 1994 08:49:37 GMTx", "Sun, 06 Nov 94 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
                         "1994-11-06T08:49:37Z", "784111777"}) {
    INFO("date: " << bad);
    CHECK_FALSE(parse_http_date(bad));
  }
}

TEST_CASE("http_date and parse_http_date round-trip", "[unit][serve]") {
  for (const std::time_t t : {std::time_t{0}, rfc_example, std::time_t{951782399}, std::time_t{1709164800},
                              std::time_t{1735689599}, std::time_t{2147483647}, std::time_t{4102444800}}) {
    INFO("t: " << t);
    CHECK(parse_http_date(http_date(t)) == t);
  }
}

TEST_CASE("not_modified follows RFC 9110 13.2.2", "[unit][serve]") {
  const std::string etag = "\"abc\"";
  const auto m = rfc_example;
  struct row {
    const char* inm;
    std::string ims;
    bool expected;
  };
  const std::vector<row> rows{
      {"", "", false},
      {"\"abc\"", "", true},
      {"W/\"abc\"", "", true},  // weak comparison
      {"\"x\", \"abc\"", "", true},
      {"\"x\",W/\"abc\"", "", true},
      {" \"abc\" ", "", true},
      {"*", "", true},
      {"\"x\"", "", false},
      {"\"ab\"", "", false},
      {"abc", "", false},  // unquoted: not an entity tag
      {"\"x\" \"abc\"", "", false},  // malformed list: nothing after the first element is trusted
      // If-None-Match decides alone, even when If-Modified-Since would match.
      {"\"x\"", http_date(m), false},
      {"\"abc\"", http_date(m - 10), true},
      {"", http_date(m), true},
      {"", http_date(m + 1), true},
      {"", http_date(m - 1), false},
      {"", "Sunday, 06-Nov-94 08:49:37 GMT", true},
      {"", "garbage", false},
  };
  for (const auto& r : rows) {
    INFO("If-None-Match: " << r.inm << " | If-Modified-Since: " << r.ims);
    CHECK(not_modified(r.inm, r.ims, etag, m) == r.expected);
  }
  CHECK(not_modified("\"abc\"", "", "W/\"abc\"", m));  // our tag weak: still a weak match
  CHECK_FALSE(not_modified("*", "", "", m));          // nothing to compare with
}

TEST_CASE("if_range_allows uses strong comparison or an exact date", "[unit][serve]") {
  const std::string etag = "\"abc\"";
  const auto m = rfc_example;
  CHECK(if_range_allows("", etag, m));
  CHECK(if_range_allows("\"abc\"", etag, m));
  CHECK(if_range_allows(" \"abc\" ", etag, m));
  CHECK_FALSE(if_range_allows("W/\"abc\"", etag, m));
  CHECK_FALSE(if_range_allows("\"abc\"", "W/\"abc\"", m));
  CHECK_FALSE(if_range_allows("\"x\"", etag, m));
  CHECK_FALSE(if_range_allows("\"abc\", \"x\"", etag, m));  // one validator, not a list
  CHECK(if_range_allows(http_date(m), etag, m));
  CHECK_FALSE(if_range_allows(http_date(m - 1), etag, m));
  CHECK_FALSE(if_range_allows(http_date(m + 1), etag, m));
  CHECK_FALSE(if_range_allows("garbage", etag, m));
}

namespace {

struct range_case {
  std::string header;
  std::uint64_t size;
  range_result expected;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

const char* name(range_result r) {
  switch (r) {
    case range_result::none: return "none";
    case range_result::single: return "single";
    case range_result::unsatisfiable: return "unsatisfiable";
  }
  return "?";
}

}  // namespace

TEST_CASE("parse_range: one range served, anything doubtful answered whole", "[unit][serve]") {
  using enum range_result;
  const std::vector<range_case> cases{
      {"", 1000, none},
      {"bytes=0-499", 1000, single, 0, 499},
      {"bytes=500-", 1000, single, 500, 999},
      {"bytes=-200", 1000, single, 800, 999},
      {"bytes=-2000", 1000, single, 0, 999},  // suffix longer than the file: all of it
      {"bytes=-1000", 1000, single, 0, 999},
      {"bytes=0-0", 1000, single, 0, 0},
      {"bytes=999-999", 1000, single, 999, 999},
      {"bytes=999-", 1000, single, 999, 999},
      {"bytes=0-5000", 1000, single, 0, 999},  // last past the end: clipped
      {"bytes=0-99999999999999999999999", 1000, single, 0, 999},
      {"bytes=1000-", 1000, unsatisfiable},
      {"bytes=1000-2000", 1000, unsatisfiable},
      {"bytes=99999999999999999999999-", 1000, unsatisfiable},
      {"bytes=-0", 1000, unsatisfiable},
      {"bytes=5-3", 1000, none},  // invalid, so ignored (RFC 9110 14.1.1), not 416
      {"bytes=0-1,5-6", 1000, none},
      {"bytes=0-1,2000-", 1000, none},
      {"bytes=1000-,2000-3000,-0", 1000, unsatisfiable},
      {"bytes=0-1,", 1000, single, 0, 1},
      {"bytes=,0-1,,", 1000, single, 0, 1},
      {" bytes = 10-20 ", 1000, single, 10, 20},
      {"bytes=10-20 , ", 1000, single, 10, 20},
      {"Bytes=0-1", 1000, single, 0, 1},
      {"BYTES=0-1", 1000, single, 0, 1},
      {"items=0-1", 1000, none},
      {"bytes", 1000, none},
      {"bytes=", 1000, none},
      {"bytes=,", 1000, none},
      {"bytes=-", 1000, none},
      {"bytes=abc", 1000, none},
      {"bytes=1-2-3", 1000, none},
      {"bytes=1 - 2", 1000, none},
      {"bytes=+1-2", 1000, none},
      {"bytes=0x10-", 1000, none},
      {"bytes=0-1;", 1000, none},
      {"bytes=0-1,5-3", 1000, none},
      {"bytesx=0-1", 1000, none},
      // An empty file is always sent whole (200 with no body).
      {"bytes=0-", 0, none},
      {"bytes=-5", 0, none},
      {"bytes=5-", 0, none},
      {"bytes=0-", 1, single, 0, 0},
      {"bytes=-1", 1, single, 0, 0},
      {"bytes=-5", 1, single, 0, 0},
      {"bytes=1-", 1, unsatisfiable},
      {"bytes=3000000-", 3145728, single, 3000000, 3145727},
  };
  for (const auto& c : cases) {
    INFO("Range: " << c.header << " | size " << c.size);
    byte_range r{12345, 12345};
    const auto result = parse_range(c.header, c.size, r);
    CHECK(std::string(name(result)) == name(c.expected));
    if (result == single && c.expected == single) {
      CHECK(r.first == c.first);
      CHECK(r.last == c.last);
    }
  }
}
