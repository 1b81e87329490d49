// The command line, read through the settings table: each option is looked up in it and its row reads the value;
// what the options make contradictory is checked once the whole line (and the file under it) is read. --help is
// written from the same rows.
#include "proxy/base/edit_distance.hpp"
#include "proxy/settings/config.hpp"
#include "proxy/settings/config_file.hpp"
#include "proxy/settings/option_values.hpp"
#include "proxy/settings/settings_table.hpp"

#include <algorithm>
#include <optional>

namespace liveproxy {
namespace {

/// "unknown option --prot: did you mean --port?" when one is close (a typo, a transposition, a missing dash).
std::string unknown_option(std::string_view arg) {
  std::string message = "unknown option " + std::string(arg);
  std::string_view best;
  std::size_t best_distance = 3;
  for (const auto option : command_line_options()) {
    const auto d = edit_distance(arg, option);
    if (d < best_distance) {
      best = option;
      best_distance = d;
    }
  }
  if (!best.empty()) message += ": did you mean " + std::string(best) + "?";
  return message + " (see --help)";
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

/// What the whole line makes contradictory, and what is derived from it (canonical directories, the mode).
void check_and_complete(config& cfg) {
  resolve_apps(cfg);
  cfg.js_runs_on_server = runs_server_javascript(cfg.app_command);
  // A front-end dev server's scripts are the browser's, not a server's: they restart nothing (unless another
  // app runs JavaScript on the server).
  if (cfg.app_hmr)
    cfg.js_runs_on_server = std::any_of(cfg.apps.begin(), cfg.apps.end(), [](const app_spec& a) {
      return !a.hmr.value_or(false) && runs_server_javascript(a.command);
    });
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
  } else if (cfg.upstream_insecure || cfg.upstream_host) {
    throw config_error("--upstream-insecure and --upstream-host go with --upstream URL");
  }
  // Nothing says what to run: the project in the current directory will (see apply_preset).
  cfg.detect_project = cfg.app_command.empty() && !cfg.upstream && !cfg.serve_dir;
  if (cfg.max_connections == 0) cfg.max_connections = default_max_connections();
  if (cfg.poll_interval && cfg.use_watchman) throw config_error("--poll and --watchman exclude each other: choose one");
  if (cfg.watch_dirs.empty()) cfg.watch_dirs.emplace_back(".");
  for (auto& dir : cfg.watch_dirs) {
    std::error_code ec;
    auto canon = std::filesystem::canonical(dir, ec);
    if (ec || !std::filesystem::is_directory(canon)) throw config_error("--watch " + dir.string() + ": not a directory");
    dir = canon;
  }
}

}  // namespace

std::chrono::milliseconds option_seconds(std::string_view opt, std::string_view text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(std::string(text), &used);
    if (used == text.size() && v > 0 && v <= 86400) return std::chrono::milliseconds(static_cast<long>(v * 1000));
  } catch (const std::exception&) {
  }
  throw config_error(std::string(opt) + ": expected seconds (e.g. 30 or 0.5), got '" + std::string(text) + "'");
}

std::string option_host(std::string_view text) {
  const std::string host(text);
  auto address = resolve_host_address(host);
  if (address.empty()) throw config_error("--host " + host + ": not an address, and the name does not resolve");
  return address;
}

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
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    std::optional<std::string_view> inline_value;  // the VALUE of --opt=VALUE
    if (arg.starts_with("--"))
      if (const auto eq = arg.find('='); eq != std::string_view::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
    const setting* s = setting_for_option(arg);
    if (!s || !s->from_option) {
      if (arg.starts_with("-")) throw config_error(unknown_option(arg));
      throw config_error("unexpected argument '" + std::string(arg) +
                         "': put the app command after -- (liveproxy [options] -- COMMAND ...)");
    }
    std::string_view value;
    if (s->takes_value()) {
      if (inline_value) {
        value = *inline_value;
      } else {
        if (i + 1 >= argc || std::string_view(argv[i + 1]) == "--") throw config_error(s->option + " needs a value");
        const std::string_view next = argv[i + 1];
        if (next.starts_with("--") && setting_for_option(next.substr(0, next.find('='))))
          throw config_error(s->option + " needs a value, not the option " + std::string(next));
        value = argv[++i];
      }
    } else if (s->optional_value()) {
      // "--poll" alone, "--poll 250" or "--poll=250".
      if (inline_value) value = *inline_value;
      else if (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9') value = argv[++i];
    } else if (inline_value) {
      throw config_error(s->option + " takes no value");
    }
    s->from_option(*s, cfg, value);
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
  check_and_complete(cfg);
  return cfg;
}

std::string usage_text() {
  std::string options;
  for (const auto& s : settings_table()) {
    if (s.option.empty() || s.help.empty()) continue;  // --no-preload: said in --preload's text
    std::string head = "  " + std::string(s.option == "--help" ? "-h, " : "") + s.option;
    if (!s.metavar.empty()) head += " " + s.metavar;
    // The text starts at column 23, or two spaces after a long option.
    head += std::string(head.size() <= 22 ? 23 - head.size() : 2, ' ');
    std::string text = s.help;
    for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', nl + 1))
      text.insert(nl + 1, std::string(23, ' '));
    options += head + text + "\n";
  }
  return R"(usage: liveproxy [options] -- COMMAND [ARGS...]
       liveproxy [options] --upstream URL
       liveproxy [options] --serve DIR
       liveproxy init | schema
       liveproxy wait | status | mcp     (beside a running liveproxy: see below)
       liveproxy trust [--remove]        (trust liveproxy's local CA here, for --https)

Runs COMMAND as your app on a private port, proxies the browser to it, and reloads
the browser when files change: code -> restart the app, templates -> reload the page,
stylesheets and images -> swap them in place. When COMMAND is node, deno, bun,
npm or the like, its scripts (*.js, *.ts...) are code too, except under public/,
static/, assets/ and templates/.

The app's port is passed as {port} inside any argument and as $PORT. With --fd,
liveproxy binds the port itself and hands the listening socket over as fd 3
({fd} in any argument; without {fd} in the command, LISTEN_FDS=1, LISTEN_PID and
LISTEN_FDNAMES=app announce it as systemd socket activation does).

options (most are keys of liveproxy.json too: `liveproxy schema` lists them):
)" + options + R"(
Without a COMMAND, --upstream or --serve, liveproxy looks at the current directory
(manage.py, a Flask or FastAPI app, package.json, index.html), says what it found
and runs it. While it runs, type rs + Enter to restart the app (or POST
/__liveproxy/restart from the page). Exit status: 0 when the app was stopped on
request; the app's own status (128+N for signal N) if it had ended by itself;
1 on a liveproxy error; 2 on a usage error; 127 when the command is not found.

`liveproxy init` writes a liveproxy.json for the project here (and the schema beside it);
`liveproxy schema` prints the JSON Schema of liveproxy.json.
`liveproxy wait [--timeout S]` returns once the last edit is live (exit 0; 1 if the app
failed, with its error; 124 on timeout), `liveproxy status` prints the status page in
text, and `liveproxy mcp` is an MCP server on stdio for coding agents; all three talk
to the liveproxy running for this project (--port N to name it).

examples:
  liveproxy
  liveproxy -- /usr/bin/python3 manage.py runserver --noreload 127.0.0.1:{port}
  liveproxy --upstream http://127.0.0.1:8000
  liveproxy --serve site/
)";
}

}  // namespace liveproxy
