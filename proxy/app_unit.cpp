// One more app behind the front: its restart loop, carried out like the main app's, reported under its name.
#include "proxy/app_unit.hpp"

#include "proxy/app/command_source.hpp"
#include "proxy/app/upstream_source.hpp"
#include "proxy/base/log.hpp"

namespace liveproxy {
namespace {

/// The main app's settings, made this app's: what it runs and where, how (preload, a handed-over socket,
/// restarts after a crash), and none of what only the main app has (a fixed port, the terminal).
config unit_config(const config& main, const app_spec& spec) {
  config c = main;
  c.app_command = spec.command;
  c.upstream = spec.upstream;
  c.app_cwd = spec.cwd;
  c.env = spec.env;
  c.app_name = spec.name;
  c.app_routes = spec.routes;
  c.apps.clear();
  c.app_port = 0;
  c.app_port_given = false;
  c.socket_handoff = spec.fd;
  c.preload = spec.preload.value_or(false);
  c.restart_on_crash = spec.restart_on_crash;
  c.serve_dir.reset();
  c.upstream_host = false;
  c.app_terminal = false;
  c.js_runs_on_server = runs_server_javascript(spec.command);
  // A side process (a CSS watcher, a worker) is never sent a request: nothing else would bring it back.
  if (spec.routes.empty() && !spec.command.empty()) {
    c.restart_on_crash = true;
    c.app_listens = false;
  }
  return c;
}

std::unique_ptr<app_source> make_unit_source(net::any_io_executor ex, const config& c) {
  if (c.upstream) return std::make_unique<upstream_source>(ex, c);
  return std::make_unique<command_source>(ex, c);
}

restart_policy::options unit_policy(const config& c, app_kind kind) {
  restart_policy::options o;
  o.kind = kind;
  o.speculative = c.speculative_restart;
  o.restart_on_crash = c.restart_on_crash;
  o.drain_limit = std::chrono::duration_cast<std::chrono::milliseconds>(limits::restart_drain);
  return o;
}

}  // namespace

app_unit::app_unit(net::any_io_executor ex, const config& main, app_spec spec, proxy_context& front, hooks h)
    : ex_(ex),
      spec_(std::move(spec)),
      cfg_(unit_config(main, spec_)),
      hooks_(std::move(h)),
      source_(make_unit_source(ex, cfg_)),
      policy_(unit_policy(cfg_, source_->kind())),
      timer_(ex),
      gate_(ex),
      pool_(ex, source_->target()),
      ctx_{.gate = gate_,
           .pool = pool_,
           .hub = front.hub,
           .hosts = front.hosts,
           .buffers = front.buffers,
           .hold_timeout = front.hold_timeout,
           .idle_timeout = front.idle_timeout,
           .header_timeout = front.header_timeout,
           .script_tag = front.script_tag,
           .app_failure = [this] { return failure(); },
           .restart_app = {},
           .app_refused = {},
           .upstream_host = {},
           .origin = source_->origin(),
           .serve = nullptr,
           .files = nullptr,
           .socket_token = front.socket_token,
           .open_frame = {},
           .responses_in_flight = 0,
           .on_drained = {},
           .app_connects = 0,
           .max_held = front.max_held,
           .app_paused = false,
           .route = {},
           .wait_live = front.wait_live,
           .cancel_wait = front.cancel_wait,
           .tls = front.tls,
           .network_url = front.network_url} {
  if (source_->kind() == app_kind::upstream) ctx_.app_refused = [this] { source_->refused(); };
}

app_failure app_unit::failure() const {
  auto f = source_->failure(gate_.is_failed(), policy_.crash_restart_delay());
  // Of several apps, the page says which one: "api crashed", not "The app crashed".
  constexpr std::string_view generic = "The app ";
  if (f.cause_title.starts_with(generic)) f.cause_title = spec_.name + " " + f.cause_title.substr(generic.size());
  return f;
}

app_source::events app_unit::events() {
  const auto now = [] { return clock::now(); };
  app_source::events e;
  e.ready = [this, now](std::uint64_t run, std::chrono::milliseconds took) {
    apply(source_->kind() == app_kind::upstream ? policy_.upstream_up(now(), run) : policy_.ready(now(), run, took));
  };
  e.exited = [this, now](const restart_policy::exit_info& x) { apply(policy_.exited(now(), x)); };
  e.cannot_reach = [this] { apply(policy_.cannot_reach()); };
  e.went_down = [this, now] { apply(policy_.upstream_down(now())); };
  e.stayed_up = [this, now] { apply(policy_.upstream_stayed_up(now())); };
  e.started = [this](std::uint64_t run, int pid) {
    run_ = run;
    pid_ = pid;
    if (hooks_.changed) hooks_.changed();
  };
  e.output = [] {};
  return e;
}

void app_unit::start(const std::string& front_url) {
  source_->set_front_url(front_url);
  source_->start(events());
  apply(policy_.start());
  const std::string routes = side_process() ? std::string("a side process") : [&] {
    std::string r;
    for (const auto& p : spec_.routes) r += (r.empty() ? "" : ", ") + p;
    return r;
  }();
  log::info(spec_.name + ": " + routes + (side_process() ? "" : " -> " + source_->describe()) +
            (spec_.hmr.value_or(false) ? " (its own hot reload shows changes under its directory)" : ""));
}

void app_unit::stop(bool now, std::function<void()> done) {
  if (!stopping_) {
    stopping_ = true;
    apply(policy_.stop());
    timer_.cancel();
  }
  source_->stop(now, std::move(done));
}

void app_unit::code_changed(const std::string& summary) {
  if (stopping_) return;
  restart_policy::changes c;
  c.act = restart_policy::changes::strongest::restart;
  c.summary = summary;
  apply(policy_.settled(clock::now(), c));
}

void app_unit::code_pending(bool named) {
  if (!stopping_) apply(policy_.code_pending(clock::now(), named));
}

void app_unit::temporary_only() {
  if (!stopping_) apply(policy_.temporary_only(clock::now()));
}

void app_unit::manual_restart(const std::string& why) {
  if (!stopping_) apply(policy_.manual_restart(clock::now(), why));
}

void app_unit::apply(const policy_commands& cmds) {
  using kind = policy_command::kind;
  bool drained = false;
  for (const auto& c : cmds) {
    switch (c.what) {
      case kind::open_gate:
        pool_.new_generation(c.run);
        gate_.open();
        break;
      case kind::close_gate:
        gate_.close();
        break;
      case kind::fail_gate:
        gate_.fail();
        break;
      case kind::start_run:
        source_->start_run();
        break;
      case kind::wait_for_drain:
        if (ctx_.responses_in_flight == 0) {
          drained = true;
        } else {
          ctx_.on_drained = [this] {
            net::post(ex_, [this] {
              if (!stopping_) apply(policy_.responses_drained(clock::now()));
            });
          };
        }
        break;
      case kind::follow_upstream:
        source_->follow_restart();
        break;
      case kind::reload_tabs:
        // A side process serves no page: its restart is nothing the tabs would show.
        if (!side_process() && hooks_.reload_tabs) hooks_.reload_tabs(c.full);
        break;
      case kind::swap_css:
        break;  // the front's watcher swaps stylesheets for every app
      default:
        report(c);
        break;
    }
  }
  if (hooks_.changed) hooks_.changed();
  if (drained) {
    ctx_.on_drained = nullptr;
    apply(policy_.responses_drained(clock::now()));
    return;
  }
  arm_timer();
}

status_board::app_row app_unit::row() const {
  status_board::app_row r;
  r.name = spec_.name;
  const bool ours = source_->kind() == app_kind::command;
  switch (policy_.gate()) {
    case restart_policy::gate_state::open:
      r.state = "running";
      break;
    case restart_policy::gate_state::failed:
      r.state = ours && !policy_.running() ? "crashed" : "down";
      break;
    case restart_policy::gate_state::closed:
      r.state = run_ > 1 || (!ours && source_->generation() > 0) ? "restarting" : "starting";
      break;
  }
  // A side process's gate never opens for a request: it runs while its process does.
  if (side_process()) r.state = policy_.running() ? "running" : policy_.crash_restart_delay() ? "restarting" : "crashed";
  r.pid = ours ? pid_ : 0;
  r.run = ours ? run_ : source_->generation();
  for (const auto& p : spec_.routes) r.routes += (r.routes.empty() ? "" : ", ") + p;
  r.command = ours ? source_->command_text() : source_->target_text();
  r.last = last_;
  r.held = gate_.waiting();
  return r;
}

void app_unit::report(const policy_command& c) {
  using kind = policy_command::kind;
  using outcome = policy_command::outcome;
  const auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; };
  const std::string& name = spec_.name;
  const auto say = [&](const std::string& line, bool warn) {
    last_ = line;
    if (warn) log::warn(name + ": " + line);
    else log::info(name + ": " + line);
  };
  switch (c.what) {
    case kind::app_ready:
      if (!c.quiet && !side_process())
        log::info(name + " ready" + (source_->kind() == app_kind::command ? " in " + ms(c.app_took) : "") +
                  " (run " + std::to_string(c.run) + ")");
      break;
    case kind::app_failed:
      say(c.text + (side_process() ? "" : "; its routes get the error page, the other apps go on"), true);
      break;
    case kind::begin_action:
      log::info(name + ": " + c.text + " changed: " + c.action);
      break;
    case kind::finish_action:
      if (c.quiet) break;
      if (c.result == outcome::restarted)
        say("restarted in " + ms(c.took) + " (app start " + ms(c.app_took) + ") for " + c.text, false);
      else if (c.result == outcome::failed)
        say("did not start again: " + c.detail, true);
      else if (c.result == outcome::upstream_restarted)
        say("came back in " + ms(c.took), false);
      break;
    case kind::crash_restart:
      log::info(name + ": starting it again in " + ms(c.took));
      break;
    case kind::crash_wait:
      log::info(name + ": a change to its files starts it again");
      break;
    default:
      break;
  }
}

void app_unit::arm_timer() {
  const auto due = policy_.next_due();
  if (!due) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(*due);
  timer_.async_wait([this](error_code ec) {
    if (ec || stopping_) return;
    apply(policy_.tick(clock::now()));
  });
}

}  // namespace liveproxy
