// SIGTERM/SIGINT: liveproxy stops the app's whole process group and exits 0.
#include "support/process.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <csignal>

using namespace liveproxy::test;
using namespace std::chrono_literals;

TEST_CASE("on SIGTERM or SIGINT liveproxy stops the app group and exits 0", "[integration][net]") {
  const int sig = GENERATE(SIGTERM, SIGINT);
  INFO("signal " << sig);
  site_options opts;
  opts.spawn_child = true;
  test_site site(opts);
  const auto app = site.app_pid();
  REQUIRE(app);
  const auto grandchild = site.child_of(*app);
  REQUIRE(grandchild);
  REQUIRE_FALSE(process_is_gone(*grandchild));

  site.proxy().proc().signal(sig);
  const auto status = site.proxy().proc().wait_exit(10s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  if (WIFEXITED(*status)) CHECK(WEXITSTATUS(*status) == 0);
  if (WIFSIGNALED(*status)) FAIL("liveproxy was killed by signal " << WTERMSIG(*status));
  // Only a Ctrl-C is answered with "press Ctrl-C again".
  const auto said = site.proxy().proc().output();
  CHECK((said.find("press Ctrl-C again to kill it") != std::string::npos) == (sig == SIGINT));
  CHECK((said.find("a second signal kills it") != std::string::npos) == (sig == SIGTERM));

  // Its children are reaped by init now: give that a moment, with a deadline.
  CHECK(wait_until([&] { return process_is_gone(*app); }, 3s));
  CHECK(wait_until([&] { return process_group_is_gone(*app); }, 3s));
  CHECK(wait_until([&] { return process_is_gone(*grandchild); }, 3s));
}
