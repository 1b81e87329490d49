// The restart loop: code change -> close the gate and restart; ready -> open the gate, then reload tabs.
#include "proxy/dev_server.hpp"

#include "proxy/app/exit_status.hpp"
#include "proxy/app/listening_sockets.hpp"
#include "proxy/app/project_presets.hpp"
#include "proxy/settings/config_file.hpp"
#include "proxy/http/local_addresses.hpp"
#include "proxy/app/traceback_files.hpp"
#include "proxy/browser/event_json.hpp"
#include "proxy/base/log.hpp"
#include "proxy/status/report_text.hpp"

#include <algorithm>
#include <regex>

namespace liveproxy {
namespace {

/// The front socket: on --port, or when the default port is taken, on the next free one after it (as Vite does).
listener open_front(net::any_io_executor ex, const config& cfg, std::string& moved) {
  for (int attempt = 0;; ++attempt) {
    const auto port = static_cast<std::uint16_t>(cfg.port + attempt);
    try {
      listener l(ex, cfg.host, port);
      if (attempt > 0)
        moved = "port " + std::to_string(cfg.port) + " is in use by " + describe_port_owner(cfg.port) + ": using " +
                std::to_string(port) + " (give --port to choose)";
      return l;
    } catch (const std::system_error& e) {
      if (e.code() != std::errc::address_in_use) throw;
      if (cfg.port_given || cfg.port == 0 || attempt >= 20 || port == 65535)
        throw std::runtime_error("port " + std::to_string(port) + " on " + cfg.host + " is in use by " +
                                 describe_port_owner(port) + "; choose another with --port");
    }
  }
}

std::uint16_t pick_free_port(net::any_io_executor ex, const std::string& host) {
  tcp_acceptor probe(ex, tcp::endpoint(net::ip::make_address(host), 0));
  return probe.local_endpoint().port();
}

/// --app-port N taken by another program: it would be taken for our app (and "ready" at once).
void check_app_port_free(net::any_io_executor ex, const config& cfg) {
  if (!cfg.app_port_given || cfg.upstream || cfg.serve_dir) return;
  tcp_acceptor probe(ex);
  const tcp::endpoint ep(net::ip::make_address(cfg.app_host), cfg.app_port);
  error_code ec;
  probe.open(ep.protocol(), ec);
  probe.set_option(tcp_acceptor::reuse_address(true), ec);
  probe.bind(ep, ec);
  if (ec == net::error::address_in_use)
    throw std::runtime_error("--app-port " + std::to_string(cfg.app_port) + " is in use by " +
                             describe_port_owner(cfg.app_port) +
                             ": stop it, or leave --app-port out and liveproxy picks a free port");
}

/// --fd mode: the app's listening socket, bound by us so it outlives every app run.
std::optional<tcp_acceptor> make_handoff(net::any_io_executor ex, const config& cfg) {
  if (!cfg.socket_handoff) return std::nullopt;
  tcp_acceptor a(ex);
  const tcp::endpoint ep(net::ip::make_address(cfg.app_host), cfg.app_port);
  a.open(ep.protocol());
  a.set_option(tcp_acceptor::reuse_address(true));
  a.bind(ep);
  a.listen(net::socket_base::max_listen_connections);
  return a;
}

std::vector<std::string> allowed_hosts(const config& cfg) {
  // A non-loopback --host means the user wants other machines in: let that name in too.
  std::vector<std::string> hosts;
  if (cfg.host != "0.0.0.0" && cfg.host != "::") hosts.push_back(cfg.host);
  // Every address: the machine's own addresses are the ones another device (a phone, the VM's host) uses.
  else hosts = local_addresses(cfg.host == "::");
  hosts.insert(hosts.end(), cfg.allowed_hosts.begin(), cfg.allowed_hosts.end());
  return hosts;
}

/// Where requests go: the supervised app's private port, or the --upstream URL's addresses.
app_target make_target(net::any_io_executor ex, const config& cfg, std::uint16_t app_port) {
  app_target t;
  if (cfg.serve_dir) return t;  // no app
  if (!cfg.upstream) {
    t.endpoints.emplace_back(net::ip::make_address(cfg.app_host), app_port);
    t.name = "port " + std::to_string(app_port);
    return t;
  }
  const auto& u = *cfg.upstream;
  tcp::resolver resolver(ex);
  error_code ec;
  for (const auto& r : resolver.resolve(u.host, std::to_string(u.port), ec)) t.endpoints.push_back(r.endpoint());
  if (ec || t.endpoints.empty())
    throw std::runtime_error("--upstream " + u.text() + ": cannot resolve " + u.host + ": " + ec.message());
  t.name = u.text();
  if (u.tls) {
    t.tls = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
    t.tls->set_default_verify_paths();  // the system's CAs (and SSL_CERT_FILE / SSL_CERT_DIR if set)
    t.tls->set_verify_mode(cfg.upstream_insecure ? net::ssl::verify_none : net::ssl::verify_peer);
    t.tls_host = u.host;
  }
  return t;
}

/// Early starts in one burst of code changes: the first change, and one more if another follows (an editor
/// that saves twice). After that the burst is taken as many changes (a checkout): one start once settled.
constexpr int speculative_starts_per_burst = 2;

watcher::options watch_options(const config& cfg,
                               std::function<void(bool, const std::vector<std::string>&)> on_restart_pending) {
  watcher::options o;
  o.on_restart_pending = std::move(on_restart_pending);
  o.roots = cfg.watch_dirs;
  o.extra_ignores = cfg.ignores;
  o.poll_interval = cfg.poll_interval;
  o.use_watchman = cfg.use_watchman;
  o.restart_settle = cfg.restart_settle;
  o.browser_coalesce = cfg.browser_coalesce;
  // A node (deno, bun...) app's own scripts are its code: they restart it, except under public/ and the like.
  // The user's rules first (first match wins), then the built-in ones: a node (deno, bun...) app's own
  // scripts are its code, they restart it, except under public/ and the like.
  o.rules = cfg.rules;
  const auto& defaults = watcher::classifier::default_rules(cfg.js_runs_on_server);
  o.rules.insert(o.rules.end(), defaults.begin(), defaults.end());
  return o;
}

std::string summarize(const watcher::batch& b) {
  std::string names;
  const std::size_t shown = std::min<std::size_t>(b.changes.size(), 3);
  for (std::size_t i = 0; i < shown; ++i) names += (i ? ", " : "") + b.changes[i].rel_path;
  if (b.changes.size() > shown) names += " and " + std::to_string(b.changes.size() - shown) + " more";
  if (b.overflow) names += names.empty() ? "(events lost: rescanned)" : " (events lost: rescanned)";
  return names;
}

long long to_ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::string seconds_text(std::chrono::milliseconds d) {
  std::string s = std::to_string(d.count() / 1000.0);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s + " s";
}

}  // namespace

dev_server::dev_server(net::any_io_executor ex, config cfg)
    : ex_(ex),
      cfg_(std::move(cfg)),
      listener_(open_front(ex, cfg_, front_moved_)),
      handoff_((check_app_port_free(ex, cfg_), make_handoff(ex, cfg_))),
      app_port_(cfg_.upstream || cfg_.serve_dir ? 0
                : handoff_      ? handoff_->local_endpoint().port()
                : cfg_.app_port ? cfg_.app_port
                                : pick_free_port(ex, cfg_.app_host)),
      gate_(ex),
      pool_(ex, make_target(ex, cfg_, app_port_)),
      hub_(make_instance_id(), [this] { return app_generation(); }),
      hosts_(allowed_hosts(cfg_)),
      ctx_{gate_,
           pool_,
           hub_,
           hosts_,
           buffers_,
           cfg_.hold_timeout,
           cfg_.idle_timeout,
           cfg_.header_timeout,
           std::string(),  // script_tag: set below, with the token
           [this] { return describe_failure(); },
           cfg_.upstream || cfg_.serve_dir ? std::function<void()>()
                                           : [this] { manual_restart("restart requested over HTTP"); },
           cfg_.upstream ? [this] { upstream_->on_refused(); } : std::function<void()>(),
           cfg_.upstream && cfg_.upstream_host ? cfg_.upstream->authority : std::string(),
           cfg_.upstream ? make_app_origin(cfg_.upstream->tls, cfg_.upstream->host, cfg_.upstream->port)
                         : make_app_origin(false, cfg_.app_host, app_port_),
           nullptr},
      watcher_(std::make_unique<watcher::watcher>(
          ex, watch_options(cfg_, [this](bool p, const auto& paths) { on_restart_pending(p, paths); }),
          [this](const watcher::batch& b) { on_changes(b); })),
      stdin_(ex, [this] { manual_restart("rs typed"); }),
      crash_restart_timer_(ex),
      status_(ex, hub_, [this] { return supervisor_ ? supervisor_->output().lines() : std::deque<std::string>{}; }),
      announce_timer_(ex),
      drain_timer_(ex) {
  // 128 random bits; the tag is fixed text (the CSP code adds a nonce before its "></script>").
  ctx_.socket_token = make_instance_id() + make_instance_id();
  ctx_.max_held = cfg_.max_held;
  ctx_.script_tag = R"(<script src="/__liveproxy/client.js" data-token=")" + ctx_.socket_token + R"("></script>)";
  hub_.set_status_source([this] { return status_snapshot(); });
  hub_.set_on_tabs_changed([this] { status_.changed(); });
  if (cfg_.serve_dir) {
    serve_ = static_options{*cfg_.serve_dir, cfg_.spa, cfg_.dotfiles};
    ctx_.serve = &*serve_;
    ctx_.files = &files_;
    gate_.open();
    return;
  }
  if (cfg_.upstream) {
    upstream_.emplace(ex,
                      upstream_monitor::options{pool_.target().endpoints, cfg_.upstream->authority,
                                                cfg_.upstream->tls, cfg_.upstream_grace},
                      upstream_monitor::callbacks{[this] { on_upstream_down(); }, [this] { on_upstream_up(); },
                                                  [this] { on_upstream_no_restart(); }});
    return;
  }
  auto spare = spare_setup(cfg_);
  supervisor_.emplace(ex,
                      supervisor_options{expand_placeholders(cfg_.app_command, app_port_), cfg_.app_host, app_port_,
                                         cfg_.start_timeout, handoff_ ? handoff_->native_handle() : -1,
                                         // {fd} in the command names the socket; LISTEN_FDS would name it twice.
                                         std::none_of(cfg_.app_command.begin(), cfg_.app_command.end(),
                                                      [](const std::string& a) {
                                                        return a.find("{fd}") != std::string::npos;
                                                      }),
                                         cfg_.env, std::move(spare.first), std::move(spare.second)},
                      supervisor::callbacks{[this](std::uint64_t g) { on_app_ready(g); },
                                            [this](const app_exit& e) { on_app_exit(e); },
                                            [this](std::uint64_t g) { on_start_timeout(g); },
                                            [this](std::uint64_t g, int pid) {
                                              if (g == 1) log::info("starting the app: " + command_text());
                                              status_.board().app_starting(g, pid);
                                              status_.changed();
                                            },
                                            [this] {
                                              last_app_output_ = std::chrono::steady_clock::now();
                                              status_.changed();
                                            },
                                            [](const std::string& output) {
                                              std::string text = output;
                                              while (!text.empty() && text.back() == '\n') text.pop_back();
                                              log::warn("--preload: the preloaded interpreter ended before it was "
                                                        "used; the app starts the plain way from now on" +
                                                        (text.empty() ? std::string() : ". It said:\n" + text));
                                            }});
}

std::pair<std::vector<std::string>, std::vector<std::string>> dev_server::spare_setup(const config& c) {
  if (!c.preload.value_or(false) || c.app_command.empty()) return {};
  std::string why_not;
  const auto python = parse_python_command(expand_placeholders(c.app_command, app_port_), why_not);
  if (!python) {
    log::warn("--preload: " + why_not + "; the app starts the plain way");
    return {};
  }
  // The warm interpreter restarts itself through sys.orig_argv (3.10) when a preloaded file changed.
  const std::string version = python_version(python->interpreter);
  if (const auto dot = version.find('.'); dot != std::string::npos) {
    const int major = std::atoi(version.c_str());
    const int minor = std::atoi(version.c_str() + dot + 1);
    if (major < 3 || (major == 3 && minor < 10)) {
      log::warn("--preload needs Python 3.10 or newer (" + python->interpreter + " is " + version +
                "); the app starts the plain way");
      return {};
    }
  }
  try {
    if (!preload_files_) preload_files_.emplace();
  } catch (const std::exception& e) {
    log::warn(std::string(e.what()) + "; the app starts the plain way");
    return {};
  }
  // The project's code is never preloaded: the watched directories and the one the app runs in.
  auto dirs = c.watch_dirs;
  dirs.push_back(std::filesystem::current_path());
  return {preload_files_->command(*python), preload_files_->env(dirs)};
}

std::uint64_t dev_server::app_generation() const {
  return supervisor_ ? supervisor_->generation() : upstream_ ? upstream_->generation() : 0;
}

void dev_server::start() {
  watcher_->start();
  if (cfg_.config_file) {
    std::error_code ec;
    config_path_ = std::filesystem::weakly_canonical(std::filesystem::absolute(*cfg_.config_file), ec);
    log::info("settings from " + cfg_.config_file->string() + " (edits apply while running)");
    watch_extras();
  }
  if (supervisor_) {
    supervisor_->start();
    start_port_watch();
  }
  if (upstream_) upstream_->start();
  net::co_spawn(ex_, listener_.run(ctx_, cfg_.max_connections), net::detached);
  const auto front = listener_.local_endpoint();
  std::string watched;
  for (const auto& d : cfg_.watch_dirs) watched += (watched.empty() ? "" : ", ") + d.string();
  front_url_ = "http://" + url_host(front.address()) + ":" + std::to_string(front.port());
  const std::string& front_url = front_url_;
  if (serve_) {
    log::info(front_url + " serving " + serve_->root.string() + (serve_->spa ? " (--spa)" : ""));
    status_.board().set_mode("serve", serve_->root.string(), "", front_url);
    status_.board().app_state("running");
  } else if (upstream_) {
    log::info(front_url + " -> " + pool_.target().name + " (an app liveproxy does not start)");
    status_.board().set_mode("upstream", pool_.target().name, "", front_url);
  } else {
    log::info(front_url + " -> app on " + cfg_.app_host + ":" + std::to_string(app_port_) +
              (handoff_ ? " (socket handed over as fd 3)" : ""));
    status_.board().set_mode("command", cfg_.app_host + ":" + std::to_string(app_port_), command_text(), front_url);
  }
  log::info("watching " + watched + " (" + watcher_->backend_name() + ")");
  if (!front.address().is_loopback())
    log::warn("listening on " + url_host(front.address()) + ", not only on this machine: other devices on the network "
              "reach your app through liveproxy (" + (serve_ ? "the served folder" : "every page and API of it") +
              "); liveproxy's own endpoints and the app's error output answer only localhost, " +
              (front.address().is_unspecified() ? "this machine's addresses" : "that address") +
              " and --allowed-host names");
  if (!front_moved_.empty()) log::warn(front_moved_);
  for (const auto& w : cfg_.warnings) log::warn(w);
  if (supervisor_ && stdin_.start()) log::info("type rs + Enter to restart the app");
  if (serve_) announce();
}

void dev_server::shutdown(bool now, std::function<void()> done) {
  if (!stopping_) {
    stopping_ = true;
    watcher_->stop();
    stdin_.stop();
    listener_.close();
    crash_restart_timer_.cancel();
    if (upstream_) upstream_->stop();
  }
  if (supervisor_) supervisor_->stop(now, std::move(done));
  else net::post(ex_, std::move(done));  // nothing of ours to stop
}

int dev_server::exit_status() const {
  if (!supervisor_) return 0;
  // Only an exit the app made by itself, and that no later run replaced, is reported.
  return exit_status_for(supervisor_->running() ? std::nullopt : last_exit_);
}

void dev_server::restart_now() {
  crash_restart_timer_.cancel();
  crash_restart_in_.reset();
  gate_.close();
  reload_when_ready_ = true;
  if (draining_) return;  // the restart under way covers this one
  if (ctx_.responses_in_flight == 0) {
    supervisor_->restart();
    start_port_watch();
    return;
  }
  // Responses the app is sending finish first (new requests already wait at the gate): stopping the app
  // mid-body would cut them. At most limits::restart_drain.
  draining_ = true;
  const auto until = std::chrono::steady_clock::now() + limits::restart_drain;
  struct waiter {
    dev_server* self;
    std::chrono::steady_clock::time_point until;
    void operator()(error_code ec) const {
      if (ec || self->stopping_) return;
      if (self->ctx_.responses_in_flight != 0 && std::chrono::steady_clock::now() < until) {
        self->drain_timer_.expires_after(std::chrono::milliseconds(2));
        self->drain_timer_.async_wait(*this);
        return;
      }
      self->draining_ = false;
      self->supervisor_->restart();
      self->start_port_watch();
    }
  };
  drain_timer_.expires_after(std::chrono::milliseconds(2));
  drain_timer_.async_wait(waiter{this, until});
}

void dev_server::start_port_watch() {
  // With --fd the app is handed our socket; it cannot listen elsewhere by mistake.
  if (!supervisor_ || handoff_) return;
  foreign_listen_.reset();
  net::co_spawn(ex_, watch_for_foreign_port(++port_watch_run_), net::detached);
}

awaitable<void> dev_server::watch_for_foreign_port(std::uint64_t run) {
  steady_timer pause(ex_);
  const auto give_up = std::chrono::steady_clock::now() + cfg_.start_timeout;
  // Every half second from 0.5 s on: a quick app listens within that; a /proc scan costs a few milliseconds.
  while (std::chrono::steady_clock::now() < give_up) {
    pause.expires_after(std::chrono::milliseconds(500));
    co_await pause.async_wait(use_tuple);
    if (run != port_watch_run_ || stopping_ || gate_.is_open() || !supervisor_->running()) co_return;
    const int pid = supervisor_->app_pid();
    if (pid <= 0) continue;
    for (const auto& a : listening_addresses_of(process_tree(pid))) {
      if (a.port == app_port_) co_return;  // ours: readiness follows
      const bool v6 = a.address.find(':') != std::string::npos;
      const std::string where = (v6 ? "[" + a.address + "]" : a.address) + ":" + std::to_string(a.port);
      foreign_listen_ = where;
      log::warn("the app listens on " + where + ", not on the port liveproxy gave it (" + std::to_string(app_port_) +
                "): add 127.0.0.1:{port} (or --port {port}) to the command, or use --app-port " +
                std::to_string(a.port));
      // Waiting tabs get this explanation now rather than the start timeout's in 20 s.
      gate_.fail();
      hub_.broadcast(event_json::reload());
      reload_when_ready_ = true;
      co_return;
    }
  }
}

void dev_server::manual_restart(std::string_view why) {
  if (stopping_ || !supervisor_) return;
  begin_action(std::string(why), "restart");
  backoff_.reset();
  restart_now();
}

void dev_server::watch_extras() {
  std::vector<std::filesystem::path> files(extra_watched_.begin(), extra_watched_.end());
  if (!config_path_.empty()) files.push_back(config_path_);
  if (files.empty()) return;
  try {
    watcher_->watch_extra_files(files);
  } catch (const std::exception& ex) {
    log::warn(std::string("cannot watch ") + files.front().string() + ": " + ex.what());
  }
}

void dev_server::reload_config() {
  std::vector<const char*> argv;
  for (const auto& a : cfg_.command_line) argv.push_back(a.c_str());
  config next;
  try {
    next = parse_command_line(static_cast<int>(argv.size()), argv.data());
    if (next.detect_project) {
      if (const auto preset = detect_project(std::filesystem::current_path())) apply_preset(next, *preset);
      else throw config_error(unrecognised_project_message(std::filesystem::current_path()));
    }
  } catch (const std::exception& e) {
    log::warn(std::string(e.what()) + " -- the previous settings stay in force");
    return;
  }
  const auto plan = plan_reload(cfg_, next);
  if (plan.changed.empty()) return;
  log::info(cfg_.config_file->string() + " changed: " + describe(plan));
  // What cannot change while running (front port and host, the mode) keeps its running value.
  next.port = cfg_.port;
  next.host = cfg_.host;
  next.app_port = cfg_.app_port;
  next.socket_handoff = cfg_.socket_handoff;
  next.upstream = cfg_.upstream;
  next.serve_dir = cfg_.serve_dir;
  if (plan.apply_live) {
    hosts_ = host_check(allowed_hosts(next));
    ctx_.hold_timeout = next.hold_timeout;
    ctx_.idle_timeout = next.idle_timeout;
    ctx_.header_timeout = next.header_timeout;
    if (serve_) {
      serve_->spa = next.spa;
      serve_->dotfiles = next.dotfiles;
    }
  }
  const bool restart = plan.restart_app && supervisor_ && !next.app_command.empty();
  if (restart) {
    auto spare = spare_setup(next);
    supervisor_->reconfigure(expand_placeholders(next.app_command, app_port_), next.env, next.start_timeout,
                             std::move(spare.first), std::move(spare.second));
  }
  const bool rebuild = plan.rebuild_watcher;
  cfg_ = std::move(next);
  if (rebuild) {
    // Not from inside the old watcher's callback: the next turn of the loop.
    net::post(ex_, [this] {
      if (stopping_) return;
      watcher_ = std::make_unique<watcher::watcher>(
          ex_, watch_options(cfg_, [this](bool p, const auto& paths) { on_restart_pending(p, paths); }),
          [this](const watcher::batch& b) { on_changes(b); });
      watcher_->start();
      watch_extras();
    });
  }
  if (restart) {
    backoff_.reset();
    restart_now();
  }
}

void dev_server::on_restart_pending(bool pending, const std::vector<std::string>& paths) {
  if (!supervisor_ || !cfg_.speculative_restart || stopping_) return;
  if (!pending) {
    if (spec_.active) settle_speculation("temporary files only");
    return;
  }
  // liveproxy.json is read again once settled; whether that restarts the app depends on what changed in it.
  if (!paths.empty() && !config_path_.empty() &&
      std::all_of(paths.begin(), paths.end(), [&](const std::string& p) { return p == config_path_.string(); }))
    return;
  if (!spec_.active) {
    // A deletion alone (or lost events) does not start the app early: the file is often written again at once
    // (an editor's save), and that is the start worth making.
    if (paths.empty()) return;
    spec_ = speculation{true, 0, false, std::chrono::steady_clock::now(), {}, {}, {}};
  }
  if (paths.empty() || spec_.starts >= speculative_starts_per_burst) {
    spec_.overtaken = true;
    return;
  }
  ++spec_.starts;
  spec_.overtaken = false;
  spec_.ready.reset();
  spec_.ready_took.reset();
  spec_.exit.reset();
  log::detail("code changed: restarting now; requests wait until the changes settle");
  backoff_.reset();
  restart_now();
}

void dev_server::settle_speculation(std::string what) {
  spec_.active = false;
  begin_action(std::move(what), "restart");
  pending_->since = spec_.since;
  const auto ready = std::exchange(spec_.ready, std::nullopt);
  const auto took = std::exchange(spec_.ready_took, std::nullopt);
  const auto exit = std::exchange(spec_.exit, std::nullopt);
  if (spec_.overtaken) {
    restart_now();
    return;
  }
  if (exit) {
    on_app_exit(*exit);
  } else if (ready && *ready == supervisor_->generation()) {
    spec_.ready_took = took;
    on_app_ready(*ready);
  }
}

void dev_server::on_changes(const watcher::batch& in) {
  if (stopping_ || in.strongest == watcher::action::ignore) return;
  // The restart this batch asks for has been made already, at its first change.
  const bool restarted_early = spec_.active && in.strongest == watcher::action::restart;
  if (restarted_early) settle_speculation(summarize(in));
  // liveproxy.json is read again, not classified like the project's files.
  const watcher::batch* batch_ptr = &in;
  watcher::batch rest;
  if (!config_path_.empty() &&
      std::any_of(in.changes.begin(), in.changes.end(), [&](const auto& c) { return c.path == config_path_.string(); })) {
    rest.overflow = in.overflow;
    for (const auto& c : in.changes) {
      if (c.path == config_path_.string()) continue;
      rest.changes.push_back(c);
      rest.strongest = std::max(rest.strongest, c.act);
    }
    batch_ptr = &rest;
    reload_config();
    if (rest.changes.empty() || rest.strongest == watcher::action::ignore) return;
  }
  const watcher::batch& b = *batch_ptr;
  if (upstream_ && b.strongest == watcher::action::restart) {
    // The app's own reloader restarts it: follow that, and reload the tabs once it is back.
    begin_action(summarize(b), "the app's reloader");
    upstream_->after_change();
    return;
  }
  if (serve_ && b.strongest == watcher::action::restart) {
    // No app to restart: whatever changed (a script, data) is picked up by a reload.
    hub_.broadcast(event_json::reload());
    act(summarize(b), "page reload", "page reload" + tabs_text(hub_.size()));
    return;
  }
  const bool app_down = supervisor_ && !supervisor_->running();
  if (restarted_early) return;
  if (supervisor_ && (b.strongest == watcher::action::restart || app_down)) {
    // A crashed app comes back on any change: the edit may well be the fix.
    begin_action(summarize(b), app_down ? "start" : "restart");
    backoff_.reset();
    restart_now();
    return;
  }
  if (!gate_.is_open()) {
    // The app is on its way up; its readiness will reload every tab anyway.
    reload_when_ready_ = true;
    log::detail(summarize(b) + ": the tabs reload once the app is up");
    return;
  }
  if (b.strongest == watcher::action::reload) {
    if (supervisor_ && !flask_hint_given_) {
      const auto& lines = supervisor_->output().lines();
      if (std::any_of(lines.begin(), lines.end(),
                      [](const std::string& l) { return l.find(" * Debug mode: off") != std::string::npos; })) {
        flask_hint_given_ = true;
        log::warn("if the page still shows the old template: Flask caches templates outside debug mode; run it "
                  "with --debug (flask --app APP --debug run --no-reload), or set "
                  "app.config[\"TEMPLATES_AUTO_RELOAD\"] = True");
      }
    }
    hub_.broadcast(event_json::reload());
    act(summarize(b), "page reload", "page reload" + tabs_text(hub_.size()));
    return;
  }
  for (const auto& c : b.changes)
    if (c.act == watcher::action::css) hub_.broadcast(event_json::css("/" + c.rel_path));
  act(summarize(b), "css swap", "css swap" + tabs_text(hub_.size()));
}

void dev_server::on_app_ready(std::uint64_t generation) {
  if (spec_.active) {
    // Started early: more changes may still come and replace it. It answers nothing until they have settled.
    spec_.ready = generation;
    spec_.ready_took = std::chrono::duration_cast<std::chrono::milliseconds>(supervisor_->since_start());
    return;
  }
  pool_.new_generation(generation);
  last_exit_.reset();
  traceback_.clear();
  const bool was_timed_out = start_timed_out_ || foreign_listen_;
  start_timed_out_ = false;
  foreign_listen_.reset();
  missing_module_.reset();
  // How long the app took to listen (a run started early may have been ready for a while).
  const auto took = std::exchange(spec_.ready_took, std::nullopt)
                        .value_or(std::chrono::duration_cast<std::chrono::milliseconds>(supervisor_->since_start()));
  const std::string ready = "app ready on port " + std::to_string(app_port_) + " in " + std::to_string(took.count()) +
                            " ms (run " + std::to_string(generation) + (handoff_ ? ", socket handed over" : "") + ")";
  if (pending_) log::detail(ready);
  else log::info(ready);
  status_.board().app_ready(took);
  const auto held = gate_.waiting();
  gate_.open();
  std::size_t reloaded = 0;
  if (reload_when_ready_ || was_timed_out) {
    reload_when_ready_ = false;
    reloaded = hub_.size();
    hub_.broadcast(event_json::reload());
  }
  if (pending_) {
    std::string outcome = "restarted in " + std::to_string(to_ms(std::chrono::steady_clock::now() - pending_->since)) +
                          " ms (app start " + std::to_string(took.count()) + " ms" +
                          (supervisor_->run_was_preloaded() ? ", preloaded)" : ")");
    outcome += ", " + count_of(reloaded, "tab") + " reloaded";
    if (held != 0) outcome += ", " + count_of(held, "held request") + " released";
    finish_action(std::move(outcome));
  }
  announce();
}

void dev_server::on_start_timeout(std::uint64_t generation) {
  if (generation != supervisor_->generation() || stopping_) return;
  start_timed_out_ = true;
  if (handoff_)
    log::warn("the app (run " + std::to_string(generation) + ") has not accepted a connection on the socket handed "
              "over as fd 3 within " + seconds_text(cfg_.start_timeout) +
              " (--start-timeout); does it take fd 3 ({fd} or LISTEN_FDS)? Still waiting for it");
  else
    log::warn("the app (run " + std::to_string(generation) + ") has not listened on " + cfg_.app_host + ":" +
              std::to_string(app_port_) + " within " + seconds_text(cfg_.start_timeout) +
              " (--start-timeout); is it using $PORT or {port}? Still waiting for it");
  // Waiting requests get the explanation now instead of waiting out the hold timeout; in --fd mode they
  // wait in the socket's backlog, from which they are taken and closed (the proxy then finds the gate failed).
  gate_.fail();
  if (handoff_) drain_handoff_backlog();
  hub_.broadcast(event_json::reload());
  reload_when_ready_ = true;
}

void dev_server::on_app_exit(const app_exit& e) {
  if (spec_.active) {
    spec_.exit = e;  // said once the changes settle, unless a later start replaces this run
    return;
  }
  last_exit_ = e;
  start_timed_out_ = false;
  ++port_watch_run_;
  foreign_listen_.reset();
  explain_missing_module();
  if (handoff_) drain_handoff_backlog();
  gate_.fail();
  watch_traceback_files();
  const std::string what = std::string("app ") + e.describe() +
                           (e.was_ready ? "" : " before it listened on port " + std::to_string(app_port_));
  status_.board().app_exited(e.describe());
  // The warning below is the line; the status page gets the outcome.
  if (pending_) finish_action("failed: " + what, false);
  status_.changed();
  if (cfg_.restart_on_crash && !stopping_) {
    const auto delay = backoff_.on_crash(e.uptime);
    crash_restart_in_ = delay;
    log::warn(what + "; restarting it in " + seconds_text(delay) + " (--restart-on-crash), or at the next change");
    crash_restart_timer_.expires_after(delay);
    crash_restart_timer_.async_wait([this](error_code ec) {
      if (ec || stopping_) return;
      crash_restart_in_.reset();
      begin_action("after the crash", "restart");
      gate_.close();
      reload_when_ready_ = true;
      supervisor_->restart();
      start_port_watch();
    });
  } else {
    log::warn(what + "; waiting for a file change to start it again (or type rs)");
  }
  // Open tabs show the error page (with the output) now, and reload again once the app is back.
  hub_.broadcast(event_json::reload());
  reload_when_ready_ = true;
}

void dev_server::explain_missing_module() {
  missing_module_.reset();
  static const std::regex missing(R"(No module named '([A-Za-z0-9_]+))");
  const auto& lines = supervisor_->output().lines();
  std::smatch m;
  std::string module;
  for (auto it = lines.rbegin(); it != lines.rend() && module.empty(); ++it)
    if (std::regex_search(*it, m, missing)) module = m[1].str();
  if (module.empty()) return;
  const auto& program = supervisor_->command().front();
  // Which interpreters do have it (a few at most: each costs a Python start, on this loop, once per crash).
  std::string with;
  std::size_t tried = 0;
  for (const auto& python : python_candidates(std::filesystem::current_path())) {
    if (++tried > 5) break;
    if (python_can_import(python, module)) with += (with.empty() ? "" : ", ") + python;
  }
  const auto resolved = find_program(program);
  missing_module_ = module;
  missing_module_hint_ = "The app's program " + (resolved.empty() ? program : resolved) +
                         " cannot import " + module + ". " +
                         (with.empty() ? "None of the Pythons found can: install it (Debian: apt-get install python3-" +
                                             module + "; or pip install " + module + " in a virtual environment)."
                                       : "These can: " + with + ". Run the app with one of them.");
  log::warn(missing_module_hint_);
}

void dev_server::watch_traceback_files() {
  traceback_.clear();
  const auto& lines = supervisor_->output().lines();
  std::vector<std::filesystem::path> add;
  for (const auto& loc : traceback_files(std::vector<std::string>(lines.begin(), lines.end()))) {
    std::error_code ec;
    std::filesystem::path p(loc.file);
    if (p.is_relative()) p = std::filesystem::current_path(ec) / p;
    p = std::filesystem::weakly_canonical(p, ec);
    // Library frames (site-packages, node_modules) are named too, but only real files can be watched.
    if (ec || !std::filesystem::is_regular_file(p, ec)) continue;
    traceback_.push_back(loc.file + ":" + std::to_string(loc.line));
    if (extra_watched_.insert(p).second) add.push_back(p);
  }
  if (add.empty()) return;
  try {
    watcher_->watch_extra_files(add);
  } catch (const std::exception& ex) {
    log::warn(std::string("cannot watch the files named in the traceback: ") + ex.what());
  }
}

void dev_server::drain_handoff_backlog() {
  // Requests queued in the handed-over socket's backlog would wait there for the next run: close them,
  // so the proxy answers each with the error page (it retries, and finds the gate failed).
  error_code ec;
  handoff_->non_blocking(true, ec);
  for (int i = 0; i < 1024; ++i) {
    tcp_socket s = handoff_->accept(ec);
    if (ec) break;
  }
}

void dev_server::on_upstream_down() {
  if (stopping_) return;
  if (upstream_->generation() == 0)
    log::info("nothing answers at " + pool_.target().name + " yet: holding requests until it does");
  else
    log::detail(pool_.target().name + " is restarting: holding requests until it answers again");
  status_.board().app_state(upstream_->generation() == 0 ? "down" : "restarting");
  status_.changed();
  gate_.close();
}

void dev_server::on_upstream_up() {
  if (stopping_) return;
  const auto generation = upstream_->generation();
  pool_.new_generation(generation);
  gate_.open();
  if (generation == 1 || !pending_) log::info(pool_.target().name + " answers" + (generation > 1 ? " again" : ""));
  status_.board().app_state("running");
  // Tabs opened before (or showing an error page meanwhile) see the restarted app.
  const std::size_t reloaded = generation > 1 || reload_when_ready_ ? hub_.size() : 0;
  if (generation > 1 || reload_when_ready_) hub_.broadcast(event_json::reload());
  reload_when_ready_ = false;
  if (pending_)
    finish_action("the app's reloader restarted it in " +
                  std::to_string(to_ms(std::chrono::steady_clock::now() - pending_->since)) + " ms, " +
                  count_of(reloaded, "tab") + " reloaded");
  announce();
}

void dev_server::on_upstream_no_restart() {
  if (stopping_) return;
  hub_.broadcast(event_json::reload());
  finish_action("no restart seen within " + seconds_text(cfg_.upstream_grace) + " (--upstream-grace): page reload" +
                tabs_text(hub_.size()));
}

error_info dev_server::describe_failure() const {
  error_info info;
  if (upstream_) {
    if (!upstream_->up()) {
      info.cause_title = "Nothing answers at " + pool_.target().name;
      info.cause = "liveproxy forwards to " + pool_.target().name +
                   ", which does not accept connections now. Start your app there (or wait for its own reloader); "
                   "this page reloads by itself once it answers.";
    }
    return info;
  }
  for (const auto& a : supervisor_->command()) info.command += (info.command.empty() ? "" : " ") + a;
  const auto& lines = supervisor_->output().lines();
  info.output.assign(lines.begin(), lines.end());
  info.files = traceback_;
  if (!gate_.is_failed()) return info;
  const std::string port = std::to_string(app_port_);
  if (foreign_listen_) {
    info.cause_title = "The app listens on " + *foreign_listen_ + ", not on the port liveproxy gave it";
    info.cause = "liveproxy started the app with the port " + port + " as $PORT" +
                 (std::any_of(cfg_.app_command.begin(), cfg_.app_command.end(),
                              [](const std::string& a) { return a.find("{port}") != std::string::npos; })
                      ? " and {port}"
                      : "") +
                 ", but it listens on " + *foreign_listen_ + ". Add 127.0.0.1:{port} (or --port {port}) to the command "
                 "so it listens where liveproxy expects it, or start liveproxy with --app-port " +
                 foreign_listen_->substr(foreign_listen_->rfind(':') + 1) + ".";
    return info;
  }
  if (missing_module_ && last_exit_) {
    info.cause_title = "The app could not import " + *missing_module_;
    info.cause = missing_module_hint_ + " Then save any file, or type rs, to start it again.";
    return info;
  }
  if (start_timed_out_ && handoff_) {
    info.cause_title = "The app did not accept connections on the socket handed over to it";
    info.cause = "liveproxy bound " + cfg_.app_host + ":" + port + " itself and handed the listening socket to the app "
                 "as file descriptor 3, " + seconds_text(cfg_.start_timeout) + " (--start-timeout) ago; the app has not "
                 "accepted a connection on it. Make it serve fd 3 ({fd} in the command, or LISTEN_FDS as systemd "
                 "does). It is still running: this page reloads by itself once it accepts.";
    return info;
  }
  if (start_timed_out_) {
    const bool has_placeholder = std::any_of(cfg_.app_command.begin(), cfg_.app_command.end(),
                                             [](const std::string& a) { return a.find("{port}") != std::string::npos; });
    info.cause_title = "The app did not start listening on port " + port;
    info.cause = "liveproxy started the app " + seconds_text(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    supervisor_->since_start())) +
                 " ago and has waited " + seconds_text(cfg_.start_timeout) + " (--start-timeout) for it to listen on " +
                 cfg_.app_host + ":" + port + ". The port is passed as $PORT in the environment" +
                 (has_placeholder ? " and as {port} in the command line"
                                  : "; the command line has no {port} placeholder, so the app must read $PORT") +
                 ". Make the app listen there (on " + cfg_.app_host +
                 "). It is still running: this page reloads by itself if it starts listening.";
    return info;
  }
  if (last_exit_) {
    info.cause_title = last_exit_->was_ready ? "The app crashed" : "The app exited during start-up";
    info.cause = "The app " + last_exit_->describe() +
                 (last_exit_->was_ready ? "" : " before it listened on port " + port) + ". ";
    if (crash_restart_in_)
      info.cause += "liveproxy restarts it in " + seconds_text(*crash_restart_in_) + " (--restart-on-crash), or as soon as you save a change.";
    else
      info.cause += "Fix the problem and save: liveproxy restarts it on the next change.";
  }
  return info;
}

}  // namespace liveproxy
