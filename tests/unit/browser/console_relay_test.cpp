#include "proxy/browser/console_relay.hpp"

#include <catch2/catch.hpp>

using namespace liveproxy;
using namespace std::chrono_literals;
using clock_type = console_relay::clock;

namespace {
console_message msg(std::string text, bool is_error = true, std::string path = "/cart") {
  return {is_error, std::move(text), "/static/app.js:3:9", std::move(path)};
}
}  // namespace

TEST_CASE("console messages are parsed from a tab's socket text", "[console]") {
  auto m = parse_console_message(
      R"({"type":"console","level":"error","message":"TypeError: x is undefined","source":"/app.js:3:9","path":"/cart"})");
  REQUIRE(m);
  CHECK(m->is_error);
  CHECK(m->message == "TypeError: x is undefined");
  CHECK(console_relay::describe(*m) == "/cart: TypeError: x is undefined (/app.js:3:9)");
  auto w = parse_console_message(R"({"type":"console","level":"warn","message":"deprecated"})");
  REQUIRE(w);
  CHECK_FALSE(w->is_error);
  CHECK(console_relay::describe(*w) == "deprecated");

  CHECK_FALSE(parse_console_message(R"({"command":"hello"})"));
  CHECK_FALSE(parse_console_message(R"({"type":"console","level":"log","message":"x"})"));
  CHECK_FALSE(parse_console_message(R"({"type":"console","level":"error","message":"x")"));
  CHECK_FALSE(parse_console_message("[1,2]"));
  CHECK_FALSE(parse_console_message(""));
}

TEST_CASE("a long console message is cut at a character boundary", "[console]") {
  std::string text(console_relay::max_field - 1, 'a');
  text += "é and more";
  auto m = parse_console_message(R"({"type":"console","level":"error","message":")" + text + R"("})");
  REQUIRE(m);
  CHECK(m->message == std::string(console_relay::max_field - 1, 'a') + "…");
  // As long as a socket message may be (not only what our client sends): cut, not dropped.
  const std::string page(12'000, 'y');
  m = parse_console_message(R"({"type":"console","level":"error","message":")" + page + R"(","path":")" + page + R"("})");
  REQUIRE(m);
  CHECK(m->message.size() < console_relay::max_field + 8);
  CHECK(m->path.size() < console_relay::max_field + 8);
}

TEST_CASE("a repeated console message is counted and its count said once quiet", "[console]") {
  console_relay r;
  const auto t0 = clock_type::time_point{} + 100s;
  auto first = r.take(msg("boom"), t0);
  REQUIRE(first.size() == 1);
  CHECK(first[0].text == "/cart: boom (/static/app.js:3:9)");
  CHECK(first[0].is_error);
  for (int i = 1; i <= 12; ++i) CHECK(r.take(msg("boom"), t0 + i * 100ms).empty());
  REQUIRE(r.next_due());
  CHECK(*r.next_due() == t0 + 1200ms + console_relay::repeat_window);
  CHECK(r.tick(t0 + 1200ms + console_relay::repeat_window - 1ms).empty());
  auto summary = r.tick(t0 + 1200ms + console_relay::repeat_window);
  REQUIRE(summary.size() == 1);
  CHECK(summary[0].text == "/cart: boom (/static/app.js:3:9) (the same 12 more times)");
  CHECK_FALSE(r.next_due());
  // Quiet long enough: the same message is news again.
  CHECK(r.take(msg("boom"), t0 + 20s).size() == 1);
}

TEST_CASE("the same text on another page or level is another message", "[console]") {
  console_relay r;
  const auto t0 = clock_type::time_point{} + 100s;
  CHECK(r.take(msg("boom"), t0).size() == 1);
  CHECK(r.take(msg("boom", true, "/other"), t0).size() == 1);
  CHECK(r.take(msg("boom", false), t0).size() == 1);
  CHECK(r.take(msg("boom"), t0).empty());
}

TEST_CASE("a burst of console messages is cut and the rest counted", "[console]") {
  console_relay r;
  const auto t0 = clock_type::time_point{} + 100s;
  std::size_t printed = 0;
  for (int i = 0; i < 100; ++i) printed += r.take(msg("error " + std::to_string(i)), t0 + i * 1ms).size();
  CHECK(printed == console_relay::burst);
  REQUIRE(r.next_due());
  CHECK(*r.next_due() == t0 + 1s);
  auto said = r.tick(t0 + 1s);
  REQUIRE(said.size() == 1);
  CHECK(said[0].text == "80 more console messages in one second, not shown");
  CHECK(r.recent().size() == console_relay::recent_kept);
  CHECK(r.recent().back().message == "error 99");
}

TEST_CASE("the relay remembers a bounded number of distinct messages", "[console]") {
  console_relay r;
  auto t = clock_type::time_point{} + 100s;
  for (std::size_t i = 0; i < 10 * console_relay::tracked; ++i) {
    t += 60ms;  // 16 a second: under the burst limit
    CHECK(r.take(msg("distinct " + std::to_string(i)), t).size() == 1);
  }
  CHECK(r.recent().size() == console_relay::recent_kept);
}

TEST_CASE("a message of several lines is said on one", "[console]") {
  console_message m{true, "first\r\nsecond\nthird", "", "/"};
  CHECK(console_relay::describe(m) == "/: first \u21b5 second \u21b5 third");
}
