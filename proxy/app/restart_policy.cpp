// The restart loop's decisions; see restart_policy.hpp for the policy.
#include "proxy/app/restart_policy.hpp"

#include <utility>

namespace liveproxy {
namespace {

using kind = policy_command::kind;
using outcome = policy_command::outcome;

/// Early starts in one burst of code changes: the first change, and one more if another follows (an editor
/// that saves twice). After that the burst is taken as many changes (a checkout): one start once settled.
constexpr int speculative_starts_per_burst = 2;

std::chrono::milliseconds ms(restart_policy::clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

}  // namespace

restart_policy::restart_policy(options o) : opts_(o) {}

void restart_policy::set_gate(policy_commands& out, gate_state g, std::uint64_t run) {
  // Opening is said every time: the executor starts using the new run's connections with it.
  if (g == gate_ && g != gate_state::open) return;
  gate_ = g;
  out.push_back({g == gate_state::open ? kind::open_gate : g == gate_state::closed ? kind::close_gate : kind::fail_gate});
  out.back().run = run;
}

void restart_policy::begin(policy_commands& out, time_point now, std::string what, std::string action) {
  // A newer change supersedes one still under way (a second save during a restart): one line, the last.
  if (pending_) finish(out, now, outcome::superseded, what, {}, false);
  out.push_back({kind::begin_action, what, std::move(action)});
  pending_ = pending_action{std::move(what), now};
}

void restart_policy::finish(policy_commands& out, time_point now, outcome result, std::string detail,
                            std::chrono::milliseconds app_took, bool line) {
  if (!pending_) return;
  policy_command c{kind::finish_action, std::move(pending_->what)};
  c.result = result;
  c.detail = std::move(detail);
  c.took = ms(now - pending_->since);
  c.app_took = app_took;
  c.quiet = !line;
  out.push_back(std::move(c));
  pending_.reset();
}

policy_command restart_policy::waiting_reload() {
  return {.what = kind::reload_tabs, .full = std::exchange(full_reload_when_ready_, false)};
}

void restart_policy::restart_now(policy_commands& out, time_point now) {
  crash_restart_at_.reset();
  set_gate(out, gate_state::closed);
  reload_when_ready_ = true;
  // A restart already waiting for responses to finish covers this one.
  if (draining_) return;
  draining_ = true;
  drain_until_ = now + opts_.drain_limit;
  out.push_back({kind::wait_for_drain});
}

policy_commands restart_policy::start() {
  policy_commands out;
  switch (opts_.kind) {
    case app_kind::command:
      running_ = true;
      out.push_back({kind::start_run});
      break;
    case app_kind::upstream:
      break;  // closed until the upstream is seen answering
    case app_kind::folder:
      set_gate(out, gate_state::open);
      break;
  }
  return out;
}

policy_commands restart_policy::stop() {
  stopping_ = true;
  draining_ = false;
  crash_restart_at_.reset();
  return {};
}

policy_commands restart_policy::code_pending(time_point now, bool named) {
  policy_commands out;
  if (opts_.kind != app_kind::command || !opts_.speculative || stopping_) return out;
  if (!spec_.active) {
    // A deletion alone (or lost events) does not start the app early: the file is often written again at once
    // (an editor's save), and that is the start worth making.
    if (!named) return out;
    spec_ = speculation{true, 0, false, now, {}, {}};
  }
  if (!named || spec_.starts >= speculative_starts_per_burst) {
    spec_.overtaken = true;
    return out;
  }
  ++spec_.starts;
  spec_.overtaken = false;
  spec_.ready.reset();
  spec_.exit.reset();
  out.push_back({kind::early_start});
  backoff_.reset();
  restart_now(out, now);
  return out;
}

policy_commands restart_policy::temporary_only(time_point now) {
  policy_commands out;
  if (spec_.active && !stopping_) settle_speculation(out, now, "temporary files only");
  return out;
}

void restart_policy::settle_speculation(policy_commands& out, time_point now, std::string what) {
  spec_.active = false;
  begin(out, now, std::move(what), "restart");
  // The restart was under way from the first change: it is measured from there.
  pending_->since = spec_.since;
  const auto ready = std::exchange(spec_.ready, std::nullopt);
  const auto exit = std::exchange(spec_.exit, std::nullopt);
  if (spec_.overtaken) {
    restart_now(out, now);
    return;
  }
  if (exit) on_exit(out, now, *exit);
  else if (ready) on_ready(out, now, ready->first, ready->second);
}

policy_commands restart_policy::settled(time_point now, const changes& c, bool config_restart) {
  using strongest = changes::strongest;
  policy_commands out;
  if (stopping_) return out;
  // The restart this batch asks for was made at its first change.
  const bool restarted_early = spec_.active && c.act == strongest::restart;
  if (restarted_early) settle_speculation(out, now, c.summary);
  if (config_restart && opts_.kind == app_kind::command) {
    backoff_.reset();
    restart_now(out, now);
  }
  if (c.act == strongest::ignore || restarted_early) return out;

  if (c.act == strongest::restart) {
    switch (opts_.kind) {
      case app_kind::upstream:
        // The app's own reloader restarts it: follow that, and reload the tabs once it is back.
        begin(out, now, c.summary, "the app's reloader");
        out.push_back({kind::follow_upstream});
        return out;
      case app_kind::folder:
        // No app to restart: whatever changed (a script, data) is picked up by a reload.
        out.push_back({.what = kind::reload_tabs, .full = true});
        out.push_back({kind::act, c.summary, "page reload"});
        return out;
      case app_kind::command:
        break;
    }
  }
  full_reload_when_ready_ = full_reload_when_ready_ || c.scripts;
  if (opts_.kind == app_kind::command && (c.act == strongest::restart || !running_)) {
    // A crashed app comes back on any change: the edit may well be the fix.
    begin(out, now, c.summary, running_ ? "restart" : "start");
    backoff_.reset();
    restart_now(out, now);
    return out;
  }
  if (gate_ != gate_state::open) {
    // The app is on its way up (or failed): its readiness reloads every tab anyway.
    reload_when_ready_ = true;
    out.push_back({kind::deferred, c.summary});
    return out;
  }
  if (c.act == strongest::reload) {
    full_reload_when_ready_ = false;
    out.push_back({.what = kind::reload_tabs, .full = c.scripts});
    out.push_back({kind::act, c.summary, "page reload"});
    return out;
  }
  for (const auto& path : c.css) out.push_back({kind::swap_css, path});
  out.push_back({kind::act, c.summary, "css swap"});
  return out;
}

policy_commands restart_policy::manual_restart(time_point now, std::string why) {
  policy_commands out;
  if (stopping_ || opts_.kind != app_kind::command) return out;
  begin(out, now, std::move(why), "restart");
  backoff_.reset();
  restart_now(out, now);
  return out;
}

policy_commands restart_policy::ready(time_point now, std::uint64_t run, std::chrono::milliseconds took) {
  policy_commands out;
  if (stopping_) return out;
  if (spec_.active) {
    // Started early: more changes may still come and replace it. It answers nothing until they have settled.
    spec_.ready = {run, took};
    return out;
  }
  on_ready(out, now, run, took);
  return out;
}

void restart_policy::on_ready(policy_commands& out, time_point now, std::uint64_t run, std::chrono::milliseconds took) {
  set_gate(out, gate_state::open, run);
  policy_command r{kind::app_ready};
  r.run = run;
  r.app_took = took;
  r.quiet = pending_.has_value();
  out.push_back(std::move(r));
  if (std::exchange(reload_when_ready_, false)) out.push_back(waiting_reload());
  finish(out, now, outcome::restarted, {}, took);
}

policy_commands restart_policy::exited(time_point now, const exit_info& e) {
  policy_commands out;
  running_ = false;
  if (stopping_) return out;
  if (spec_.active) {
    spec_.exit = e;  // said once the changes settle, unless a later start replaces this run
    return out;
  }
  if (draining_) {
    // It ended while its responses were being let finish before a restart: nothing is left to wait for.
    draining_ = false;
    running_ = true;
    out.push_back({kind::start_run});
    return out;
  }
  on_exit(out, now, e);
  return out;
}

void restart_policy::on_exit(policy_commands& out, time_point now, const exit_info& e) {
  set_gate(out, gate_state::failed);
  policy_command failed{kind::app_failed, e.describe};
  failed.detail = e.how;
  out.push_back(std::move(failed));
  // The crash line below says it; the status page gets the outcome.
  finish(out, now, outcome::failed, e.describe, {}, false);
  if (opts_.restart_on_crash) {
    const auto delay = backoff_.on_crash(e.uptime);
    crash_restart_at_ = now + delay;
    crash_restart_delay_ = delay;
    policy_command c{kind::crash_restart, e.describe};
    c.took = delay;
    out.push_back(std::move(c));
  } else {
    out.push_back({kind::crash_wait, e.describe});
  }
  // Open tabs show the error page (with the output) now, and reload again once the app is back.
  out.push_back({kind::reload_tabs});
  reload_when_ready_ = true;
}

policy_commands restart_policy::cannot_reach() {
  policy_commands out;
  // Even with the gate open: with --fd a run counts as ready once started, and this says it accepts nothing.
  if (stopping_ || !running_) return out;
  // Waiting requests get the explanation now rather than at the hold timeout; tabs show it, and reload when
  // the run answers after all.
  set_gate(out, gate_state::failed);
  out.push_back({kind::reload_tabs});
  reload_when_ready_ = true;
  return out;
}

policy_commands restart_policy::upstream_down(time_point) {
  policy_commands out;
  if (stopping_) return out;
  set_gate(out, gate_state::closed);
  return out;
}

policy_commands restart_policy::upstream_up(time_point now, std::uint64_t run) {
  policy_commands out;
  if (stopping_) return out;
  set_gate(out, gate_state::open, run);
  policy_command r{kind::app_ready};
  r.run = run;
  r.quiet = pending_.has_value();
  out.push_back(std::move(r));
  // Tabs opened before (or showing an error page meanwhile) see the restarted app.
  if (std::exchange(reload_when_ready_, false) || run > 1) out.push_back(waiting_reload());
  finish(out, now, outcome::upstream_restarted);
  return out;
}

policy_commands restart_policy::upstream_stayed_up(time_point now) {
  policy_commands out;
  if (stopping_) return out;
  out.push_back({kind::reload_tabs});
  finish(out, now, outcome::upstream_stayed_up);
  return out;
}

policy_commands restart_policy::responses_drained(time_point) {
  policy_commands out;
  if (!draining_ || stopping_) return out;
  draining_ = false;
  running_ = true;
  out.push_back({kind::start_run});
  return out;
}

policy_commands restart_policy::tick(time_point now) {
  policy_commands out;
  if (stopping_) return out;
  if (draining_ && now >= drain_until_) {
    // Responses still under way after the limit are cut: the new code matters more than a stuck download.
    draining_ = false;
    running_ = true;
    out.push_back({kind::start_run});
  }
  if (crash_restart_at_ && now >= *crash_restart_at_) {
    crash_restart_at_.reset();
    begin(out, now, "after the crash", "restart");
    restart_now(out, now);
  }
  return out;
}

std::optional<restart_policy::time_point> restart_policy::next_due() const {
  std::optional<time_point> due;
  if (draining_) due = drain_until_;
  if (crash_restart_at_ && (!due || *crash_restart_at_ < *due)) due = crash_restart_at_;
  return due;
}

}  // namespace liveproxy
