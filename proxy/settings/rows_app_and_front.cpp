// The settings table's rows for timeouts and limits, the app (its environment, supervision, preloading, the
// upstream and the served folder), the front's allowed hosts, and the command line's own options.
#include "proxy/base/limits.hpp"
#include "proxy/settings/setting_readers.hpp"

namespace liveproxy::rows {
namespace {

/// A timeout in seconds: its default (in --help and the schema) is the config's own.
template <auto M>
setting seconds_row(std::string key, std::string option, std::string help, std::string description, long example) {
  const auto seconds = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(config{}.*M).count());
  // The default goes at the end of help's last line.
  help += " (default " + seconds + ")";
  return {std::move(key), std::move(option), "SECS", std::move(help), std::move(description),
          R"("type": "number", "minimum": 0.001, "maximum": 86400, "default": )" + seconds + R"(, "examples": [)" +
              std::to_string(example) + "]",
          "", reload_effect::apply_live, option_secs<M>, json_secs<M>, differ<M>};
}

}  // namespace

void add_timeouts_and_limits(std::vector<setting>& t) {
  t.push_back(seconds_row<&config::hold_timeout>("hold_timeout", "--hold-timeout",
                                                 "how long requests wait for the app to come up",
                                                 "Seconds requests wait for the app to come up (--hold-timeout).", 60));
  t.push_back(seconds_row<&config::start_timeout>(
      "start_timeout", "--start-timeout",
      "how long a starting app may take to listen before requests\nget an error page saying so",
      "Seconds a starting app may take to listen before requests get an error page saying so (--start-timeout).", 45));
  t.push_back(seconds_row<&config::idle_timeout>(
      "idle_timeout", "--idle-timeout", "close a browser connection idle this long between requests",
      "Seconds a browser connection may stay idle between requests before it is closed (--idle-timeout).", 300));
  t.push_back(seconds_row<&config::header_timeout>(
      "header_timeout", "--header-timeout", "a request's header must arrive within this of its first byte",
      "Seconds within which a request's whole header must arrive, from its first byte (--header-timeout).", 10));
  t.push_back({"max_connections", "--max-connections", "N",
               "browser connections open at once; beyond that new ones wait (default " +
                   std::to_string(limits::max_connections) + ",\nor half the open-file limit if lower)",
               "Browser connections open at once; beyond that new ones wait in the kernel's backlog "
               "(--max-connections). Default " +
                   std::to_string(limits::max_connections) + ", or half the open-file limit if lower.",
               R"("type": "integer", "minimum": 1, "maximum": 1000000, "examples": [1000])", "",
               reload_effect::relaunch, option_count<&config::max_connections, 1, 1'000'000>,
               json_count<&config::max_connections, 1, 1'000'000>, differ<&config::max_connections>});
  t.push_back({"max_held", "--max-held", "N",
               "requests held at once while the app (re)starts; more get 503 with\nRetry-After (default " +
                   std::to_string(limits::max_held_requests) + ")",
               "Requests held at once while the app (re)starts; more get 503 with Retry-After (--max-held).",
               R"("type": "integer", "minimum": 1, "maximum": 1000000, "default": )" +
                   std::to_string(limits::max_held_requests) + R"(, "examples": [200])",
               "", reload_effect::apply_live, option_count<&config::max_held, 1, 1'000'000>,
               json_count<&config::max_held, 1, 1'000'000>, differ<&config::max_held>});
}

void add_app(std::vector<setting>& t) {
  t.push_back({"env", "--env", "NAME=VALUE", "extra environment for the app, repeatable",
               "Extra environment for the app, after PORT (--env NAME=VALUE). Values are strings: write \"1\", not 1.",
               R"("type": "object", "propertyNames": {"pattern": "^[^=]+$"}, "additionalProperties": {"type": "string"}, "examples": [{"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "mysite.settings"}])",
               "", reload_effect::restart_app,
               [](const setting&, config& c, std::string_view v) {
                 if (v.find('=') == std::string_view::npos || v.starts_with("="))
                   throw config_error("--env " + std::string(v) + ": expected NAME=VALUE");
                 c.env.emplace_back(v);
               },
               [](const setting&, config& c, json_reader& r, const json::member& m) { c.env = r.environment(m.value); },
               differ<&config::env>});
  t.push_back({"restart_on_crash", "--restart-on-crash", "",
               "restart a crashed app by itself (backoff 0.5 s doubling to 30 s)\ninstead of waiting for the next "
               "file change",
               "With \"command\": restart a crashed app by itself (backoff 0.5 s doubling to 30 s) instead of "
               "waiting for the next change (--restart-on-crash).",
               R"("type": "boolean", "default": false, "examples": [true])", "command", reload_effect::apply_live,
               set_flag<&config::restart_on_crash>, json_flag<&config::restart_on_crash>,
               differ<&config::restart_on_crash>});
  t.push_back({"fd", "--fd", "",
               "hand the app its listening socket as fd 3 (e.g. gunicorn --bind fd://{fd});\nrequests queue in the "
               "socket's backlog during restarts",
               "With \"command\": liveproxy binds the app's port and hands the listening socket over as fd 3 ({fd} "
               "in an argument; otherwise LISTEN_FDS=1 as systemd does), so requests queue in the backlog during "
               "restarts (--fd).",
               R"("type": "boolean", "default": false, "examples": [true])", "command", reload_effect::restart_app,
               set_flag<&config::socket_handoff>, json_flag<&config::socket_handoff>, differ<&config::socket_handoff>});
  t.push_back({"preload", "--preload", "",
               "Python apps: while the app runs, a next interpreter imports the libraries\nthe app uses (not your "
               "code) and waits; a restart takes it (on for the\nDjango and Flask projects liveproxy detects; "
               "--no-preload turns it off)",
               "With \"command\", a Python app: while the app runs, the next run's interpreter starts and imports "
               "the libraries the app uses (never the project's code), then waits; a restart takes it instead of "
               "starting Python from scratch (--preload). On by default for the Django and Flask projects liveproxy "
               "detects.",
               R"("type": "boolean", "examples": [false])", "command", reload_effect::restart_app,
               [](const setting&, config& c, std::string_view) { c.preload = true; },
               [](const setting&, config& c, json_reader& r, const json::member& m) {
                 // true belongs with a command; false is as good as saying nothing anywhere.
                 c.preload = r.mode_flag(m, "command");
               },
               differ<&config::preload>});
  t.push_back({"", "--no-preload", "", "", "", "", "", reload_effect::restart_app,
               [](const setting&, config& c, std::string_view) { c.preload = false; }});
  t.push_back({"speculative_restart", "--no-speculative-restart", "",
               "wait for the settle time before restarting (by default the app\nrestarts at the first code change; "
               "requests and tabs still wait until\nthe changes have settled, and a start that more changes "
               "overtake is\nreplaced, never seen)",
               "Restart the app at the first code change instead of after settle_ms; requests and tabs still wait "
               "until the changes have settled, and a start that later changes overtake is replaced (default true; "
               "false: --no-speculative-restart).",
               R"("type": "boolean", "default": true, "examples": [false])", "", reload_effect::apply_live,
               [](const setting&, config& c, std::string_view) { c.speculative_restart = false; },
               json_flag<&config::speculative_restart>, differ<&config::speculative_restart>});
  t.push_back({"upstream_insecure", "--upstream-insecure", "",
               "do not check an https upstream's certificate (self-signed local ones)",
               "With \"upstream\": do not check an https upstream's certificate (self-signed local certificates) "
               "(--upstream-insecure).",
               R"("type": "boolean", "default": false, "examples": [true])", "upstream", reload_effect::relaunch,
               set_flag<&config::upstream_insecure>, json_flag<&config::upstream_insecure>,
               differ<&config::upstream_insecure>});
  t.push_back({"upstream_host", "--upstream-host", "",
               "send the upstream's own host:port as Host (default: the browser's Host)",
               "With \"upstream\": send the upstream's own host:port as Host instead of the browser's "
               "(--upstream-host).",
               R"("type": "boolean", "default": false, "examples": [true])", "upstream", reload_effect::relaunch,
               set_flag<&config::upstream_host>, json_flag<&config::upstream_host>, differ<&config::upstream_host>});
  t.push_back({"upstream_grace_ms", "--upstream-grace", "MS",
               "how long the app's reloader may take to go down after a change (default 1500)",
               "With \"upstream\": after a code change, milliseconds the app's own reloader may take to go down "
               "before liveproxy reloads the tabs anyway (--upstream-grace).",
               R"("type": "integer", "minimum": 0, "maximum": 60000, "default": 1500, "examples": [3000])", "",
               reload_effect::apply_live, option_ms<&config::upstream_grace, 0, 60'000>,
               json_ms<&config::upstream_grace, 60'000>, differ<&config::upstream_grace>});
  t.push_back({"spa", "--spa", "", "with --serve: unknown page paths get index.html (client-side routers)",
               "With \"serve\": unknown page paths get index.html, for client-side routers (--spa).",
               R"("type": "boolean", "default": false, "examples": [true])", "serve", reload_effect::apply_live,
               set_flag<&config::spa>, json_flag<&config::spa>, differ<&config::spa>});
  t.push_back({"dotfiles", "--dotfiles", "", "with --serve: serve names starting with '.' too (hidden otherwise)",
               "With \"serve\": serve names starting with '.' too (.env, .git/ are hidden otherwise) (--dotfiles).",
               R"("type": "boolean", "default": false, "examples": [true])", "serve", reload_effect::apply_live,
               set_flag<&config::dotfiles>, json_flag<&config::dotfiles>, differ<&config::dotfiles>});
}

void add_front(std::vector<setting>& t) {
  t.push_back({"allowed_hosts", "--allowed-host", "NAME",
               "a Host besides localhost that may use liveproxy's endpoints and see error\ndetails (DNS-rebinding "
               "protection); repeatable; *.example.test for subdomains",
               "Hosts besides localhost and loopback addresses that may use liveproxy's endpoints and see error "
               "details (--allowed-host): a name, an address, \"*.example.test\" for its subdomains, "
               "\".example.test\" for the domain and its subdomains, \"*\" for any (the DNS-rebinding protection "
               "off).",
               R"("type": "array", "items": {"type": "string", "minLength": 1, "pattern": "^(\\*|(\\*\\.|\\.)?[A-Za-z0-9.:\\[\\]-]+)$"}, "examples": [["myapp.test", "*.example.test"]])",
               "", reload_effect::apply_live,
               [](const setting&, config& c, std::string_view v) {
                 c.allowed_hosts.push_back(check_allowed_host(v, "--allowed-host"));
               },
               [](const setting&, config& c, json_reader& r, const json::member& m) {
                 c.allowed_hosts = r.allowed_hosts(m.value, m.key);
               },
               differ<&config::allowed_hosts>});
  t.push_back({"editor", "--editor", "CMD",
               "what a click on file:line on the error page opens: code, subl,\nidea, emacsclient, or a "
               "command with {file} {line} {col} (default:\n$LIVEPROXY_EDITOR, $VISUAL, $EDITOR; a terminal "
               "editor's command is\nprinted instead)",
               "The editor a click on a file:line of the error page opens (--editor): a known one by name (code, "
               "subl, idea and the other JetBrains IDEs, emacsclient, zed; vim, nvim, nano, hx and emacs run in a "
               "terminal, so liveproxy prints their command instead), or a command line with {file}, {line} and "
               "{col}. Default: $LIVEPROXY_EDITOR, else $VISUAL, else $EDITOR.",
               R"("type": "string", "minLength": 1, "examples": ["code", "idea", "myeditor --goto {file}:{line}"])", "",
               reload_effect::apply_live,
               [](const setting&, config& c, std::string_view v) { c.editor = std::string(v); },
               [](const setting&, config& c, json_reader& r, const json::member& m) {
                 c.editor = r.nonempty_string_of(m.value, m.key, "an editor's name or command line (a string)");
               },
               differ<&config::editor>});
  t.push_back({"browser_console", "--no-browser-console", "",
               "do not print the page's uncaught errors, console.error and\nconsole.warn here (by default they are, "
               "as \"browser | ...\")",
               "Print the pages' uncaught errors, unhandled rejections, console.error and console.warn in "
               "liveproxy's terminal and on the status page, repeats counted (default true; false: "
               "--no-browser-console).",
               R"("type": "boolean", "default": true, "examples": [false])", "", reload_effect::apply_live,
               [](const setting&, config& c, std::string_view) { c.browser_console = false; },
               json_flag<&config::browser_console>, differ<&config::browser_console>});
  t.push_back({"reload_mode", "--reload-mode", "MODE",
               "morph (default): a page change updates the page in place, keeping\nscroll, focus and typed text; "
               "full: reload the page",
               "What a page change (a template, HTML, a restart of the app) does in the browser: \"morph\" fetches "
               "the page again and updates it in place, keeping the scroll position, focus, typed text and open "
               "details (falling back to a reload when the page's scripts or stylesheets changed); \"full\" "
               "reloads the page (--reload-mode).",
               R"("type": "string", "enum": ["morph", "full"], "default": "morph", "examples": ["full"])", "",
               reload_effect::apply_live,
               [](const setting& s, config& c, std::string_view v) {
                 if (v != "morph" && v != "full")
                   throw config_error(s.option + ": morph or full, not '" + std::string(v) + "'");
                 c.morph_pages = v == "morph";
               },
               [](const setting&, config& c, json_reader& r, const json::member& m) {
                 static constexpr std::string_view modes[] = {"morph", "full"};
                 c.morph_pages = r.choice(m.value, m.key, modes) == "morph";
               },
               differ<&config::morph_pages>});
  // The command line's own options: no key in the file.
  t.push_back({"", "--config", "FILE",
               "settings file (default: ./liveproxy.json if there is one); options\ngiven here win over it; "
               "`liveproxy init` writes a starting one",
               "", "", "", reload_effect::apply_live,
               [](const setting&, config&, std::string_view) {}});  // read before the other options
  t.push_back({"", "--open", "", "open the page in the browser ($BROWSER, else xdg-open) once the app is ready", "",
               "", "", reload_effect::apply_live, set_flag<&config::open_browser>});
  t.push_back({"", "--quiet", "", "say only warnings, errors and the URL to open", "", "", "", reload_effect::apply_live,
               [](const setting&, config& c, std::string_view) { c.verbosity = log::verbosity::quiet; }});
  t.push_back({"", "--verbose", "", "say the details too (run numbers, PIDs, stop times, each step of a restart)", "",
               "", "", reload_effect::apply_live,
               [](const setting&, config& c, std::string_view) { c.verbosity = log::verbosity::verbose; }});
  t.push_back({"", "--help", "", "this text", "", "", "", reload_effect::apply_live, set_flag<&config::show_help>});
  t.push_back({"", "--version", "", "print the version", "", "", "", reload_effect::apply_live,
               set_flag<&config::show_version>});
}

}  // namespace liveproxy::rows
