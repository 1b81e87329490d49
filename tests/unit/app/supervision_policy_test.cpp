// Supervision policy: liveproxy's exit status, crash-restart backoff, typed commands.
#include "proxy/app/exit_status.hpp"
#include "proxy/app/restart_backoff.hpp"
#include "proxy/app/stdin_commands.hpp"
#include "proxy/app/supervisor.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using namespace liveproxy;
using namespace std::chrono_literals;

namespace {

app_exit exited(int code) {
  app_exit e;
  e.code = code;
  return e;
}

app_exit killed(int sig) {
  app_exit e;
  e.signaled = true;
  e.code = sig;
  return e;
}

}  // namespace

TEST_CASE("exit status: 0 when stopped on request - else how the app ended", "[unit][supervision]") {
  CHECK(exit_status_for(std::nullopt) == 0);
  CHECK(exit_status_for(exited(0)) == 0);
  CHECK(exit_status_for(exited(1)) == 1);
  CHECK(exit_status_for(exited(3)) == 3);
  CHECK(exit_status_for(exited(127)) == 127);
  CHECK(exit_status_for(killed(SIGSEGV)) == 128 + SIGSEGV);
  CHECK(exit_status_for(killed(SIGKILL)) == 137);
}

TEST_CASE("app_exit describes itself", "[unit][supervision]") {
  CHECK(exited(1).describe() == "exited with status 1");
  CHECK(killed(SIGSEGV).describe().starts_with("was killed by signal 11 ("));
}

TEST_CASE("crash restarts back off exponentially up to a cap", "[unit][supervision]") {
  restart_backoff b;
  CHECK(b.on_crash(100ms) == 500ms);
  CHECK(b.on_crash(100ms) == 1000ms);
  CHECK(b.on_crash(100ms) == 2000ms);
  CHECK(b.on_crash(100ms) == 4000ms);
  for (int i = 0; i < 40; ++i) b.on_crash(1ms);
  CHECK(b.on_crash(1ms) == 30s);
  // A run that stayed up starts the sequence over, and so does the developer acting.
  CHECK(b.on_crash(restart_backoff::stable_after) == 500ms);
  CHECK(b.on_crash(1ms) == 1000ms);
  b.reset();
  CHECK(b.on_crash(1ms) == 500ms);
}

TEST_CASE("typed lines: rs restarts - anything else does nothing", "[unit][supervision]") {
  CHECK(command_lines::parse("rs") == command_lines::command::restart);
  CHECK(command_lines::parse("  rs \r") == command_lines::command::restart);
  CHECK(command_lines::parse("rsx") == command_lines::command::none);
  CHECK(command_lines::parse("") == command_lines::command::none);
  command_lines lines;
  int restarts = 0;
  auto count = [&](command_lines::command) { ++restarts; };
  lines.feed("r", count);
  lines.feed("s", count);
  CHECK(restarts == 0);  // not a line yet
  lines.feed("\nhello\nrs\r\n\nrs", count);
  CHECK(restarts == 2);
}
