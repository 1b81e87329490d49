// json::parse, the one judge of what liveproxy.json's JSON is: RFC 8259's grammar exactly, with places kept.
#include "proxy/settings/json_document.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "proxy/base/terminal_text.hpp"

using namespace liveproxy;

namespace {

json::node parsed(std::string_view text) {
  auto r = json::parse(text);
  INFO(text);
  REQUIRE(r.root);
  REQUIRE_FALSE(r.error);
  return std::move(*r.root);
}

std::string error_of(std::string_view text) {
  const auto r = json::parse(text);
  REQUIRE_FALSE(r.root);
  REQUIRE(r.error);
  return json::position_text(text, r.error->offset) + ": " + r.error->what;
}

}  // namespace

TEST_CASE("json: every value kind, with the offset where it starts", "[unit][config]") {
  const auto root = parsed(" {\"a\": [1, -2.5e3, true, false, null, \"s\"], \"b\": {}} ");
  REQUIRE(root.type == json::node::kind::object);
  CHECK(root.offset == 1);
  REQUIRE(root.members.size() == 2);
  CHECK(root.members[0].key == "a");
  CHECK(root.members[0].key_offset == 2);
  const auto& items = root.members[0].value.items;
  REQUIRE(items.size() == 6);
  CHECK(items[0].type == json::node::kind::number);
  CHECK(items[0].integral);
  CHECK(items[0].number == 1);
  CHECK(items[1].raw == "-2.5e3");
  CHECK_FALSE(items[1].integral);
  CHECK(items[1].number == -2500);
  CHECK(items[1].offset == 11);
  CHECK((items[2].type == json::node::kind::boolean && items[2].boolean));
  CHECK((items[3].type == json::node::kind::boolean && !items[3].boolean));
  CHECK(items[4].type == json::node::kind::null);
  CHECK(items[5].text == "s");
  CHECK(items[5].raw == "\"s\"");
  CHECK(root.members[1].value.type == json::node::kind::object);
  // Any value may be the whole document; the settings reader is the one that wants an object.
  CHECK(parsed("\"x\"").text == "x");
  CHECK(parsed("[]").items.empty());
}

TEST_CASE("json: numbers have no bound in the grammar, and keep the value a double can give", "[unit][config]") {
  CHECK(parsed("0e40018446744073709551616200").number == 0);
  CHECK(std::isinf(parsed("1e400").number));
  CHECK(parsed("1e400").number > 0);
  CHECK(parsed("-1e400").number < 0);
  CHECK(parsed("1e-400").number == 0);
  CHECK(parsed("123456789012345678901234567890").number == Approx(1.2345678901234568e29));
  CHECK(parsed("123456789012345678901234567890").integral);
  CHECK(parsed("-0").number == 0);
}

TEST_CASE("json: a duplicate key is kept in order for the reader to judge", "[unit][config]") {
  const auto root = parsed(R"({"a": 1, "a": 2})");
  REQUIRE(root.members.size() == 2);
  CHECK(root.members[1].value.number == 2);
}

TEST_CASE("json: the first mistake, where it is", "[unit][config]") {
  CHECK(error_of("[1,\n 2,\n]") == "2:3: a comma before ']' (JSON allows no trailing comma)");
  CHECK(error_of("{\"a\": 1e}") == "1:7: invalid number 1e");
  CHECK(error_of("[NaN]") == "1:2: expected a value, got NaN (a string needs double quotes)");
  CHECK(error_of("[Infinity]") == "1:2: expected a value, got Infinity (a string needs double quotes)");
  CHECK(error_of("[.5]") == "1:2: expected a value, got .5 (a string needs double quotes)");
  CHECK(error_of("[+1]") == "1:2: expected a value, got +1 (a string needs double quotes)");
  CHECK(error_of("[0x10]") == "1:2: invalid number 0x10");
  CHECK(error_of("[\x1b]") == "1:2: expected a value, got a control character (U+001B)");
  CHECK(error_of("[\xc2\x9b]") == "1:2: expected a value, got a control character (U+009B)");
  CHECK(error_of("[\xff]") == "1:2: expected a value, got a byte that is not UTF-8");
  CHECK(error_of("[\"a\\ud800\\u12\"]") == "1:10: \\u needs four hexadecimal digits");
}

TEST_CASE("json: nesting is bounded, so the parser's recursion is", "[unit][config]") {
  const std::string ok = std::string(json::max_depth + 1, '[') + std::string(json::max_depth + 1, ']');
  CHECK(parsed(ok).type == json::node::kind::array);
  const std::string deep = std::string(json::max_depth + 2, '[') + std::string(json::max_depth + 2, ']');
  CHECK(error_of(deep) == "1:" + std::to_string(json::max_depth + 2) + ": nested too deeply");
  // A million brackets: an error, not a stack overflow.
  CHECK(error_of(std::string(1'000'000, '[')).ends_with("nested too deeply"));
}

TEST_CASE("printable: control characters and bytes that are not UTF-8 are escaped, the rest kept", "[unit][config]") {
  CHECK(printable("plain é € 😀") == "plain é € 😀");
  CHECK(printable("a\x1b]0;title\x07" "b") == "a\\x1b]0;title\\x07b");
  CHECK(printable("line\nfake") == "line\\x0afake");
  CHECK(printable(std::string("nul\0cut", 7)) == "nul\\x00cut");
  CHECK(printable("del\x7f") == "del\\x7f");
  CHECK(printable("c1 \xc2\x9b" "2J") == "c1 \\x9b2J");
  CHECK(printable("raw \x9b") == "raw \\x9b");
  CHECK(printable("\xc2\xa0nbsp") == "\xc2\xa0nbsp");
  CHECK(printable("half \xe2\x82") == "half \\xe2\\x82");
}
