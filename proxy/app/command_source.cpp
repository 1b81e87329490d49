// A supervised app: the run's port, the supervisor's callbacks turned into the loop's events, and the
// explanations the error page and the terminal give when a run fails.
#include "proxy/app/command_source.hpp"

#include "proxy/app/app_terminal.hpp"
#include "proxy/app/exit_status.hpp"
#include "proxy/app/listening_sockets.hpp"
#include "proxy/app/project_presets.hpp"
#include "proxy/base/log.hpp"

#include <algorithm>
#include <fstream>
#include <regex>

namespace liveproxy {
namespace {

std::uint16_t pick_free_port(net::any_io_executor ex, const std::string& host) {
  tcp_acceptor probe(ex, tcp::endpoint(net::ip::make_address(host), 0));
  return probe.local_endpoint().port();
}

/// --app-port N taken by another program: it would be taken for our app (and "ready" at once).
void check_app_port_free(net::any_io_executor ex, const config& cfg) {
  if (!cfg.app_port_given) return;
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

std::string seconds_text(std::chrono::milliseconds d) {
  std::string s = std::to_string(d.count() / 1000.0);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s + " s";
}

bool has_placeholder(const std::vector<std::string>& command, std::string_view placeholder) {
  return std::any_of(command.begin(), command.end(),
                     [&](const std::string& a) { return a.find(placeholder) != std::string::npos; });
}

}  // namespace

command_source::command_source(net::any_io_executor ex, const config& cfg)
    : ex_(ex),
      command_(cfg.app_command),
      name_(cfg.app_name),
      env_(cfg.env),
      preload_(cfg.preload),
      project_dirs_(cfg.watch_dirs),
      app_host_(cfg.app_host),
      start_timeout_(cfg.start_timeout),
      handoff_((check_app_port_free(ex, cfg), make_handoff(ex, cfg))),
      app_port_(handoff_ ? handoff_->local_endpoint().port()
                : cfg.app_port ? cfg.app_port
                               : pick_free_port(ex, cfg.app_host)) {
  target_.endpoints.emplace_back(net::ip::make_address(app_host_), app_port_);
  target_.name = "port " + std::to_string(app_port_);
  auto spare = spare_setup(cfg);
  supervisor_options opts{expand_placeholders(command_, app_port_), app_host_, app_port_, start_timeout_,
                          handoff_ ? handoff_->native_handle() : -1,
                          // {fd} in the command names the socket; LISTEN_FDS would name it twice.
                          !has_placeholder(command_, "{fd}"), cfg.env, std::move(spare.first),
                          std::move(spare.second), supervisor_options{}.spare_delay,
                          // The app sees a terminal, as it would without liveproxy: colours, pdb, input(). Of
                          // several apps, only the main one can have it.
                          cfg.app_terminal && app_terminal::wanted() ? app_terminal::current_settings()
                                                                     : std::nullopt};
  opts.name = cfg.app_name;
  opts.cwd = cfg.app_cwd.string();
  opts.listens = cfg.app_listens;
  supervisor_.emplace(
      ex, std::move(opts),
      supervisor::callbacks{[this](std::uint64_t g) { on_ready(g); }, [this](const app_exit& e) { on_exit(e); },
                            [this](std::uint64_t g) { on_start_timeout(g); },
                            [this](std::uint64_t g, int pid) {
                              if (g == 1)
                                log::info("starting " + (name_ == "app" ? std::string("the app") : name_) + ": " +
                                          command_text());
                              if (events_.started) events_.started(g, pid);
                            },
                            [this] {
                              if (events_.output) events_.output();
                            },
                            [](const std::string& output) {
                              std::string text = output;
                              while (!text.empty() && text.back() == '\n') text.pop_back();
                              log::warn("--preload: the preloaded interpreter ended before it was used; the app "
                                        "starts the plain way from now on" +
                                        (text.empty() ? std::string() : ". It said:\n" + text));
                            }});
}

std::string command_source::port_hint() const {
  const bool runserver = std::find(command_.begin(), command_.end(), "runserver") != command_.end();
  return runserver ? "add 127.0.0.1:{port} to runserver's arguments (it takes no --port)"
                   : "add --port {port} to the command (or {port} wherever it takes its port), or read $PORT";
}

std::pair<std::vector<std::string>, std::vector<std::string>> command_source::spare_setup(const config& c) {
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
  dirs.push_back(c.app_cwd.empty() ? std::filesystem::current_path() : c.app_cwd);
  return {preload_files_->command(*python), preload_files_->env(dirs)};
}

app_origin command_source::origin() const { return make_app_origin(false, app_host_, app_port_); }

void command_source::start(events e) {
  // The first run is the policy's start_run, as every other.
  events_ = std::move(e);
}

void command_source::start_run() {
  ready_ = false;
  foreign_listen_.reset();
  if (supervisor_->generation() == 0) supervisor_->start();
  else supervisor_->restart();
  // With --fd the app is handed our socket; it cannot listen elsewhere by mistake.
  if (!handoff_) net::co_spawn(ex_, watch_for_foreign_port(++port_watch_run_), net::detached);
}

void command_source::stop(bool now, std::function<void()> done) {
  ++port_watch_run_;
  supervisor_->stop(now, std::move(done));
}

void command_source::reconfigure(const config& next) {
  // Only what the runs are made of; other settings (timeouts of the front, rules) are not the supervisor's.
  if (next.app_command == command_ && next.env == env_ && next.start_timeout == start_timeout_ &&
      next.preload == preload_ && next.watch_dirs == project_dirs_)
    return;
  command_ = next.app_command;
  env_ = next.env;
  start_timeout_ = next.start_timeout;
  preload_ = next.preload;
  project_dirs_ = next.watch_dirs;
  auto spare = spare_setup(next);
  supervisor_->reconfigure(expand_placeholders(command_, app_port_), next.env, next.start_timeout,
                           std::move(spare.first), std::move(spare.second));
}

int command_source::exit_status() const {
  // Only an exit the app made by itself, and that no later run replaced, is reported.
  return exit_status_for(supervisor_->running() ? std::nullopt : last_exit_);
}

std::string command_source::command_text() const {
  std::string text;
  for (const auto& a : supervisor_->command()) text += (text.empty() ? "" : " ") + a;
  return text;
}

std::string command_source::target_text() const { return app_host_ + ":" + std::to_string(app_port_); }

std::string command_source::describe() const {
  return "app on " + target_text() + (handoff_ ? " (socket handed over as fd 3)" : "");
}

void command_source::on_ready(std::uint64_t generation) {
  if (generation != supervisor_->generation()) return;
  ready_ = true;
  last_exit_.reset();
  traceback_.clear();
  crash_ = {};
  start_timed_out_ = false;
  foreign_listen_.reset();
  missing_module_.reset();
  if (events_.ready)
    events_.ready(generation, std::chrono::duration_cast<std::chrono::milliseconds>(supervisor_->since_start()));
}

void command_source::on_start_timeout(std::uint64_t generation) {
  if (generation != supervisor_->generation()) return;
  start_timed_out_ = true;
  if (handoff_)
    log::warn("the app (run " + std::to_string(generation) + ") has not accepted a connection on the socket handed "
              "over as fd 3 within " + seconds_text(start_timeout_) +
              " (--start-timeout); does it take fd 3 ({fd} or LISTEN_FDS)? Still waiting for it");
  else
    log::warn("the app (run " + std::to_string(generation) + ") has not listened on " + app_host_ + ":" +
              std::to_string(app_port_) + " within " + seconds_text(start_timeout_) +
              " (--start-timeout); is it using $PORT or {port}? Still waiting for it");
  if (events_.cannot_reach) events_.cannot_reach();
  // In --fd mode waiting requests sit in the socket's backlog: taken and closed, the proxy finds the gate failed.
  if (handoff_) drain_handoff_backlog();
}

void command_source::on_exit(const app_exit& e) {
  last_exit_ = e;
  ready_ = false;
  start_timed_out_ = false;
  ++port_watch_run_;
  foreign_listen_.reset();
  explain_missing_module();
  note_traceback();
  std::string what = std::string("app ") + e.describe() +
                     (e.was_ready ? "" : " before it listened on port " + std::to_string(app_port_));
  // The error itself, as the error page leads with it.
  if (!crash_.headline.empty())
    what += ": " + crash_.one_line(crash_.where ? shown(crash_.where->file) : std::string());
  if (events_.exited) events_.exited({what, e.was_ready, e.uptime, e.describe()});
  if (handoff_) drain_handoff_backlog();
}

awaitable<void> command_source::watch_for_foreign_port(std::uint64_t run) {
  steady_timer pause(ex_);
  const auto give_up = std::chrono::steady_clock::now() + start_timeout_;
  // Every half second from 0.5 s on: a quick app listens within that; a /proc scan costs a few milliseconds.
  while (std::chrono::steady_clock::now() < give_up) {
    pause.expires_after(std::chrono::milliseconds(500));
    co_await pause.async_wait(use_tuple);
    if (run != port_watch_run_ || ready_ || !supervisor_->running()) co_return;
    const int pid = supervisor_->app_pid();
    if (pid <= 0) continue;
    for (const auto& a : listening_addresses_of(process_tree(pid))) {
      if (a.port == app_port_) co_return;  // ours: readiness follows
      const bool v6 = a.address.find(':') != std::string::npos;
      const std::string where = (v6 ? "[" + a.address + "]" : a.address) + ":" + std::to_string(a.port);
      foreign_listen_ = where;
      log::warn("the app listens on " + where + ", not on the port liveproxy gave it (" + std::to_string(app_port_) +
                "): " + port_hint() + ", or use --app-port " +
                std::to_string(a.port));
      // Waiting tabs get this explanation now rather than the start timeout's in 20 s.
      if (events_.cannot_reach) events_.cannot_reach();
      co_return;
    }
  }
}

void command_source::explain_missing_module() {
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
  missing_module_hint_ = "The app's program " + (resolved.empty() ? program : resolved) + " cannot import " + module +
                         ". " +
                         (with.empty() ? "None of the Pythons found can: install it (Debian: apt-get install python3-" +
                                             module + "; or pip install " + module + " in a virtual environment)."
                                       : "These can: " + with + ". Run the app with one of them.");
  log::warn(missing_module_hint_);
}

void command_source::note_traceback() {
  traceback_.clear();
  crash_files_.clear();
  const auto& lines = supervisor_->output().lines();
  crash_ = read_crash(std::vector<std::string>(lines.begin(), lines.end()),
                      [this](const std::string& file) { return in_project(file); });
  for (const auto& frame : crash_.frames) {
    std::error_code ec;
    std::filesystem::path p(frame.file);
    if (p.is_relative()) p = std::filesystem::current_path(ec) / p;
    p = std::filesystem::weakly_canonical(p, ec);
    // Library frames (site-packages, node_modules) are named too, but only real files can be watched.
    if (ec || !std::filesystem::is_regular_file(p, ec)) continue;
    const auto named = frame.file + ":" + std::to_string(frame.line);
    if (std::find(traceback_.begin(), traceback_.end(), named) == traceback_.end()) traceback_.push_back(named);
    if (std::find(crash_files_.begin(), crash_files_.end(), p) == crash_files_.end()) crash_files_.push_back(p);
  }
}

bool command_source::in_project(const std::string& file) const {
  std::error_code ec;
  std::filesystem::path p(file);
  if (p.is_relative()) p = std::filesystem::current_path(ec) / p;
  p = std::filesystem::weakly_canonical(p, ec).lexically_normal();
  const auto under = [&](const std::filesystem::path& dir) {
    const auto rel = p.lexically_relative(dir);
    return !rel.empty() && *rel.begin() != "..";
  };
  if (under(std::filesystem::current_path(ec))) return true;
  return std::any_of(project_dirs_.begin(), project_dirs_.end(), under);
}

std::string command_source::shown(const std::string& file) const {
  std::error_code ec;
  const auto cwd = std::filesystem::current_path(ec);
  std::filesystem::path p(file);
  if (p.is_relative()) return p.lexically_normal().string();
  const auto rel = std::filesystem::weakly_canonical(p, ec).lexically_relative(cwd);
  return !rel.empty() && *rel.begin() != ".." ? rel.string() : file;
}

void command_source::add_excerpts(app_failure& info) const {
  // A few user frames, a few lines around each: the page shows where, not the whole file.
  constexpr std::size_t max_frames = 5;
  constexpr int context = 5;
  constexpr std::size_t max_file = 4 * 1024 * 1024;
  constexpr std::size_t max_line = 400;
  std::size_t taken = 0;
  for (std::size_t i = 0; i < crash_.frames.size() && taken < max_frames; ++i) {
    const auto& f = crash_.frames[i];
    if (!f.user) continue;
    ++taken;
    std::error_code ec;
    std::filesystem::path p(f.file);
    if (p.is_relative()) p = std::filesystem::current_path(ec) / p;
    if (!std::filesystem::is_regular_file(p, ec) || std::filesystem::file_size(p, ec) > max_file || ec) continue;
    std::ifstream in(p, std::ios::binary);
    source_excerpt e;
    e.frame = i;
    e.first_line = std::max(1, f.line - context);
    int n = 0;
    for (std::string text; n < f.line + context && std::getline(in, text);) {
      if (++n < e.first_line) continue;
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (text.size() > max_line) text.resize(max_line);
      e.lines.push_back(std::move(text));
    }
    if (!e.lines.empty()) info.excerpts.push_back(std::move(e));
  }
}

void command_source::drain_handoff_backlog() {
  error_code ec;
  handoff_->non_blocking(true, ec);
  for (int i = 0; i < 1024; ++i) {
    tcp_socket s = handoff_->accept(ec);
    if (ec) break;
  }
}

app_failure command_source::failure(bool gate_failed, std::optional<std::chrono::milliseconds> restart_in) const {
  app_failure info;
  info.command = command_text();
  const auto& lines = supervisor_->output().lines();
  info.output.assign(lines.begin(), lines.end());
  info.files = traceback_;
  info.crash = crash_;
  for (const auto& f : crash_.frames) info.shown_files.push_back(shown(f.file));
  add_excerpts(info);
  if (!gate_failed) return info;
  const std::string port = std::to_string(app_port_);
  if (foreign_listen_) {
    info.cause_title = "The app listens on " + *foreign_listen_ + ", not on the port liveproxy gave it";
    info.cause = "liveproxy started the app with the port " + port + " as $PORT" +
                 (has_placeholder(command_, "{port}") ? " and {port}" : "") + ", but it listens on " +
                 *foreign_listen_ +
                 ". To listen where liveproxy expects it: " + port_hint() + "; or start liveproxy with --app-port " +
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
    info.cause = "liveproxy bound " + app_host_ + ":" + port + " itself and handed the listening socket to the app "
                 "as file descriptor 3, " + seconds_text(start_timeout_) + " (--start-timeout) ago; the app has not "
                 "accepted a connection on it. Make it serve fd 3 ({fd} in the command, or LISTEN_FDS as systemd "
                 "does). It is still running: this page reloads by itself once it accepts.";
    return info;
  }
  if (start_timed_out_) {
    const bool placeholder = has_placeholder(command_, "{port}");
    info.cause_title = "The app did not start listening on port " + port;
    info.cause = "liveproxy started the app " +
                 seconds_text(std::chrono::duration_cast<std::chrono::milliseconds>(supervisor_->since_start())) +
                 " ago and has waited " + seconds_text(start_timeout_) + " (--start-timeout) for it to listen on " +
                 app_host_ + ":" + port + ". The port is passed as $PORT in the environment" +
                 (placeholder ? " and as {port} in the command line"
                              : "; the command line has no {port} placeholder, so the app must read $PORT") +
                 ". Make the app listen there (on " + app_host_ +
                 "). It is still running: this page reloads by itself if it starts listening.";
    return info;
  }
  if (last_exit_) {
    info.cause_title = last_exit_->was_ready ? "The app crashed" : "The app exited during start-up";
    // After the title ("The app exited during start-up."): how, in a sentence that does not repeat it.
    info.cause = "It " + last_exit_->describe() +
                 (last_exit_->was_ready ? "" : " before it listened on port " + port) + ". ";
    if (restart_in)
      info.cause += "liveproxy restarts it in " + seconds_text(*restart_in) +
                    " (--restart-on-crash), or as soon as you save a change.";
    else
      info.cause += "Fix the problem and save: liveproxy restarts it on the next change.";
  }
  return info;
}

}  // namespace liveproxy
