// The restart loop's executor: events in (watcher, app source, timer, drain), restart_policy decides, commands out.
#include "proxy/dev_server.hpp"

#include "proxy/app/command_source.hpp"
#include "proxy/app/editor.hpp"
#include "proxy/app/listening_sockets.hpp"
#include "proxy/app/upstream_source.hpp"
#include "proxy/base/log.hpp"
#include "proxy/base/terminal_text.hpp"
#include "proxy/tls/certificate_plan.hpp"
#include "proxy/browser/event_json.hpp"
#include "proxy/http/local_addresses.hpp"
#include "proxy/serve/folder_source.hpp"
#include "proxy/status/report_text.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>

#include <unistd.h>

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

std::unique_ptr<app_source> make_source(net::any_io_executor ex, const config& cfg) {
  if (cfg.serve_dir) return std::make_unique<folder_source>(ex, cfg);
  if (cfg.upstream) return std::make_unique<upstream_source>(ex, cfg);
  return std::make_unique<command_source>(ex, cfg);
}

restart_policy::options policy_options(const config& cfg, app_kind kind) {
  restart_policy::options o;
  o.kind = kind;
  o.speculative = cfg.speculative_restart;
  o.restart_on_crash = cfg.restart_on_crash;
  o.drain_limit = std::chrono::duration_cast<std::chrono::milliseconds>(limits::restart_drain);
  return o;
}

watcher::options watch_options(const config& cfg) {
  watcher::options o;
  o.roots = cfg.watch_dirs;
  o.extra_ignores = cfg.ignores;
  o.poll_interval = cfg.poll_interval;
  o.use_watchman = cfg.use_watchman;
  o.restart_settle = cfg.restart_settle;
  // A settle time the user chose is what they want for every batch, one saved file included.
  if (cfg.restart_settle != watcher::debouncer::default_restart_settle) o.quick_settle = cfg.restart_settle;
  o.browser_coalesce = cfg.browser_coalesce;
  // The user's rules first (first match wins), then the built-in ones: a node (deno, bun...) app's own scripts
  // are its code, they restart it, except under public/ and the like.
  o.rules = cfg.rules;
  const auto& defaults = watcher::classifier::default_rules(cfg.js_runs_on_server);
  o.rules.insert(o.rules.end(), defaults.begin(), defaults.end());
  // Notices (watch limits, unreadable directories, fallbacks) are liveproxy's own lines, under --quiet too.
  o.on_message = [](const std::string& text) { log::warn(printable(text)); };
  return o;
}

std::string summarize(const watcher::batch& b) {
  std::string names;
  const std::size_t shown = std::min<std::size_t>(b.changes.size(), 3);
  // A file's name is outside text: a newline or an ESC in it must not forge a line or move the cursor.
  for (std::size_t i = 0; i < shown; ++i) names += (i ? ", " : "") + printable(b.changes[i].rel_path);
  if (b.changes.size() > shown) names += " and " + std::to_string(b.changes.size() - shown) + " more";
  if (b.overflow) names += names.empty() ? "(events lost: rescanned)" : " (events lost: rescanned)";
  return names;
}

/// A page's markup (a template, HTML, Markdown rendered by the app): a tab can morph into its new version. Any
/// other file the browser reloads for (a script, JSON, a font) needs a real reload to be loaded again.
bool is_markup(std::string_view path) {
  static constexpr std::string_view markup[] = {".html", ".htm", ".jinja", ".jinja2", ".j2", ".djhtml", ".tmpl",
                                                ".tpl", ".erb", ".haml", ".slim", ".hbs", ".handlebars", ".mustache",
                                                ".njk", ".liquid", ".twig", ".ejs", ".pug", ".jade", ".eex", ".heex",
                                                ".leex", ".md", ".markdown", ".txt", ".xml"};
  if (path.starts_with("templates/") || path.find("/templates/") != std::string_view::npos) return true;
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string ext(path.substr(dot));
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const auto m : markup)
    if (ext == m) return true;
  return false;
}

/// A settled batch as the policy needs it.
restart_policy::changes policy_changes(const watcher::batch& b) {
  using strongest = restart_policy::changes::strongest;
  restart_policy::changes c;
  c.act = b.strongest == watcher::action::restart  ? strongest::restart
          : b.strongest == watcher::action::reload ? strongest::reload
          : b.strongest == watcher::action::css    ? strongest::css
                                                   : strongest::ignore;
  c.summary = summarize(b);
  for (const auto& change : b.changes) {
    if (change.act == watcher::action::css) c.css.push_back("/" + change.rel_path);
    if (change.act == watcher::action::reload && !is_markup(change.rel_path)) c.scripts = true;
  }
  return c;
}

}  // namespace

dev_server::dev_server(net::any_io_executor ex, config cfg)
    : ex_(ex),
      cfg_(std::move(cfg)),
      listener_(open_front(ex, cfg_, front_moved_)),
      source_(make_source(ex, cfg_)),
      policy_(policy_options(cfg_, source_->kind())),
      policy_timer_(ex),
      gate_(ex),
      pool_(ex, source_->target()),
      hub_(make_instance_id(), [this] { return source_->generation(); }),
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
           [this](std::string_view app) { return restart_named(app); },
           source_->kind() == app_kind::upstream ? [this] { source_->refused(); } : std::function<void()>(),
           cfg_.upstream && cfg_.upstream_host ? cfg_.upstream->authority : std::string(),
           source_->origin(),
           nullptr},
      watcher_(make_watcher()),
      stdin_(ex, [this] { manual_restart("rs typed"); }),
      terminal_(ex, app_terminal::callbacks{[this](std::string_view keys) { source_->type(keys); },
                                            [this] { manual_restart("rs typed"); },
                                            // As a Ctrl-C would without raw mode: main's handler stops us.
                                            [] { ::raise(SIGINT); },
                                            [this] { return source_->waiting_prompt(clock::now()).has_value(); },
                                            [this] { source_->resize(); }}),
      status_(ex, hub_, [this] { return source_->output() ? source_->output()->lines() : std::deque<std::string>{}; }),
      announce_timer_(ex),
      console_timer_(ex),
      prompt_timer_(ex),
      wait_timer_(ex),
      address_timer_(ex) {
  // 128 random bits; the tag is fixed text (the CSP code adds a nonce before its "></script>").
  ctx_.socket_token = make_instance_id() + make_instance_id();
  ctx_.max_held = cfg_.max_held;
  ctx_.script_tag = R"(<script src="/__liveproxy/client.js" data-token=")" + ctx_.socket_token + R"("></script>)";
  hub_.set_status_source([this](bool fresh) { return status_snapshot(fresh); });
  hub_.set_on_tabs_changed([this] { status_.changed(); });
  hub_.set_on_console([this](std::string_view text) { on_console(text); });
  hub_.set_on_console_dropped([this] {
    if (!cfg_.browser_console || stopping_) return;
    console_.dropped(clock::now());
    print_console({});  // arms the timer that says how many were not shown
  });
  ctx_.open_frame = [this](std::size_t frame) { open_frame(frame); };
  if (cfg_.https) {
    auto ca = local_ca::load_or_create(local_ca::default_dir(), local_ca::default_owner());
    if (ca.created())
      log::info("made liveproxy's local certificate authority, \"" + ca.name() + "\": " + ca.cert_path().string() +
                " (trust it here with `liveproxy trust`; phones get it from the status page)");
    tls_ = std::make_unique<tls_front>(std::move(ca), front_names(allowed_hosts(cfg_)));
    ctx_.tls = tls_.get();
  }
  ctx_.wait_live = [this](std::chrono::milliseconds timeout, std::function<void(std::string)> done) {
    return begin_wait(timeout, std::move(done));
  };
  ctx_.cancel_wait = [this](std::uint64_t which) { cancel_wait(which); };
  if (auto* folder = dynamic_cast<folder_source*>(source_.get())) {
    ctx_.serve = &folder->options();
    ctx_.files = &folder->files();
  }
  make_units();
}

void dev_server::make_units() {
  if (cfg_.apps.empty() && !cfg_.app_hmr) return;
  std::error_code ec;
  const auto here = std::filesystem::current_path(ec);
  std::vector<change_owner::app> owners{{cfg_.app_cwd.empty() ? here : cfg_.app_cwd, true, cfg_.app_watch,
                                         cfg_.app_hmr}};
  for (const auto& r : cfg_.app_routes) routes_.add(r, 0);
  for (const auto& spec : cfg_.apps) {
    units_.push_back(std::make_unique<app_unit>(
        ex_, cfg_, spec, ctx_,
        app_unit::hooks{[this](bool full) {
                          if (stopping_) return;
                          last_reload_morphs_ = cfg_.morph_pages && !full;
                          hub_.broadcast(event_json::reload(last_reload_morphs_, source_->generation()));
                        },
                        [this] {
                          status_.changed();
                          schedule_wait_check();
                        }}));
    for (const auto& r : spec.routes) routes_.add(r, units_.size());
    owners.push_back({spec.cwd.empty() ? here : spec.cwd, !spec.routes.empty(), spec.watch, spec.hmr.value_or(false)});
  }
  owner_.emplace(std::move(owners));
  if (!routes_.empty())
    ctx_.route = [this](std::string_view path) -> proxy_context& {
      const auto i = routes_.match(path);
      return i == 0 ? ctx_ : units_[i - 1]->context();
    };
}

std::unique_ptr<watcher::watcher> dev_server::make_watcher() {
  auto o = watch_options(cfg_);
  o.on_restart_pending = [this](bool pending, const auto& paths) { on_restart_pending(pending, paths); };
  return std::make_unique<watcher::watcher>(ex_, std::move(o), [this](const watcher::batch& b) { on_changes(b); });
}

app_source::events dev_server::source_events() {
  const auto now = [] { return clock::now(); };
  app_source::events e;
  e.ready = [this, now](std::uint64_t run, std::chrono::milliseconds took) {
    apply(source_->kind() == app_kind::upstream ? policy_.upstream_up(now(), run) : policy_.ready(now(), run, took));
  };
  e.exited = [this, now](const restart_policy::exit_info& x) { apply(policy_.exited(now(), x)); };
  e.cannot_reach = [this] { apply(policy_.cannot_reach()); };
  e.went_down = [this, now] {
    status_.board().app_state(source_->generation() == 0 ? "down" : "restarting");
    status_.changed();
    apply(policy_.upstream_down(now()));
  };
  e.stayed_up = [this, now] { apply(policy_.upstream_stayed_up(now())); };
  e.started = [this](std::uint64_t run, int pid) {
    main_pid_ = pid;
    main_run_ = run;
    status_.board().app_starting(run, pid);
    status_.changed();
  };
  e.output = [this] {
    last_app_output_ = clock::now();
    status_.changed();
  };
  return e;
}

void dev_server::start() {
  watcher_->start();
  if (cfg_.config_file) {
    std::error_code ec;
    config_path_ = std::filesystem::weakly_canonical(std::filesystem::absolute(*cfg_.config_file), ec);
    log::info("settings from " + cfg_.config_file->string() + " (edits apply while running)");
    watch_extras();
  }
  const auto front = listener_.local_endpoint();
  front_url_ = "http://" + url_host(front.address()) + ":" + std::to_string(front.port());
  source_->set_front_url(front_url_);
  source_->start(source_events());
  apply(policy_.start());
  for (auto& u : units_) u->start(front_url_);
  if (front.address().is_unspecified()) {
    const auto addresses = local_addresses(front.address().is_v6());
    if (!addresses.empty())
      ctx_.network_url = (tls_ ? "https://" : "http://") + addresses.front() + ":" + std::to_string(front.port());
    status_.board().set_phone(ctx_.network_url, tls_ ? tls_->ca().fingerprint() : std::string());
    watch_addresses();
  }
  net::co_spawn(ex_, listener_.run(ctx_, cfg_.max_connections), net::detached);
  {
    // For `liveproxy wait|status|mcp` run in this project: the project is liveproxy.json's folder, else here.
    std::error_code ec;
    const auto project = cfg_.config_file ? std::filesystem::absolute(*cfg_.config_file, ec).parent_path()
                                          : std::filesystem::current_path(ec);
    runtime_.emplace(runtime_info{static_cast<long>(::getpid()), front.port(), front_url_, project.string()});
  }
  log::info(front_url_ + " " + (source_->kind() == app_kind::folder ? "" : "-> ") + source_->describe());
  status_.board().set_mode(source_->mode(), source_->target_text(), source_->command_text(), front_url_);
  if (source_->kind() == app_kind::folder) status_.board().app_state("running");
  std::string watched;
  for (const auto& d : cfg_.watch_dirs) watched += (watched.empty() ? "" : ", ") + d.string();
  log::info("watching " + watched + " (" + watcher_->backend_name() + ")");
  if (!front.address().is_loopback())
    log::warn("listening on " + url_host(front.address()) + ", not only on this machine: other devices on the network "
              "reach your app through liveproxy (" +
              (source_->kind() == app_kind::folder ? "the served folder" : "every page and API of it") +
              "); liveproxy's own endpoints and the app's error output answer only localhost, " +
              (front.address().is_unspecified() ? "this machine's addresses" : "that address") +
              " and --allowed-host names");
  if (!front_moved_.empty()) log::warn(front_moved_);
  for (const auto& w : cfg_.warnings) log::warn(w);
  if (source_->kind() == app_kind::command) {
    if (source_->has_terminal() && terminal_.start()) {
      log::info("the app has this terminal: what you type goes to it (pdb works); rs + Enter restarts it, "
                "Ctrl-C stops liveproxy");
      watch_prompt();
    } else if (stdin_.start()) {
      log::info("type rs + Enter to restart the app");
    }
  }
  if (source_->kind() == app_kind::folder) announce();
}

void dev_server::shutdown(bool now, std::function<void()> done) {
  if (!stopping_) {
    stopping_ = true;
    apply(policy_.stop());
    policy_timer_.cancel();
    console_timer_.cancel();
    prompt_timer_.cancel();
    watcher_->stop();
    wait_timer_.cancel();
    address_timer_.cancel();
    stdin_.stop();
    terminal_.stop();  // a second Ctrl-C is a signal again: it kills the app at once
    listener_.close();
  }
  // Every app stops at once; done runs when the last is gone.
  auto left = std::make_shared<std::size_t>(units_.size() + 1);
  auto one_gone = [left, done = std::move(done)] {
    if (--*left == 0 && done) done();
  };
  for (auto& u : units_) u->stop(now, one_gone);
  source_->stop(now, one_gone);
}

void dev_server::watch_prompt() {
  prompt_timer_.expires_after(limits::prompt_check_interval);
  prompt_timer_.async_wait([this](error_code ec) {
    if (ec || stopping_) return;
    refresh_paused();
    watch_prompt();
  });
}

void dev_server::refresh_paused() {
  const auto prompt = source_->waiting_prompt(clock::now());
  if (prompt.has_value() == ctx_.app_paused) return;
  ctx_.app_paused = prompt.has_value();
  prompt_ = prompt.value_or("");
  while (!prompt_.empty() && prompt_.back() == ' ') prompt_.pop_back();
  status_.board().app_paused(prompt_);
  status_.changed();
  // Once per liveproxy: every pdb command leaves the prompt and comes back to it.
  if (ctx_.app_paused && !told_prompt_) {
    told_prompt_ = true;
    log::info("the app waits at a prompt (" + printable(prompt_) +
              "): answer it here; its requests wait as long as it does; a file change restarts it; "
              "Ctrl-C goes to it, twice stops liveproxy");
    log::app_output(*prompt);  // the prompt again, last on screen, where the developer types
  }
}

bool dev_server::restart_named(std::string_view app) {
  if (app.empty() || app == cfg_.app_name) {
    if (source_->kind() != app_kind::command) return false;
    manual_restart("restart requested over HTTP");
    return true;
  }
  for (auto& u : units_)
    if (u->spec().name == app && u->spec().upstream == std::nullopt) {
      u->manual_restart("restart requested over HTTP");
      return true;
    }
  return false;
}

void dev_server::manual_restart(std::string_view why) {
  if (!stopping_) apply(policy_.manual_restart(clock::now(), std::string(why)));
}

void dev_server::apply(const policy_commands& cmds) {
  using kind = policy_command::kind;
  std::size_t tabs_reloaded = 0;
  std::size_t held_released = 0;
  bool drained = false;
  if (!stopping_) refresh_paused();  // as of now, not as of the last timer tick: the commands below read it
  for (const auto& c : cmds) {
    switch (c.what) {
      case kind::open_gate:
        held_released = gate_.waiting();
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
        if (ctx_.app_paused) log::info("restarting the app, which was stopped at a prompt (" + printable(prompt_) + ")");
        source_->start_run();
        break;
      case kind::wait_for_drain:
        // Responses the app is sending finish first (new requests already wait at the gate): stopping the app
        // mid-body would cut them. The last one to finish says so; the policy's timer bounds the wait.
        // A request the app holds at a debugger prompt would not finish before the developer goes on: no wait.
        if (ctx_.responses_in_flight == 0 || ctx_.app_paused) {
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
        tabs_reloaded = hub_.size();
        last_reload_morphs_ = cfg_.morph_pages && !c.full;
        hub_.broadcast(event_json::reload(last_reload_morphs_, source_->generation()));
        break;
      case kind::swap_css:
        hub_.broadcast(event_json::css(c.text));
        break;
      default:
        report(c, tabs_reloaded, held_released);
        break;
    }
  }
  schedule_wait_check();
  if (drained) {
    ctx_.on_drained = nullptr;
    apply(policy_.responses_drained(clock::now()));
    return;
  }
  arm_policy_timer();
}

void dev_server::arm_policy_timer() {
  const auto due = policy_.next_due();
  if (!due) {
    policy_timer_.cancel();
    return;
  }
  policy_timer_.expires_at(*due);
  policy_timer_.async_wait([this](error_code ec) {
    if (ec || stopping_) return;
    apply(policy_.tick(clock::now()));
  });
}

void dev_server::on_restart_pending(bool pending, const std::vector<std::string>& paths) {
  schedule_wait_check();  // temporary files only: nothing more will come for them
  if (stopping_) return;
  if (!pending) {
    for (auto& u : units_) u->temporary_only();
    return apply(policy_.temporary_only(clock::now()));
  }
  if (owner_ && !paths.empty()) {
    // Each app whose code this is starts early; the main app only for its own.
    std::vector<bool> owns(units_.size() + 1, false);
    for (const auto& p : paths)
      if (p != config_path_.string())
        for (const auto i : owner_->owners(p)) owns[i] = true;
    for (std::size_t i = 0; i < units_.size(); ++i)
      if (owns[i + 1]) units_[i]->code_pending(true);
    if (!owns[0]) return;
  }
  // liveproxy.json is read again once settled; whether that restarts the app depends on what changed in it.
  if (!paths.empty() && !config_path_.empty() &&
      std::all_of(paths.begin(), paths.end(), [&](const std::string& p) { return p == config_path_.string(); }))
    return;
  apply(policy_.code_pending(clock::now(), !paths.empty()));
}

void dev_server::on_changes(const watcher::batch& in) {
  schedule_wait_check();  // even a batch nothing is done for counts as handled
  if (stopping_ || in.strongest == watcher::action::ignore) return;
  // liveproxy.json is read again, not classified like the project's files.
  bool config_restart = false;
  watcher::batch rest;
  rest.overflow = in.overflow;
  for (const auto& c : in.changes) {
    if (!config_path_.empty() && c.path == config_path_.string()) {
      config_restart = reload_config() || config_restart;
      continue;
    }
    rest.changes.push_back(c);
    rest.strongest = std::max(rest.strongest, c.act);
  }
  if (rest.overflow) rest.strongest = watcher::action::restart;
  if (several_apps()) return dispatch_changes(rest, config_restart);
  apply(policy_.settled(clock::now(), policy_changes(rest), config_restart));
}

void dev_server::dispatch_changes(const watcher::batch& in, bool config_restart) {
  watcher::batch main;
  main.overflow = in.overflow;
  std::vector<watcher::batch> theirs(units_.size());
  for (const auto& c : in.changes) {
    if (c.act == watcher::action::restart) {
      auto owners = owner_->owners(c.path);
      // A hot-reloading dev server's own file is its to show; code no app's directory holds (another --watch
      // folder) is the main app's, as with one app.
      if (owners.empty() && owner_->hmr_owned(c.path)) continue;
      if (owners.empty()) owners.push_back(0);
      for (const auto i : owners) {
        auto& b = i == 0 ? main : theirs[i - 1];
        b.changes.push_back(c);
        b.strongest = watcher::action::restart;
      }
    } else if (!owner_->hmr_owned(c.path)) {
      main.changes.push_back(c);
      main.strongest = std::max(main.strongest, c.act);
    }
  }
  // Events were lost: which app's files changed is unknown, so every app restarts.
  if (in.overflow) {
    main.strongest = watcher::action::restart;
    for (auto& b : theirs) b.strongest = watcher::action::restart;
  }
  for (std::size_t i = 0; i < units_.size(); ++i)
    if (theirs[i].strongest == watcher::action::restart) units_[i]->code_changed(summarize(theirs[i]));
  if (main.strongest != watcher::action::ignore || config_restart)
    apply(policy_.settled(clock::now(), policy_changes(main), config_restart));
}

app_failure dev_server::describe_failure() const {
  auto info = source_->failure(gate_.is_failed(), policy_.crash_restart_delay());
  const auto editor = choose_editor(cfg_.editor, [](const char* name) { return std::getenv(name); });
  info.editor = !editor ? "" : editor->terminal ? "terminal" : "editor";
  return info;
}

void dev_server::open_frame(std::size_t frame) {
  const auto info = source_->failure(false, std::nullopt);
  if (frame >= info.crash.frames.size()) return;
  const auto& f = info.crash.frames[frame];
  std::error_code ec;
  std::filesystem::path file(f.file);
  if (file.is_relative()) file = std::filesystem::current_path(ec) / file;
  if (!std::filesystem::is_regular_file(file, ec)) return;
  const auto editor = choose_editor(cfg_.editor, [](const char* name) { return std::getenv(name); });
  if (!editor) return;  // the page copies file:line instead
  const auto argv = editor_argv(*editor, file.string(), f.line, f.column);
  // A terminal editor would take over liveproxy's own terminal: the command is said, for the user to run.
  if (editor->terminal) log::highlight("to open it: " + printable(shell_quote(argv)));
  else if (!launch_detached(argv)) log::warn("cannot start the editor: " + printable(shell_quote(argv)));
}

}  // namespace liveproxy
