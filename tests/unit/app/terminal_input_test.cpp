#include "proxy/app/terminal_input.hpp"

#include <catch2/catch.hpp>

using namespace liveproxy;
using namespace std::chrono_literals;
using clock_type = terminal_input::clock;

TEST_CASE("typed keys go to the app unchanged", "[terminal]") {
  terminal_input t;
  const auto now = clock_type::time_point{} + 10s;
  auto r = t.feed("p x\r", true, now);
  CHECK(r.to_app == "p x\r");
  CHECK_FALSE(r.restart);
  CHECK_FALSE(r.stop);
  r = t.feed("\x1b[A\t\x04", false, now);
  CHECK(r.to_app == "\x1b[A\t\x04");
}

TEST_CASE("rs and Enter at the app's command line restarts, and the app never reads the line", "[terminal]") {
  terminal_input t;
  const auto now = clock_type::time_point{} + 10s;
  auto r = t.feed("rs", false, now);
  CHECK(r.to_app == "rs");  // echoed by the app's terminal as typed
  CHECK_FALSE(r.restart);
  r = t.feed("\r", false, now);
  CHECK(r.restart);
  CHECK(r.to_app.empty());  // no Enter: the app never reads the line
  r = t.feed("  rs \n", false, now);
  CHECK(r.restart);
  CHECK(r.to_app == "  rs ");
}

TEST_CASE("rs is no command at a prompt, after editing keys, or as part of a longer line", "[terminal]") {
  const auto now = clock_type::time_point{} + 10s;
  terminal_input t;
  auto r = t.feed("rs\r", true, now);  // (Pdb) rs: the developer's variable
  CHECK_FALSE(r.restart);
  CHECK(r.to_app == "rs\r");
  CHECK_FALSE(t.feed("rsx\r", false, now).restart);
  CHECK_FALSE(t.feed("\x1b[Ars\r", false, now).restart);
  // Backspace and the line-erase key edit the line as the terminal shows it.
  CHECK(t.feed("rsx\x7f\r", false, now).restart);
  CHECK(t.feed("junk\x15rs\r", false, now).restart);
}

TEST_CASE("Ctrl-C stops liveproxy at once when the app is not at a prompt", "[terminal]") {
  terminal_input t;
  auto r = t.feed("ab\x03" "cd", false, clock_type::time_point{} + 10s);
  CHECK(r.stop);
  CHECK(r.to_app == "ab");
  CHECK_FALSE(r.explain);
}

TEST_CASE("at a prompt the first Ctrl-C goes to the app and a second within a second stops liveproxy", "[terminal]") {
  terminal_input t;
  const auto t0 = clock_type::time_point{} + 10s;
  auto r = t.feed("\x03", true, t0);
  CHECK(r.to_app == "\x03");
  CHECK_FALSE(r.stop);
  CHECK(r.explain);
  r = t.feed("\x03", true, t0 + 1500ms);  // too late for a double: the app gets it again, no second explanation
  CHECK(r.to_app == "\x03");
  CHECK_FALSE(r.stop);
  CHECK_FALSE(r.explain);
  r = t.feed("\x03", true, t0 + 2400ms);
  CHECK(r.stop);
  CHECK(r.to_app.empty());
}

TEST_CASE("the user's own interrupt and line-erase characters are used", "[terminal]") {
  terminal_input t('\x07', '\x18');
  const auto now = clock_type::time_point{} + 10s;
  auto r = t.feed("\x03\r", false, now);  // ^C is only a key here
  CHECK_FALSE(r.stop);
  CHECK(r.to_app == "\x03\r");
  r = t.feed("rx\x18rs\r", false, now);  // the user's line-erase key starts the line again
  CHECK(r.restart);
  CHECK(r.to_app == "rx\x18rs");
  CHECK(t.feed("\x07", false, now).stop);
}
