// Command-line parsing. Hand-written: the grammar is small and the errors must name the option.
#include "proxy/settings/config.hpp"

#include "proxy/settings/config_file.hpp"
#include "proxy/base/edit_distance.hpp"

#include "proxy/base/limits.hpp"
#include "proxy/base/net.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

namespace liveproxy {
namespace {

template <typename T>
T parse_number(std::string_view opt, std::string_view text, T lo, T hi) {
  T value{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || value < lo || value > hi)
    throw config_error(std::string(opt) + ": expected a number from " + std::to_string(lo) + " to " +
                       std::to_string(hi) + ", got '" + std::string(text) + "'");
  return value;
}

double parse_seconds(std::string_view opt, std::string_view text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(std::string(text), &used);
    if (used == text.size() && v > 0 && v <= 86400) return v;
  } catch (const std::exception&) {
  }
  throw config_error(std::string(opt) + ": expected seconds (e.g. 30 or 0.5), got '" + std::string(text) + "'");
}

// Longest waits --settle and --coalesce accept: beyond this a change seems not to have been seen.
constexpr int max_wait_ms = 10'000;

/// Every option, and whether it takes a value: for --opt=value, for suggestions, and so that an option name
/// is never taken as the previous option's value.
struct option_spec {
  std::string_view name;
  bool takes_value;
};
constexpr std::array<option_spec, 40> known_options{{
    {"--help", false},         {"--version", false},        {"--port", true},
    {"--host", true},          {"--app-port", true},        {"--watch", true},
    {"--ignore", true},        {"--restart", true},         {"--reload", true},
    {"--css", true},           {"--no-restart", true},      {"--env", true},
    {"--poll", false},         {"--watchman", false},       {"--settle", true},
    {"--coalesce", true},      {"--hold-timeout", true},    {"--start-timeout", true},
    {"--idle-timeout", true},  {"--header-timeout", true},  {"--max-connections", true},
    {"--upstream", true},      {"--upstream-insecure", false}, {"--upstream-host", false},
    {"--upstream-grace", true}, {"--serve", true},          {"--spa", false},
    {"--dotfiles", false},     {"--restart-on-crash", false}, {"--fd", false},
    {"-h", false},               {"--config", true},          {"--quiet", false},
    {"--verbose", false},      {"--open", false},           {"--allowed-host", true},
    {"--max-held", true},        {"--preload", false},        {"--no-preload", false},
    {"--no-speculative-restart", false},
}};

}  // namespace

std::string check_allowed_host(std::string_view value, std::string_view where) {
  std::string_view rest = value;
  if (rest == "*") return "*";
  if (rest.starts_with("*.")) rest.remove_prefix(2);
  else if (rest.starts_with(".")) rest.remove_prefix(1);
  const bool bracketed = rest.size() > 2 && rest.front() == '[' && rest.back() == ']';
  const bool ipv6 = bracketed || std::count(rest.begin(), rest.end(), ':') >= 2;
  if (bracketed) rest = rest.substr(1, rest.size() - 2);
  const bool chars_ok = !rest.empty() && rest.size() <= 253 && std::all_of(rest.begin(), rest.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || (ipv6 && c == ':');
  });
  if (!chars_ok)
    throw config_error(std::string(where) + ": '" + std::string(value) +
                       "' is not a host name: give a name or address without scheme or port, such as myapp.test, "
                       "*.example.test (its subdomains) or 192.168.1.20");
  std::string out(value);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

namespace {

const option_spec* find_option(std::string_view name) {
  for (const auto& o : known_options)
    if (o.name == name) return &o;
  return nullptr;
}

/// "unknown option --prot: did you mean --port?" when one is close (a typo, a transposition, a missing dash).
std::string unknown_option(std::string_view arg) {
  std::string message = "unknown option " + std::string(arg);
  const option_spec* best = nullptr;
  std::size_t best_distance = 3;
  for (const auto& o : known_options) {
    const auto d = edit_distance(arg, o.name);
    if (d < best_distance) {
      best = &o;
      best_distance = d;
    }
  }
  if (best) message += ": did you mean " + std::string(best->name) + "?";
  return message + " (see --help)";
}

/// --host takes addresses and names (resolve_host_address); one that does not resolve is a usage error.
std::string host_address(const std::string& host) {
  auto address = resolve_host_address(host);
  if (address.empty()) throw config_error("--host " + host + ": not an address, and the name does not resolve");
  return address;
}

std::string_view basename_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

/// Arguments that look like a port placeholder nothing will replace ('$PORT' in single quotes, {PORT}).
std::vector<std::string> command_warnings(const std::vector<std::string>& command) {
  std::vector<std::string> out;
  // In `sh -c '... $PORT ...'` the shell run as the app expands it from the environment: that is right.
  const bool shell = !command.empty() && (basename_of(command[0]) == "sh" || basename_of(command[0]) == "bash" ||
                                          basename_of(command[0]) == "dash" || basename_of(command[0]) == "zsh");
  // Django's own autoreloader restarts the app too, racing liveproxy (and without holding requests).
  const bool runserver = std::find(command.begin(), command.end(), "runserver") != command.end();
  const bool noreload = std::find(command.begin(), command.end(), "--noreload") != command.end();
  if (runserver && !noreload)
    out.push_back("Django's autoreloader is on (runserver without --noreload): it restarts the app by itself as "
                  "well, racing liveproxy; add --noreload, and liveproxy restarts it while holding requests");
  for (const auto& a : command)
    for (const std::string_view wrong : {"$PORT", "${PORT}", "{PORT}", "{{port}}", "%PORT%"})
      if (a.find(wrong) != std::string::npos && !(shell && wrong.starts_with("$"))) {
        out.push_back("the argument '" + a + "' contains " + std::string(wrong) +
                      ", which nothing replaces here (no shell expands it): write {port} for the app's port in an "
                      "argument; it is also in the app's environment as PORT");
        break;
      }
  return out;
}

}  // namespace

std::string resolve_host_address(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  if (!ec) return host;
  // Binding ::1 alone (where localhost may resolve first) would shut out http://127.0.0.1.
  if (host == "localhost") return "127.0.0.1";
  net::io_context io;
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, "", ec);
  if (ec || results.empty()) return {};
  return results.begin()->endpoint().address().to_string();
}

std::size_t default_max_connections() {
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur == RLIM_INFINITY) return limits::max_connections;
  // A few dozen descriptors are liveproxy's own (watcher, app pipes, listener); half the rest for browsers.
  const auto usable = nofile.rlim_cur > 64 ? (nofile.rlim_cur - 64) / 2 : 16;
  return std::max<std::size_t>(16, std::min<std::size_t>(limits::max_connections, usable));
}

bool runs_server_javascript(const std::vector<std::string>& app_command) {
  static constexpr std::array<std::string_view, 11> runtimes = {
      "node", "nodejs", "deno", "bun", "tsx", "ts-node", "nodemon", "npm", "npx", "yarn", "pnpm"};
  std::size_t i = 0;
  // `env [-i] [VAR=value...] node ...`, as in a #! line: the command is the first word after them.
  if (!app_command.empty() && basename_of(app_command[0]) == "env") {
    for (++i; i < app_command.size(); ++i) {
      const std::string& word = app_command[i];
      if (!word.starts_with('-') && word.find('=') == std::string::npos) break;
    }
  }
  if (i >= app_command.size()) return false;
  return std::find(runtimes.begin(), runtimes.end(), basename_of(app_command[i])) != runtimes.end();
}

std::string usage_text() {
  return R"(usage: liveproxy [options] -- COMMAND [ARGS...]
       liveproxy [options] --upstream URL
       liveproxy [options] --serve DIR

Runs COMMAND as your app on a private port, proxies the browser to it, and reloads
the browser when files change: code -> restart the app, templates -> reload the page,
stylesheets and images -> swap them in place. When COMMAND is node, deno, bun,
npm or the like, its scripts (*.js, *.ts...) are code too, except under public/,
static/, assets/ and templates/.

The app's port is passed as {port} inside any argument and as $PORT. With --fd,
liveproxy binds the port itself and hands the listening socket over as fd 3
({fd} in any argument; without {fd} in the command, LISTEN_FDS=1, LISTEN_PID and
LISTEN_FDNAMES=app announce it as systemd socket activation does).

options:
  --port N             front port the browser opens (default 3000; 0 = any free port)
  --host ADDR          front address (default 127.0.0.1)
  --app-port N         the app's port (default: a free port chosen at start)
  --watch DIR          directory to watch, repeatable (default: the current directory)
  --ignore GLOB        extra ignore pattern (gitignore syntax), repeatable
  --restart GLOB       a change to matching files restarts the app   } repeatable, in order,
  --reload GLOB        ... reloads the page                          } ahead of the built-in
  --css GLOB           ... swaps the stylesheet or image in place    } rules (gitignore-style
  --no-restart GLOB    ... does nothing (ignored)                    } globs; first match wins)
  --env NAME=VALUE     extra environment for the app, repeatable
  --config FILE        settings file (default: ./liveproxy.json if there is one); options
                       given here win over it; `liveproxy init` writes a starting one
  --poll [MS]          poll the file system instead of inotify (default 500 ms)
  --watchman           watch through the watchman service (Debian package watchman);
                       falls back to inotify, saying why, when it cannot be used
  --settle MS          quiet time after a code change before the app restarts (default )" +
         std::to_string(watcher::debouncer::default_restart_settle.count()) + R"()
  --coalesce MS        stylesheet and page changes go to the browser at once; those right after
                       are collected for MS and sent together (default )" +
         std::to_string(watcher::debouncer::default_browser_coalesce.count()) + R"()
  --hold-timeout SECS  how long requests wait for the app to come up (default 30)
  --start-timeout SECS how long a starting app may take to listen before requests
                       get an error page saying so (default 20)
  --restart-on-crash   restart a crashed app by itself (backoff 0.5 s doubling to 30 s)
                       instead of waiting for the next file change
  --preload            Python apps: while the app runs, a next interpreter imports the libraries
                       the app uses (not your code) and waits; a restart takes it (on for the
                       Django and Flask projects liveproxy detects; --no-preload turns it off)
  --no-speculative-restart  wait for the settle time before restarting (by default the app
                       restarts at the first code change; requests and tabs still wait until
                       the changes have settled, and a start that more changes overtake is
                       replaced, never seen)
  --upstream URL       proxy an app you start yourself (http:// or https://), instead of a COMMAND;
                       after a code change liveproxy waits for the app's own reloader
  --upstream-insecure  do not check an https upstream's certificate (self-signed local ones)
  --upstream-host      send the upstream's own host:port as Host (default: the browser's Host)
  --upstream-grace MS  how long the app's reloader may take to go down after a change (default 1500)
  --serve DIR          serve the static site in DIR, instead of a COMMAND (index.html, listings,
                       ETag/304, ranges); pages get the reload script
  --spa                with --serve: unknown page paths get index.html (client-side routers)
  --dotfiles           with --serve: serve names starting with '.' too (hidden otherwise)
  --fd                 hand the app its listening socket as fd 3 (e.g. gunicorn --bind fd://{fd});
                       requests queue in the socket's backlog during restarts
  --max-connections N  browser connections open at once; beyond that new ones wait (default )" +
         std::to_string(limits::max_connections) + R"(,
                       or half the open-file limit if lower)
  --max-held N         requests held at once while the app (re)starts; more get 503 with
                       Retry-After (default )" + std::to_string(limits::max_held_requests) + R"()
  --idle-timeout SECS  close a browser connection idle this long between requests (default 120)
  --header-timeout SECS  a request's header must arrive within this of its first byte (default 30)
  --allowed-host NAME  a Host besides localhost that may use liveproxy's endpoints and see error
                       details (DNS-rebinding protection); repeatable; *.example.test for subdomains
  --open               open the page in the browser ($BROWSER, else xdg-open) once the app is ready
  --quiet              say only warnings, errors and the URL to open
  --verbose            say the details too (run numbers, PIDs, stop times, each step of a restart)
  -h, --help           this text
  --version            print the version

Without a COMMAND, --upstream or --serve, liveproxy looks at the current directory
(manage.py, a Flask or FastAPI app, package.json, index.html), says what it found
and runs it. While it runs, type rs + Enter to restart the app (or POST
/__liveproxy/restart from the page). Exit status: 0 when the app was stopped on
request; the app's own status (128+N for signal N) if it had ended by itself;
1 on a liveproxy error; 2 on a usage error; 127 when the command is not found.

examples:
  liveproxy
  liveproxy -- /usr/bin/python3 manage.py runserver --noreload 127.0.0.1:{port}
  liveproxy --upstream http://127.0.0.1:8000
  liveproxy --serve site/
)";
}

namespace {

/// The --config FILE on the command line (before --), or ./liveproxy.json; none when help or the version is
/// asked for (a broken file must not stand in the way of --help).
std::optional<std::filesystem::path> config_file_for(int argc, const char* const* argv) {
  std::optional<std::filesystem::path> given;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") break;
    if (a == "-h" || a == "--help" || a == "--version") return std::nullopt;
    if (a == "--config") {
      if (i + 1 >= argc || std::string_view(argv[i + 1]) == "--") throw config_error("--config needs a value");
      given = argv[++i];
    } else if (a.starts_with("--config=")) {
      given = std::filesystem::path(a.substr(9));
    }
  }
  if (given) return given;
  return find_config_file("");
}

}  // namespace

config parse_command_line(int argc, const char* const* argv) {
  config cfg;
  for (int a = 0; a < argc; ++a) cfg.command_line.emplace_back(argv[a]);
  // The file first, then the command line over it: options win, lists the command line gives replace
  // (--watch) or go ahead of (rules) or after (ignores, env) the file's, and a command, --upstream or --serve
  // on the command line replaces the file's mode.
  if (const auto file = config_file_for(argc, argv)) {
    apply_config_file(cfg, *file);
    cfg.config_file = *file;
  }
  auto file_watch = std::exchange(cfg.watch_dirs, {});
  auto file_rules = std::exchange(cfg.rules, {});
  auto file_command = std::exchange(cfg.app_command, {});
  auto file_upstream = std::exchange(cfg.upstream, {});
  auto file_serve = std::exchange(cfg.serve_dir, {});
  int i = 1;
  std::optional<std::string_view> inline_value;  ///< the VALUE of --opt=VALUE
  auto value = [&](std::string_view opt) -> std::string_view {
    if (inline_value) return *inline_value;
    if (i + 1 >= argc || std::string_view(argv[i + 1]) == "--")
      throw config_error(std::string(opt) + " needs a value");
    const std::string_view next = argv[i + 1];
    if (next.starts_with("--") && find_option(next.substr(0, next.find('='))))
      throw config_error(std::string(opt) + " needs a value, not the option " + std::string(next));
    return argv[++i];
  };
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    inline_value.reset();
    if (arg.starts_with("--")) {
      if (const auto eq = arg.find('='); eq != std::string_view::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
      const auto* spec = find_option(arg);
      if (!spec) throw config_error(unknown_option(arg));
      if (inline_value && !spec->takes_value && arg != "--poll") throw config_error(std::string(arg) + " takes no value");
    }
    if (arg == "-h" || arg == "--help") {
      cfg.show_help = true;
    } else if (arg == "--version") {
      cfg.show_version = true;
    } else if (arg == "--port") {
      cfg.port = parse_number<std::uint16_t>(arg, value(arg), 0, 65535);
      cfg.port_given = true;
    } else if (arg == "--host") {
      cfg.host = host_address(std::string(value(arg)));
    } else if (arg == "--app-port") {
      cfg.app_port = parse_number<std::uint16_t>(arg, value(arg), 1, 65535);
      cfg.app_port_given = true;
    } else if (arg == "--watch") {
      cfg.watch_dirs.emplace_back(value(arg));
    } else if (arg == "--ignore") {
      cfg.ignores.emplace_back(value(arg));
    } else if (arg == "--max-held") {
      cfg.max_held = parse_number<std::size_t>(arg, value(arg), 1, 1'000'000);
    } else if (arg == "--allowed-host") {
      cfg.allowed_hosts.push_back(check_allowed_host(value(arg), "--allowed-host"));
    } else if (arg == "--restart" || arg == "--reload" || arg == "--css" || arg == "--no-restart") {
      const auto act = arg == "--restart" ? watcher::action::restart
                       : arg == "--reload" ? watcher::action::reload
                       : arg == "--css"    ? watcher::action::css
                                           : watcher::action::ignore;
      cfg.rules.push_back({std::string(value(arg)), act});
    } else if (arg == "--env") {
      const auto text = value(arg);
      if (text.find('=') == std::string_view::npos || text.starts_with("="))
        throw config_error("--env " + std::string(text) + ": expected NAME=VALUE");
      cfg.env.emplace_back(text);
    } else if (arg == "--poll") {
      // The interval is optional: "--poll" alone, "--poll 250" or "--poll=250".
      if (inline_value)
        cfg.poll_interval = std::chrono::milliseconds(parse_number<int>(arg, *inline_value, 10, 60'000));
      else if (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9')
        cfg.poll_interval = std::chrono::milliseconds(parse_number<int>(arg, argv[++i], 10, 60'000));
      else
        cfg.poll_interval = std::chrono::milliseconds(500);
    } else if (arg == "--watchman") {
      cfg.use_watchman = true;
    } else if (arg == "--settle") {
      cfg.restart_settle = std::chrono::milliseconds(parse_number<int>(arg, value(arg), 0, max_wait_ms));
    } else if (arg == "--coalesce") {
      cfg.browser_coalesce = std::chrono::milliseconds(parse_number<int>(arg, value(arg), 0, max_wait_ms));
    } else if (arg == "--hold-timeout") {
      cfg.hold_timeout = std::chrono::milliseconds(static_cast<long>(parse_seconds(arg, value(arg)) * 1000));
    } else if (arg == "--start-timeout") {
      cfg.start_timeout = std::chrono::milliseconds(static_cast<long>(parse_seconds(arg, value(arg)) * 1000));
    } else if (arg == "--idle-timeout") {
      cfg.idle_timeout = std::chrono::milliseconds(static_cast<long>(parse_seconds(arg, value(arg)) * 1000));
    } else if (arg == "--header-timeout") {
      cfg.header_timeout = std::chrono::milliseconds(static_cast<long>(parse_seconds(arg, value(arg)) * 1000));
    } else if (arg == "--max-connections") {
      cfg.max_connections = parse_number<std::size_t>(arg, value(arg), 1, 1'000'000);
    } else if (arg == "--upstream") {
      const auto text = value(arg);
      try {
        cfg.upstream = parse_upstream_url(text);
      } catch (const std::invalid_argument& e) {
        throw config_error("--upstream " + std::string(text) + ": " + e.what());
      }
    } else if (arg == "--upstream-insecure") {
      cfg.upstream_insecure = true;
    } else if (arg == "--upstream-host") {
      cfg.upstream_host = true;
    } else if (arg == "--upstream-grace") {
      cfg.upstream_grace = std::chrono::milliseconds(parse_number<int>(arg, value(arg), 0, 60'000));
    } else if (arg == "--serve") {
      cfg.serve_dir = std::filesystem::path(value(arg));
    } else if (arg == "--spa") {
      cfg.spa = true;
    } else if (arg == "--dotfiles") {
      cfg.dotfiles = true;
    } else if (arg == "--config") {
      value(arg);  // read before the other options (config_file_for)
    } else if (arg == "--restart-on-crash") {
      cfg.restart_on_crash = true;
    } else if (arg == "--quiet") {
      cfg.verbosity = log::verbosity::quiet;
    } else if (arg == "--verbose") {
      cfg.verbosity = log::verbosity::verbose;
    } else if (arg == "--open") {
      cfg.open_browser = true;
    } else if (arg == "--fd") {
      cfg.socket_handoff = true;
    } else if (arg == "--preload") {
      cfg.preload = true;
    } else if (arg == "--no-preload") {
      cfg.preload = false;
    } else if (arg == "--no-speculative-restart") {
      cfg.speculative_restart = false;
    } else if (arg.starts_with("-")) {
      throw config_error(unknown_option(arg));
    } else {
      throw config_error("unexpected argument '" + std::string(arg) +
                         "': put the app command after -- (liveproxy [options] -- COMMAND ...)");
    }
  }
  for (; i < argc; ++i) cfg.app_command.emplace_back(argv[i]);
  // Asking for help or the version is answered whatever else is on the line.
  if (cfg.show_help || cfg.show_version) return cfg;
  if (cfg.watch_dirs.empty()) cfg.watch_dirs = std::move(file_watch);
  cfg.rules.insert(cfg.rules.end(), file_rules.begin(), file_rules.end());
  if (cfg.app_command.empty() && !cfg.upstream && !cfg.serve_dir) {
    cfg.app_command = std::move(file_command);
    cfg.upstream = std::move(file_upstream);
    cfg.serve_dir = std::move(file_serve);
  }
  cfg.js_runs_on_server = runs_server_javascript(cfg.app_command);
  cfg.warnings = command_warnings(cfg.app_command);
  if (cfg.serve_dir) {
    if (!cfg.app_command.empty() || cfg.upstream)
      throw config_error("--serve serves a folder without an app: give it alone, not with a COMMAND or --upstream");
    if (cfg.socket_handoff || cfg.restart_on_crash || cfg.preload.value_or(false))
      throw config_error("--fd, --restart-on-crash and --preload need a COMMAND: with --serve there is no app");
    std::error_code ec;
    auto canon = std::filesystem::canonical(*cfg.serve_dir, ec);
    if (ec || !std::filesystem::is_directory(canon))
      throw config_error("--serve " + cfg.serve_dir->string() + ": not a directory");
    cfg.serve_dir = canon;
    if (cfg.watch_dirs.empty()) cfg.watch_dirs.push_back(canon);
  } else if (cfg.spa || cfg.dotfiles) {
    throw config_error("--spa and --dotfiles go with --serve DIR");
  }
  if (cfg.upstream) {
    if (!cfg.app_command.empty())
      throw config_error("--upstream and a COMMAND exclude each other: liveproxy either runs the app or proxies one "
                         "you started");
    if (cfg.socket_handoff) throw config_error("--fd needs a COMMAND: with --upstream liveproxy does not start the app");
    if (cfg.restart_on_crash || cfg.preload.value_or(false))
      throw config_error("--restart-on-crash and --preload need a COMMAND: with --upstream liveproxy does not start the "
                         "app");
  } else if ((cfg.upstream_insecure || cfg.upstream_host) && !cfg.show_help) {
    throw config_error("--upstream-insecure and --upstream-host go with --upstream URL");
  }
  // Nothing says what to run: the project in the current directory will (see apply_preset).
  cfg.detect_project = cfg.app_command.empty() && !cfg.upstream && !cfg.serve_dir && !cfg.show_help && !cfg.show_version;
  if (cfg.max_connections == 0) cfg.max_connections = default_max_connections();
  if (cfg.poll_interval && cfg.use_watchman) throw config_error("--poll and --watchman exclude each other: choose one");
  if (cfg.watch_dirs.empty()) cfg.watch_dirs.emplace_back(".");
  for (auto& dir : cfg.watch_dirs) {
    std::error_code ec;
    auto canon = std::filesystem::canonical(dir, ec);
    if (ec || !std::filesystem::is_directory(canon))
      throw config_error("--watch " + dir.string() + ": not a directory");
    dir = canon;
  }
  return cfg;
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out.push_back(' ');
    const bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                         "0123456789_-./:={},@%+") == std::string::npos;
    if (plain) {
      out += a;
      continue;
    }
    out.push_back('\'');
    for (const char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out.push_back('\'');
  }
  return out;
}

std::vector<std::string> expand_placeholders(const std::vector<std::string>& argv, std::uint16_t port) {
  auto replace = [](std::string& arg, std::string_view placeholder, const std::string& text) {
    for (auto pos = arg.find(placeholder); pos != std::string::npos; pos = arg.find(placeholder, pos + text.size()))
      arg.replace(pos, placeholder.size(), text);
  };
  const std::string port_text = std::to_string(port);
  const std::string fd_text = std::to_string(handoff_fd);
  std::vector<std::string> out;
  out.reserve(argv.size());
  for (std::string arg : argv) {
    replace(arg, "{port}", port_text);
    replace(arg, "{fd}", fd_text);
    out.push_back(std::move(arg));
  }
  return out;
}

}  // namespace liveproxy
