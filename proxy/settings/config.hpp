// Run-time configuration: what the command line (and later liveproxy.json) says.
#pragma once

#include "proxy/http/upstream_url.hpp"
#include "proxy/base/limits.hpp"
#include "proxy/base/log.hpp"
#include "watcher/classifier.hpp"
#include "watcher/debouncer.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace liveproxy {

/// A configuration mistake the user must fix; the message says what and where.
struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One more app behind the front: an entry of "apps" in liveproxy.json, or a --route. The app that answers "/"
/// (else the first with routes) is not one of these: it is the config's own command or upstream.
struct app_spec {
  std::string name;
  std::vector<std::string> command;      ///< run and supervised, as "command" (placeholders in place); or
  std::optional<upstream_url> upstream;  ///< proxied, as "upstream"
  std::filesystem::path cwd;             ///< canonical; empty: liveproxy's own
  std::vector<std::string> env;          ///< "NAME=value", after PORT
  /// Path prefixes it answers ("/api/"); the longest prefix that matches a request wins. None: a side process
  /// (a CSS watcher, a worker), run and restarted after a crash but never sent a request.
  std::vector<std::string> routes;
  /// Globs, relative to cwd, whose changes restart it; empty: code changes under its cwd (for an app with
  /// routes; a side process restarts only for these).
  std::vector<std::string> watch;
  /// A front-end dev server with hot module replacement of its own (Vite, webpack-dev-server...): changes under
  /// its cwd are its to show. Unset: recognised from the command.
  std::optional<bool> hmr;
  /// As --preload, --fd and --restart-on-crash for this app (a command's, not an upstream's).
  std::optional<bool> preload;
  bool fd = false;
  bool restart_on_crash = false;
  bool from_route = false;  ///< a --route (which never becomes the main app)
};

/// Everything liveproxy needs to run. Defaults are the documented ones.
struct config {
  std::string host = "127.0.0.1";  ///< front address (loopback unless told otherwise)
  bool https = false;              ///< --https: TLS on the front port too, with liveproxy's local CA
  std::uint16_t port = 3000;       ///< front port; 0 picks a free one
  /// --port was given: a port in use is then an error (the default moves on to the next free one).
  bool port_given = false;
  std::string app_host = "127.0.0.1";
  std::uint16_t app_port = 0;  ///< 0: a free port chosen at start
  bool app_port_given = false;
  std::vector<std::filesystem::path> watch_dirs;
  std::vector<std::string> ignores;
  /// --allowed-host: Hosts besides loopback names that may use our endpoints and see error details.
  std::vector<std::string> allowed_hosts;
  /// --restart/--reload/--css/--no-restart GLOB (and the file's "rules"): ahead of the built-in rules, in order.
  std::vector<watcher::classifier::rule> rules;
  /// Extra environment for the app ("NAME=value"), after PORT.
  std::vector<std::string> env;
  std::optional<std::chrono::milliseconds> poll_interval;
  /// --watchman: watch through the watchman service (the watcher falls back to inotify, saying why).
  bool use_watchman = false;
  /// --settle MS: quiet time after a code change before the app restarts.
  std::chrono::milliseconds restart_settle{watcher::debouncer::default_restart_settle};
  /// --coalesce MS: browser-only changes after the first of a burst are collected this long.
  std::chrono::milliseconds browser_coalesce{watcher::debouncer::default_browser_coalesce};
  std::chrono::milliseconds hold_timeout{30'000};
  /// --idle-timeout: a browser connection idle between requests is closed after this.
  std::chrono::milliseconds idle_timeout{limits::client_idle_timeout};
  /// --header-timeout: from a request's first byte, its whole header must come within this.
  std::chrono::milliseconds header_timeout{limits::client_header_timeout};
  /// --max-connections: browser connections open at once before accepting pauses (0 until parsed: then the
  /// default, limits::max_connections, or half the open-file limit if that is lower).
  std::size_t max_connections = 0;
  /// --max-held N: requests held at once while the app is not ready; more get 503 with Retry-After.
  std::size_t max_held = limits::max_held_requests;
  /// A run that has not listened on its port by then fails the waiting requests with an explanation.
  std::chrono::milliseconds start_timeout{20'000};
  /// Restart a crashed app by itself (capped exponential backoff) instead of waiting for a change.
  bool restart_on_crash = false;
  /// --preload / --no-preload: start each run from a warm Python interpreter (unset: the preset decides).
  std::optional<bool> preload;
  /// Restart at the first code change instead of after the settle time (--no-speculative-restart: off).
  bool speculative_restart = true;
  /// --fd: bind the app's listening socket ourselves and hand it over as fd 3 (systemd LISTEN_FDS).
  bool socket_handoff = false;
  std::vector<std::string> app_command;  ///< argv with {port} placeholders still in place
  /// The main app's working directory (canonical; from "apps"); empty: liveproxy's.
  std::filesystem::path app_cwd;
  /// The main app's name where several apps run ("apps"), prefixing its output; "app" otherwise.
  std::string app_name = "app";
  /// The main app's own prefixes when "apps" gives them (it also answers every path no other app routes).
  std::vector<std::string> app_routes;
  /// The app may have liveproxy's terminal (false for the other apps of "apps": one terminal, one owner).
  bool app_terminal = true;
  /// The app listens on its port (false: a side process of "apps", ready once started).
  bool app_listens = true;
  /// The main app's "watch" globs, and whether it is a dev server with hot module replacement of its own.
  std::vector<std::string> app_watch;
  bool app_hmr = false;
  /// The other apps behind the front ("apps" but the main one, --route).
  std::vector<app_spec> apps;
  /// --upstream URL: proxy an app the user starts; no command then.
  std::optional<upstream_url> upstream;
  /// --upstream-insecure: no certificate checks for an https upstream (self-signed local certificates).
  bool upstream_insecure = false;
  /// --upstream-host: send the upstream's own host as Host (virtual hosts) instead of the browser's.
  bool upstream_host = false;
  /// --upstream-grace MS: after a code change, how long the app's own reloader may take to stop the old
  /// process before liveproxy decides it will not restart and reloads the tabs.
  std::chrono::milliseconds upstream_grace{1500};
  /// --serve DIR (canonical): a static site, no app. --spa and --dotfiles go with it.
  std::optional<std::filesystem::path> serve_dir;
  bool spa = false;
  bool dotfiles = false;
  /// The app command runs JavaScript on the server (see runs_server_javascript): its scripts restart it.
  bool js_runs_on_server = false;
  /// Things worth saying at start that are not errors (an argument with a placeholder nothing replaces).
  std::vector<std::string> warnings;
  /// The liveproxy.json read (--config FILE, or found in the current directory): watched while running.
  std::optional<std::filesystem::path> config_file;
  /// argv as given: parsed again, with the file, when the file changes while running.
  std::vector<std::string> command_line;
  /// No command, --upstream or --serve: what to run comes from the project (detect_project, apply_preset).
  bool detect_project = false;
  bool show_help = false;
  bool show_version = false;
  /// --quiet / --verbose.
  log::verbosity verbosity = log::verbosity::normal;
  /// --open: the browser opens the page once the app is first ready.
  bool open_browser = false;
  /// --editor CMD: what a click on a file:line of the error page opens (else $LIVEPROXY_EDITOR, $VISUAL, $EDITOR).
  std::string editor;
  /// The pages' errors and warnings in our terminal and on the status page (--no-browser-console: not).
  bool browser_console = true;
  /// --reload-mode: on a page change, morph the page in place (keeping scroll, focus, typed text) or reload it.
  bool morph_pages = true;
};

/// An --allowed-host value (a name, an address, *.domain, .domain or *), lower-cased; throws config_error naming
/// `where` (the option, or the config file's key) when it is not one.
std::string check_allowed_host(std::string_view value, std::string_view where);

/// --host's rule: an address as it is, localhost as 127.0.0.1, another name resolved once (its first
/// address); empty when the name does not resolve.
std::string resolve_host_address(const std::string& host);

/// The default --max-connections: limits::max_connections, or half the soft open-file limit if lower (each
/// proxied request needs a descriptor for the app besides the browser's).
std::size_t default_max_connections();

/// Parses argv. Throws config_error naming the offending option.
config parse_command_line(int argc, const char* const* argv);

/// Is the app a server-side JavaScript runtime or package manager? The basename of argv[0] (of the
/// command after `env`, its flags and VAR=value assignments) is one of node, nodejs, deno, bun, tsx,
/// ts-node, nodemon, npm, npx, yarn, pnpm. A shell wrapper (sh -c "node ...") is not looked into.
bool runs_server_javascript(const std::vector<std::string>& app_command);
/// A front-end dev server with hot module replacement of its own, by its command: vite, webpack serve /
/// webpack-dev-server, esbuild --serve, next dev, nuxt dev, astro dev, directly or through npx/npm/pnpm/yarn.
bool runs_hmr_dev_server(const std::vector<std::string>& app_command);
/// "apps" and --route made whole: the main app (the one routed at "/", else the first with routes) becomes the
/// config's own command or upstream when there is none, names and routes are checked, and the apps'
/// directories are watched. Throws config_error.
void resolve_apps(config& cfg);

/// The command line as a shell would need it typed (single quotes where needed).
std::string shell_quote(const std::vector<std::string>& argv);

/// The --help text.
std::string usage_text();

/// The file descriptor the app gets its listening socket on in --fd mode (SD_LISTEN_FDS_START).
inline constexpr int handoff_fd = 3;

/// Replaces every "{port}" inside each argument by the port, and every "{fd}" by handoff_fd.
std::vector<std::string> expand_placeholders(const std::vector<std::string>& argv, std::uint16_t port);

}  // namespace liveproxy
