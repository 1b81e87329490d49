// restart_policy: every transition of the restart loop, stepped with a fake clock (no sleeping, no processes).
// Each case is what an integration test reaches through the binary (speculative restart, held requests, crashes,
// upstream following), or an edge that the binary reaches only by luck of timing.
#include "proxy/app/restart_policy.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace liveproxy;
using namespace std::chrono_literals;
using kind = policy_command::kind;
using outcome = policy_command::outcome;
using strongest = restart_policy::changes::strongest;
using gate = restart_policy::gate_state;

namespace {

std::vector<kind> kinds(const policy_commands& cmds) {
  std::vector<kind> out;
  for (const auto& c : cmds) out.push_back(c.what);
  return out;
}

bool has(const policy_commands& cmds, kind k) {
  return std::any_of(cmds.begin(), cmds.end(), [&](const policy_command& c) { return c.what == k; });
}

const policy_command& find(const policy_commands& cmds, kind k) {
  const auto it = std::find_if(cmds.begin(), cmds.end(), [&](const policy_command& c) { return c.what == k; });
  REQUIRE(it != cmds.end());
  return *it;
}

restart_policy::changes code(std::string summary = "views.py") { return {strongest::restart, std::move(summary), {}}; }
restart_policy::changes page(std::string summary = "index.html") { return {strongest::reload, std::move(summary), {}}; }
restart_policy::changes css(std::string path = "static/site.css") { return {strongest::css, path, {"/" + path}}; }

restart_policy::exit_info crash(std::chrono::milliseconds uptime = 100ms) {
  return {"exited with status 1", false, uptime};
}

/// A policy and a fake clock; `started()` is a supervised app whose first run answers.
struct loop {
  explicit loop(restart_policy::options o = {}) : p(o) {}
  restart_policy p;
  restart_policy::time_point t{};

  void advance(std::chrono::milliseconds d) { t += d; }
  /// The first run started and answering (run 1).
  void started() {
    p.start();
    p.ready(t, 1, 100ms);
  }
  /// What the executor does after wait_for_drain when no response is under way.
  policy_commands drain_now(const policy_commands& cmds) {
    return has(cmds, kind::wait_for_drain) ? p.responses_drained(t) : policy_commands{};
  }
};

restart_policy::options opts(app_kind k = app_kind::command, bool speculative = false, bool on_crash = false) {
  restart_policy::options o;
  o.kind = k;
  o.speculative = speculative;
  o.restart_on_crash = on_crash;
  return o;
}

}  // namespace

TEST_CASE("policy: a supervised app is started at once and held until it answers", "[unit][policy]") {
  loop l(opts());
  CHECK(kinds(l.p.start()) == std::vector{kind::start_run});
  CHECK(l.p.gate() == gate::closed);
  CHECK(l.p.running());
  const auto cmds = l.p.ready(l.t, 1, 180ms);
  CHECK(kinds(cmds) == std::vector{kind::open_gate, kind::app_ready});
  CHECK(cmds[0].run == 1);
  CHECK(cmds[1].app_took == 180ms);
  CHECK_FALSE(cmds[1].quiet);
  CHECK(l.p.gate() == gate::open);
}

TEST_CASE("policy: a code change closes the gate, lets responses finish, restarts, then reloads once ready",
          "[unit][policy]") {
  loop l(opts());
  l.started();
  l.advance(1s);
  auto cmds = l.p.settled(l.t, code("views.py"));
  CHECK(kinds(cmds) == std::vector{kind::begin_action, kind::close_gate, kind::wait_for_drain});
  CHECK(cmds[0].text == "views.py");
  CHECK(cmds[0].action == "restart");
  l.advance(5ms);
  CHECK(kinds(l.p.responses_drained(l.t)) == std::vector{kind::start_run});
  l.advance(90ms);
  cmds = l.p.ready(l.t, 2, 88ms);
  CHECK(kinds(cmds) == std::vector{kind::open_gate, kind::app_ready, kind::reload_tabs, kind::finish_action});
  CHECK(cmds[0].run == 2);
  CHECK(cmds[1].quiet);  // the action's line says it
  CHECK(cmds[3].result == outcome::restarted);
  CHECK(cmds[3].text == "views.py");
  CHECK(cmds[3].took == 95ms);
  CHECK(cmds[3].app_took == 88ms);
}

TEST_CASE("policy: responses still under way at the drain limit are cut by the restart", "[unit][policy]") {
  restart_policy::options o = opts();
  o.drain_limit = 2s;
  loop l(o);
  l.started();
  CHECK_FALSE(l.p.next_due());
  l.p.settled(l.t, code());
  REQUIRE(l.p.next_due());
  CHECK(*l.p.next_due() == l.t + 2s);
  l.advance(1999ms);
  CHECK(l.p.tick(l.t).empty());
  l.advance(1ms);
  CHECK(kinds(l.p.tick(l.t)) == std::vector{kind::start_run});
  CHECK_FALSE(l.p.next_due());
  // The drain that comes late changes nothing.
  CHECK(l.p.responses_drained(l.t).empty());
}

TEST_CASE("policy: a second code change while draining is covered by the restart under way", "[unit][policy]") {
  loop l(opts());
  l.started();
  l.p.settled(l.t, code("a.py"));
  l.advance(20ms);
  const auto cmds = l.p.settled(l.t, code("b.py"));
  CHECK_FALSE(has(cmds, kind::wait_for_drain));
  CHECK_FALSE(has(cmds, kind::close_gate));  // closed already
  // The first action is superseded by the second, without a line of its own.
  CHECK(cmds[0].what == kind::finish_action);
  CHECK(cmds[0].result == outcome::superseded);
  CHECK(cmds[0].quiet);
  CHECK(cmds[0].text == "a.py");
  CHECK(cmds[0].detail == "b.py");
  CHECK(kinds(l.p.responses_drained(l.t)) == std::vector{kind::start_run});
  const auto ready = l.p.ready(l.t, 2, 50ms);
  CHECK(find(ready, kind::finish_action).text == "b.py");
}

TEST_CASE("policy: a page change while the app answers reloads the tabs, nothing else", "[unit][policy]") {
  loop l(opts());
  l.started();
  const auto cmds = l.p.settled(l.t, page("templates/index.html"));
  CHECK(kinds(cmds) == std::vector{kind::reload_tabs, kind::act});
  CHECK(cmds[1].text == "templates/index.html");
  CHECK(cmds[1].action == "page reload");
  CHECK(l.p.gate() == gate::open);
}

TEST_CASE("policy: markup changes morph the tabs, a script the pages run makes them reload", "[unit][policy]") {
  loop l(opts());
  l.started();
  CHECK_FALSE(find(l.p.settled(l.t, page("templates/index.html")), kind::reload_tabs).full);
  auto script = page("static/app.js");
  script.scripts = true;
  CHECK(find(l.p.settled(l.t, script), kind::reload_tabs).full);
  // After a code restart the tabs morph, unless a script changed in the same burst or while it ran.
  l.drain_now(l.p.settled(l.t, code()));
  CHECK_FALSE(find(l.p.ready(l.t, 2, 40ms), kind::reload_tabs).full);
  auto both = code("views.py, app.js");
  both.scripts = true;
  l.drain_now(l.p.settled(l.t, both));
  CHECK(find(l.p.ready(l.t, 3, 40ms), kind::reload_tabs).full);
  l.drain_now(l.p.settled(l.t, code()));
  CHECK(kinds(l.p.settled(l.t, script)) == std::vector{kind::deferred});
  CHECK(find(l.p.ready(l.t, 4, 40ms), kind::reload_tabs).full);
  // Once reloaded, the next restart morphs again.
  l.drain_now(l.p.settled(l.t, code()));
  CHECK_FALSE(find(l.p.ready(l.t, 5, 40ms), kind::reload_tabs).full);
}

TEST_CASE("policy: a stylesheet change swaps each changed sheet", "[unit][policy]") {
  loop l(opts());
  l.started();
  restart_policy::changes c{strongest::css, "a.css, b.css", {"/a.css", "/b.css"}};
  const auto cmds = l.p.settled(l.t, c);
  CHECK(kinds(cmds) == std::vector{kind::swap_css, kind::swap_css, kind::act});
  CHECK(cmds[0].text == "/a.css");
  CHECK(cmds[1].text == "/b.css");
  CHECK(cmds[2].action == "css swap");
}

TEST_CASE("policy: page changes while the app restarts wait for it: one reload once it answers", "[unit][policy]") {
  loop l(opts());
  l.started();
  l.drain_now(l.p.settled(l.t, code()));
  auto cmds = l.p.settled(l.t, page());
  CHECK(kinds(cmds) == std::vector{kind::deferred});
  cmds = l.p.settled(l.t, css());
  CHECK(kinds(cmds) == std::vector{kind::deferred});
  cmds = l.p.ready(l.t, 2, 40ms);
  CHECK(std::count(cmds.begin(), cmds.end(), policy_command{kind::reload_tabs}) == 1);
}

TEST_CASE("policy: a crash fails the gate, shows the error page and waits for a change", "[unit][policy]") {
  loop l(opts());
  l.started();
  l.advance(3s);
  const auto cmds = l.p.exited(l.t, {"exited with status 1", true, 3s});
  CHECK(kinds(cmds) == std::vector{kind::fail_gate, kind::app_failed, kind::crash_wait, kind::reload_tabs});
  CHECK(cmds[1].text == "exited with status 1");
  CHECK(l.p.gate() == gate::failed);
  CHECK_FALSE(l.p.running());
  CHECK_FALSE(l.p.next_due());
}

TEST_CASE("policy: a run that dies during its start after a change reports the change as failed", "[unit][policy]") {
  loop l(opts());
  l.started();
  l.drain_now(l.p.settled(l.t, code("settings.py")));
  l.advance(300ms);
  const auto cmds = l.p.exited(l.t, crash());
  const auto& f = find(cmds, kind::finish_action);
  CHECK(f.result == outcome::failed);
  CHECK(f.text == "settings.py");
  CHECK(f.detail == "exited with status 1");
  CHECK(f.quiet);  // the crash line is the line
  CHECK(f.took == 300ms);
}

TEST_CASE("policy: any change starts a crashed app, even a stylesheet", "[unit][policy]") {
  loop l(opts());
  l.started();
  l.p.exited(l.t, crash());
  const auto cmds = l.p.settled(l.t, css());
  CHECK(kinds(cmds) == std::vector{kind::begin_action, kind::close_gate, kind::wait_for_drain});
  CHECK(cmds[0].action == "start");
  CHECK(kinds(l.p.responses_drained(l.t)) == std::vector{kind::start_run});
  CHECK(l.p.gate() == gate::closed);
}

TEST_CASE("policy: --restart-on-crash restarts after a delay, through the same path as every restart",
          "[unit][policy]") {
  loop l(opts(app_kind::command, false, true));
  l.started();
  const auto cmds = l.p.exited(l.t, crash());
  CHECK(find(cmds, kind::crash_restart).took == 500ms);
  REQUIRE(l.p.next_due());
  CHECK(*l.p.next_due() == l.t + 500ms);
  l.advance(499ms);
  CHECK(l.p.tick(l.t).empty());
  l.advance(1ms);
  const auto due = l.p.tick(l.t);
  CHECK(kinds(due) == std::vector{kind::begin_action, kind::close_gate, kind::wait_for_drain});
  CHECK(due[0].text == "after the crash");
  CHECK(kinds(l.p.responses_drained(l.t)) == std::vector{kind::start_run});
}

TEST_CASE("policy: quick crashes back off 0.5, 1, 2 s, and a change starts the sequence over", "[unit][policy]") {
  loop l(opts(app_kind::command, false, true));
  l.started();
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 3; ++i) {
    delays.push_back(find(l.p.exited(l.t, crash()), kind::crash_restart).took);
    l.t = *l.p.next_due();
    l.drain_now(l.p.tick(l.t));
  }
  CHECK(delays == std::vector<std::chrono::milliseconds>{500ms, 1000ms, 2000ms});
  l.drain_now(l.p.settled(l.t, code()));
  CHECK(find(l.p.exited(l.t, crash()), kind::crash_restart).took == 500ms);
}

TEST_CASE("policy: a change while a crash restart is pending starts the app at once and cancels the timer",
          "[unit][policy]") {
  loop l(opts(app_kind::command, false, true));
  l.started();
  l.p.exited(l.t, crash());
  REQUIRE(l.p.crash_restart_delay() == 500ms);
  l.advance(100ms);
  const auto cmds = l.p.settled(l.t, code());
  CHECK(has(cmds, kind::wait_for_drain));
  CHECK_FALSE(l.p.crash_restart_delay());
  l.drain_now(cmds);
  l.advance(1s);
  CHECK(l.p.tick(l.t).empty());
}

TEST_CASE("policy: a crash while draining starts the new run at once, with no error page", "[unit][policy]") {
  loop l(opts());
  l.started();
  l.p.settled(l.t, code());  // waiting for a response under way
  const auto cmds = l.p.exited(l.t, {"was killed by signal 9", true, 5s});
  CHECK(kinds(cmds) == std::vector{kind::start_run});
  CHECK(l.p.gate() == gate::closed);
  CHECK_FALSE(l.p.next_due());  // no drain limit left to wait for
  CHECK(l.p.responses_drained(l.t).empty());
  CHECK(has(l.p.ready(l.t, 2, 60ms), kind::reload_tabs));
}

TEST_CASE("policy: rs restarts a supervised app and resets the backoff", "[unit][policy]") {
  loop l(opts(app_kind::command, false, true));
  l.started();
  l.p.exited(l.t, crash());
  l.t = *l.p.next_due();
  l.drain_now(l.p.tick(l.t));
  l.p.exited(l.t, crash());  // 1 s next
  const auto cmds = l.p.manual_restart(l.t, "rs typed");
  CHECK(cmds[0].what == kind::begin_action);
  CHECK(cmds[0].text == "rs typed");
  l.drain_now(cmds);
  CHECK(find(l.p.exited(l.t, crash()), kind::crash_restart).took == 500ms);
}

TEST_CASE("policy: rs does nothing to an upstream or a folder", "[unit][policy]") {
  loop up(opts(app_kind::upstream));
  up.p.start();
  CHECK(up.p.manual_restart(up.t, "rs typed").empty());
  loop folder(opts(app_kind::folder));
  folder.p.start();
  CHECK(folder.p.manual_restart(folder.t, "rs typed").empty());
}

TEST_CASE("policy: speculative start at the first code change, readiness kept back until the burst settles",
          "[unit][policy]") {
  loop l(opts(app_kind::command, true));
  l.started();
  l.advance(1s);
  const auto first = l.t;
  auto cmds = l.p.code_pending(l.t, true);
  CHECK(kinds(cmds) == std::vector{kind::early_start, kind::close_gate, kind::wait_for_drain});
  CHECK(l.p.speculating());
  CHECK(kinds(l.p.responses_drained(l.t)) == std::vector{kind::start_run});
  l.advance(60ms);
  CHECK(l.p.ready(l.t, 2, 58ms).empty());  // held: more changes may come
  CHECK(l.p.gate() == gate::closed);
  l.advance(40ms);
  cmds = l.p.settled(l.t, code("views.py"));
  CHECK(kinds(cmds) ==
        std::vector{kind::begin_action, kind::open_gate, kind::app_ready, kind::reload_tabs, kind::finish_action});
  CHECK(cmds[1].run == 2);
  CHECK(cmds[4].took == l.t - first);
  CHECK(cmds[4].app_took == 58ms);
  CHECK_FALSE(l.p.speculating());
}

TEST_CASE("policy: a speculative run that dies is reported once the burst settles", "[unit][policy]") {
  loop l(opts(app_kind::command, true));
  l.started();
  l.drain_now(l.p.code_pending(l.t, true));
  l.advance(30ms);
  CHECK(l.p.exited(l.t, crash()).empty());
  CHECK(l.p.gate() == gate::closed);
  const auto cmds = l.p.settled(l.t, code("settings.py"));
  CHECK(has(cmds, kind::fail_gate));
  CHECK(find(cmds, kind::finish_action).result == outcome::failed);
}

TEST_CASE("policy: two early starts per burst, then the burst is a checkout: one more start once settled",
          "[unit][policy]") {
  loop l(opts(app_kind::command, true));
  l.started();
  l.drain_now(l.p.code_pending(l.t, true));
  l.advance(10ms);
  CHECK(has(l.drain_now(l.p.code_pending(l.t, true)), kind::start_run));  // a second save
  l.advance(10ms);
  CHECK(l.p.code_pending(l.t, true).empty());  // the third: many files
  l.p.ready(l.t, 3, 50ms);                     // kept back, and replaced below
  const auto cmds = l.p.settled(l.t, code("a.py and 40 more"));
  CHECK_FALSE(has(cmds, kind::open_gate));
  CHECK(has(cmds, kind::wait_for_drain));
  CHECK(kinds(l.p.responses_drained(l.t)) == std::vector{kind::start_run});
  CHECK(has(l.p.ready(l.t, 4, 50ms), kind::open_gate));
}

TEST_CASE("policy: a deletion alone does not start the app early", "[unit][policy]") {
  loop l(opts(app_kind::command, true));
  l.started();
  CHECK(l.p.code_pending(l.t, false).empty());
  CHECK_FALSE(l.p.speculating());
  // The write that follows does.
  CHECK(has(l.p.code_pending(l.t, true), kind::early_start));
}

TEST_CASE("policy: an early start for temporary files only is settled as such", "[unit][policy]") {
  loop l(opts(app_kind::command, true));
  l.started();
  l.drain_now(l.p.code_pending(l.t, true));
  l.p.ready(l.t, 2, 40ms);
  const auto cmds = l.p.temporary_only(l.t);
  CHECK(find(cmds, kind::begin_action).text == "temporary files only");
  CHECK(has(cmds, kind::open_gate));
  CHECK_FALSE(l.p.speculating());
}

TEST_CASE("policy: a change during a speculative run's readiness replaces that run", "[unit][policy]") {
  loop l(opts(app_kind::command, true));
  l.started();
  l.drain_now(l.p.code_pending(l.t, true));
  l.advance(50ms);
  l.p.ready(l.t, 2, 50ms);  // run 2 ready, kept back
  l.advance(5ms);
  CHECK(has(l.drain_now(l.p.code_pending(l.t, true)), kind::start_run));
  l.advance(50ms);
  l.p.ready(l.t, 3, 50ms);
  const auto cmds = l.p.settled(l.t, code());
  CHECK(find(cmds, kind::open_gate).run == 3);  // never the replaced run
}

TEST_CASE("policy: with speculative restart off, code changes wait for the settled batch", "[unit][policy]") {
  loop l(opts(app_kind::command, false));
  l.started();
  CHECK(l.p.code_pending(l.t, true).empty());
  CHECK(has(l.p.settled(l.t, code()), kind::wait_for_drain));
}

TEST_CASE("policy: a liveproxy.json edit during a restart restarts once more with the new settings",
          "[unit][policy]") {
  loop l(opts());
  l.started();
  l.drain_now(l.p.settled(l.t, code()));  // run 2 starting
  l.advance(20ms);
  const auto cmds = l.p.settled(l.t, {strongest::ignore, "", {}}, true);
  CHECK(kinds(cmds) == std::vector{kind::wait_for_drain});
  CHECK(kinds(l.p.responses_drained(l.t)) == std::vector{kind::start_run});
  CHECK(l.p.gate() == gate::closed);
  CHECK(has(l.p.ready(l.t, 3, 70ms), kind::reload_tabs));
}

TEST_CASE("policy: a liveproxy.json edit that needs no restart leaves the app alone", "[unit][policy]") {
  loop l(opts());
  l.started();
  CHECK(l.p.settled(l.t, {strongest::ignore, "", {}}, false).empty());
  CHECK(l.p.gate() == gate::open);
}

TEST_CASE("policy: a start timeout fails the waiting requests, and readiness after it still opens and reloads",
          "[unit][policy]") {
  loop l(opts());
  l.p.start();
  l.advance(20s);
  auto cmds = l.p.cannot_reach();
  CHECK(kinds(cmds) == std::vector{kind::fail_gate, kind::reload_tabs});
  l.advance(3s);
  cmds = l.p.ready(l.t, 1, 23s);
  CHECK(kinds(cmds) == std::vector{kind::open_gate, kind::app_ready, kind::reload_tabs});
}

TEST_CASE("policy: a run that cannot be reached after it counted as ready fails the gate (--fd)", "[unit][policy]") {
  // With --fd the run is ready once started (the socket is ours); not accepting on it is the start timeout.
  loop l(opts());
  l.started();
  CHECK(kinds(l.p.cannot_reach()) == std::vector{kind::fail_gate, kind::reload_tabs});
  // After the run ended, the crash said it all.
  l.p.exited(l.t, crash());
  CHECK(l.p.cannot_reach().empty());
}

TEST_CASE("policy: an upstream is followed through its own reloader", "[unit][policy]") {
  loop l(opts(app_kind::upstream));
  CHECK(l.p.start().empty());
  auto cmds = l.p.upstream_up(l.t, 1);
  CHECK(kinds(cmds) == std::vector{kind::open_gate, kind::app_ready});
  l.advance(1s);
  cmds = l.p.settled(l.t, code("views.py"));
  CHECK(kinds(cmds) == std::vector{kind::begin_action, kind::follow_upstream});
  CHECK(cmds[0].action == "the app's reloader");
  l.advance(100ms);
  CHECK(kinds(l.p.upstream_down(l.t)) == std::vector{kind::close_gate});
  l.advance(700ms);
  cmds = l.p.upstream_up(l.t, 2);
  CHECK(kinds(cmds) == std::vector{kind::open_gate, kind::app_ready, kind::reload_tabs, kind::finish_action});
  CHECK(cmds[3].result == outcome::upstream_restarted);
  CHECK(cmds[3].took == 800ms);
}

TEST_CASE("policy: an upstream that stays up through a code change gets the tabs reloaded", "[unit][policy]") {
  loop l(opts(app_kind::upstream));
  l.p.upstream_up(l.t, 1);
  l.p.settled(l.t, code());
  l.advance(1500ms);
  const auto cmds = l.p.upstream_stayed_up(l.t);
  CHECK(kinds(cmds) == std::vector{kind::reload_tabs, kind::finish_action});
  CHECK(cmds[1].result == outcome::upstream_stayed_up);
}

TEST_CASE("policy: page changes while the upstream is down reload once it answers", "[unit][policy]") {
  loop l(opts(app_kind::upstream));
  l.p.upstream_up(l.t, 1);
  l.p.upstream_down(l.t);
  CHECK(kinds(l.p.settled(l.t, page())) == std::vector{kind::deferred});
  CHECK(has(l.p.upstream_up(l.t, 2), kind::reload_tabs));
}

TEST_CASE("policy: a folder is always open, and a code change is a page reload", "[unit][policy]") {
  loop l(opts(app_kind::folder));
  CHECK(kinds(l.p.start()) == std::vector{kind::open_gate});
  auto cmds = l.p.settled(l.t, code("data.json"));
  CHECK(kinds(cmds) == std::vector{kind::reload_tabs, kind::act});
  CHECK(cmds[1].action == "page reload");
  cmds = l.p.settled(l.t, css());
  CHECK(kinds(cmds) == std::vector{kind::swap_css, kind::act});
  CHECK(l.p.code_pending(l.t, true).empty());
}

TEST_CASE("policy: once stopping, nothing starts, reloads or waits", "[unit][policy]") {
  loop l(opts(app_kind::command, true, true));
  l.started();
  l.p.exited(l.t, crash());
  REQUIRE(l.p.next_due());
  l.p.stop();
  CHECK_FALSE(l.p.next_due());
  CHECK(l.p.settled(l.t, code()).empty());
  CHECK(l.p.code_pending(l.t, true).empty());
  CHECK(l.p.manual_restart(l.t, "rs typed").empty());
  CHECK(l.p.tick(l.t + 1h).empty());
  CHECK(l.p.exited(l.t, crash()).empty());
}
