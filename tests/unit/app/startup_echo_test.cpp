// The start-up banner shown once, then one note per restart; the app's private address shown as liveproxy's.
#include "proxy/app/startup_echo.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using liveproxy::echo_piece;
using liveproxy::startup_echo;

namespace {

/// What the terminal would show: text as is, a note as "[N as before]".
std::string shown(const std::vector<echo_piece>& pieces) {
  std::string out;
  for (const auto& p : pieces)
    out += p.what == echo_piece::kind::text ? p.text : "[" + std::to_string(p.lines) + " as before]\n";
  return out;
}

std::string django_banner(const std::string& time, int port) {
  return "Performing system checks...\n\nSystem check identified no issues (0 silenced).\n" + time +
         "\nDjango version 3.2.25, using settings 'mysite.settings'\nStarting development server at http://127.0.0.1:" +
         std::to_string(port) + "/\nQuit the server with CONTROL-C.\n";
}

}  // namespace

TEST_CASE("a restart's banner that repeats the last one is one note - times and dates aside", "[unit][app]") {
  startup_echo echo({true, 0});
  echo.run_started();
  const auto first = django_banner("December 06, 2026 - 08:02:09", 41000);
  CHECK(shown(echo.feed(first)) == first);  // the first run: everything
  CHECK(echo.ready().empty());
  CHECK(shown(echo.feed("[06/Dec/2026 08:02:10] \"GET / HTTP/1.1\" 200 9\n")) ==
        "[06/Dec/2026 08:02:10] \"GET / HTTP/1.1\" 200 9\n");

  echo.run_started();
  // Line by line, as the app writes it: nothing shows until the banner is whole, then one note.
  std::string out;
  const auto second = django_banner("December 06, 2026 - 08:02:13", 41000);
  for (std::size_t pos = 0; pos < second.size();) {
    const auto nl = second.find('\n', pos);
    out += shown(echo.feed(std::string_view(second).substr(pos, nl + 1 - pos)));
    pos = nl + 1;
  }
  CHECK(out == "[7 as before]\n");
  CHECK(echo.ready().empty());
  // Requests after readiness are shown as they come.
  CHECK(shown(echo.feed("[06/Dec/2026 08:02:14] \"GET / HTTP/1.1\" 200 9\n")) ==
        "[06/Dec/2026 08:02:14] \"GET / HTTP/1.1\" 200 9\n");
}

TEST_CASE("the first line that differs ends the note - and is shown with everything after it", "[unit][app]") {
  startup_echo echo({true, 0});
  echo.run_started();
  echo.feed("one\ntwo\nthree\nfour\n");
  echo.ready();

  echo.run_started();
  CHECK(shown(echo.feed("one\ntwo\nthree\nTraceback (most recent call last):\nfour\n")) ==
        "[3 as before]\nTraceback (most recent call last):\nfour\n");
  CHECK(echo.ended().empty());

  // A crashed run's output is not what the next start-up is compared with: the last ready run's is.
  echo.run_started();
  CHECK(shown(echo.feed("one\ntwo\nthree\nfour\n")) == "[4 as before]\n");
}

TEST_CASE("fewer than three repeated lines are printed, not noted - also when the run ends or answers", "[unit][app]") {
  startup_echo echo({true, 0});
  echo.run_started();
  echo.feed("one\ntwo\nthree\n");
  echo.ready();

  echo.run_started();
  CHECK(echo.feed("one\ntwo\n").empty());
  CHECK(shown(echo.ready()) == "one\ntwo\n");

  echo.run_started();
  CHECK(echo.feed("one\ntwo\nthr").size() == 1);  // a partial line ends the holding at once
  echo.ended();

  // (The last ready run printed two lines: they are the start-up now.)
  echo.run_started();
  CHECK(echo.feed("one\n").empty());
  CHECK(shown(echo.ended()) == "one\n");
}

TEST_CASE("a prompt without a line end is shown at once - never held", "[unit][app]") {
  startup_echo echo({true, 0});
  echo.run_started();
  echo.feed("a\nb\nc\n");
  echo.ready();
  echo.run_started();
  CHECK(shown(echo.feed("a\nb\nc")) == "a\nb\nc");  // two lines held, then a partial: all of it shown now
  CHECK(shown(echo.feed("\n(Pdb) ")) == "\n(Pdb) ");
  CHECK(shown(echo.feed("n\n")) == "n\n");
}

TEST_CASE("with --verbose every start-up is shown in full", "[unit][app]") {
  startup_echo echo({false, 0});
  const auto banner = django_banner("x", 1);
  for (int run = 0; run < 3; ++run) {
    echo.run_started();
    CHECK(shown(echo.feed(banner)) == banner);
    CHECK(echo.ready().empty());
  }
}

TEST_CASE("the app's private address shows as liveproxy's - saying so", "[unit][app]") {
  startup_echo echo({true, 41000});
  echo.set_front_url("http://127.0.0.1:8000");
  echo.run_started();
  CHECK(shown(echo.feed("Starting development server at http://127.0.0.1:41000/\n")) ==
        "Starting development server at http://127.0.0.1:8000/ (liveproxy's address; the app itself is on port "
        "41000)\n");
  CHECK(shown(echo.feed(" * Running on http://localhost:41000\r\n")) ==
        " * Running on http://127.0.0.1:8000 (liveproxy's address; the app itself is on port 41000)\r\n");
  CHECK(shown(echo.feed("INFO:     Uvicorn running on http://0.0.0.0:41000 (Press CTRL+C to quit)\n")) ==
        "INFO:     Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit) (liveproxy's address; the app "
        "itself is on port 41000)\n");
  // Another port, a longer number, or no scheme: left as written.
  for (const std::string line : {"see http://127.0.0.1:4100/\n", "http://127.0.0.1:410001/\n", "port 41000\n",
                                 "http://example.com:41000/\n"})
    CHECK(shown(echo.feed(line)) == line);
}
