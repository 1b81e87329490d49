// The settings table's rows for the mode (command, upstream, serve), the front address and what is watched.
#include "proxy/settings/setting_readers.hpp"

#include "proxy/settings/apps.hpp"

#include "watcher/debouncer.hpp"
#include "watcher/watcher.hpp"

#include <algorithm>

namespace liveproxy::rows {
namespace {

// Longest waits --settle and --coalesce accept: beyond this a change seems not to have been seen.
constexpr long max_wait_ms = 10'000;

constexpr std::string_view backends[] = {"inotify", "poll", "watchman"};

void rule_option(const setting& s, config& c, std::string_view v) {
  const auto act = s.option == "--restart"  ? watcher::action::restart
                   : s.option == "--reload" ? watcher::action::reload
                   : s.option == "--css"    ? watcher::action::css
                                            : watcher::action::ignore;
  c.rules.push_back({std::string(v), act});
}

int backend_of(const config& c) { return c.use_watchman ? 2 : c.poll_interval ? 1 : 0; }

}  // namespace

void add_mode_and_watching(std::vector<setting>& t) {
  const auto n = [](auto v) { return std::to_string(v); };
  // $schema: where editors find the schema; read and ignored.
  t.push_back({"$schema", "", "", "Where editors find this schema. liveproxy ignores it.", "",
               R"("type": "string", "examples": ["./liveproxy.schema.json"])", "", reload_effect::apply_live, nullptr,
               [](const setting&, config&, json_reader& r, const json::member& m) {
                 r.string_of(m.value, m.key, "a string (the schema's location, for editors)");
               },
               [](const config&, const config&) { return false; }});
  t.push_back({"command", "", "",
               "The app to run, as after `liveproxy --`.",
               "The app to run, as after `liveproxy --`. An array is the program and its arguments, run as they are "
               "(no shell). A string is one line run by /bin/sh -c (quotes, $VARS, &&), like a Dockerfile's shell "
               "form; a JavaScript app is recognised (its scripts restart it) only in the array form. {port} in any "
               "argument is the app's port (also $PORT in its environment), {fd} the handed-over socket with \"fd\". "
               "Excludes \"upstream\" and \"serve\".",
               R"("oneOf": [{"type": "array", "items": {"type": "string"}, "minItems": 1}, {"type": "string", "minLength": 1}], "examples": [["python3", "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"], "npm run dev -- --port {port}"])",
               "", reload_effect::restart_app, nullptr,
               [](const setting&, config& c, json_reader& r, const json::member& m) {
                 c.app_command = r.command(m.value);
                 c.js_runs_on_server = runs_server_javascript(c.app_command);
                 r.mode(m);
               },
               differ<&config::app_command>});
  t.push_back({"upstream", "--upstream", "URL",
               "proxy an app you start yourself (http:// or https://), instead of a COMMAND;\n"
               "after a code change liveproxy waits for the app's own reloader",
               "Proxy an app you start yourself, at this http:// or https:// origin (scheme, host and port only; no "
               "path), instead of running a \"command\" (--upstream). Excludes \"command\" and \"serve\".",
               R"("type": "string", "pattern": "^https?://", "examples": ["http://127.0.0.1:8000"])", "",
               reload_effect::relaunch,
               [](const setting&, config& c, std::string_view v) {
                 try {
                   c.upstream = parse_upstream_url(v);
                 } catch (const std::invalid_argument& e) {
                   throw config_error("--upstream " + std::string(v) + ": " + e.what());
                 }
               },
               [](const setting&, config& c, json_reader& r, const json::member& m) {
                 const auto& text = r.nonempty_string_of(m.value, m.key, "a URL such as \"http://127.0.0.1:8000\"");
                 try {
                   c.upstream = parse_upstream_url(text);
                 } catch (const std::invalid_argument& e) {
                   r.fail(m.value.offset, "\"upstream\": \"" + text + "\": " + e.what());
                 }
                 r.mode(m);
               },
               [](const config& a, const config& b) {
                 return (a.upstream ? a.upstream->text() : "") != (b.upstream ? b.upstream->text() : "");
               }});
  t.push_back({"serve", "--serve", "DIR",
               "serve the static site in DIR, instead of a COMMAND (index.html, listings,\n"
               "ETag/304, ranges); pages get the reload script",
               "Serve the static site in this directory (relative to this file), with live reload and no app "
               "(--serve). Excludes \"command\" and \"upstream\".",
               R"("type": "string", "minLength": 1, "examples": ["."])", "", reload_effect::relaunch,
               [](const setting&, config& c, std::string_view v) { c.serve_dir = std::filesystem::path(v); },
               [](const setting&, config& c, json_reader& r, const json::member& m) {
                 c.serve_dir = r.directory(m.value, m.key);
                 r.mode(m);
               },
               differ<&config::serve_dir>});
  t.push_back({"apps", "", "",
               "Several apps behind one front.",
               "Several apps behind one front: an object of named apps, each with a \"command\" (run and supervised, "
               "with its own {port}) or an \"upstream\" URL, and \"routes\": the path prefixes it answers (the "
               "longest matching prefix wins; the app routed at \"/\" answers the rest). \"cwd\" (relative to this "
               "file) is where it runs, \"env\" its environment, \"watch\" globs (relative to its cwd) whose changes "
               "restart it (default: code changes under its cwd), \"hmr\": true marks a front-end dev server that "
               "updates its own pages (Vite, webpack-dev-server, esbuild, Next and Nuxt are recognised by command); "
               "\"preload\", \"fd\" and \"restart_on_crash\" are --preload, --fd and --restart-on-crash for it. "
               "An app without routes is a side process (a CSS watcher, a worker): run, restarted after a crash, "
               "stopped with liveproxy.",
               R"("type": "object", "additionalProperties": {"type": "object", "properties": {"command": {"oneOf": [{"type": "array", "items": {"type": "string"}, "minItems": 1}, {"type": "string", "minLength": 1}]}, "upstream": {"type": "string", "pattern": "^https?://"}, "cwd": {"type": "string"}, "env": {"type": "object", "additionalProperties": {"type": "string"}}, "routes": {"type": "array", "items": {"type": "string", "pattern": "^/"}}, "watch": {"type": "array", "items": {"type": "string"}}, "hmr": {"type": "boolean"}, "preload": {"type": "boolean"}, "fd": {"type": "boolean"}, "restart_on_crash": {"type": "boolean"}}, "additionalProperties": false}, "examples": [{"api": {"command": ["python3", "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"], "routes": ["/api/", "/admin/"]}, "web": {"command": ["npx", "vite", "--port", "{port}", "--strictPort"], "routes": ["/"]}}])",
               "", reload_effect::relaunch, nullptr,
               [](const setting&, config& c, json_reader& r, const json::member& m) { c.apps = read_apps(r, m.value); },
               [](const config& a, const config& b) { return describe_apps(a.apps) != describe_apps(b.apps); }});
  t.push_back({"", "--route", "PREFIX=URL",
               "send requests under PREFIX to the app at URL (/api/=http://127.0.0.1:8000),\n"
               "repeatable; the longest matching prefix wins",
               "", "", "", reload_effect::relaunch,
               [](const setting&, config& c, std::string_view v) { c.apps.push_back(parse_route_option(v)); }});
  t.push_back({"port", "--port", "N", "front port the browser opens (default 3000; 0 = any free port)",
               "Front port the browser opens (--port). 0 picks any free port. Given here or on the command line, a "
               "port in use is an error; by default liveproxy moves on to the next free one.",
               R"("type": "integer", "minimum": 0, "maximum": 65535, "default": 3000, "examples": [8080])", "",
               reload_effect::relaunch,
               [](const setting& s, config& c, std::string_view v) {
                 c.port = option_number<std::uint16_t>(s.option, v, 0, 65535);
                 c.port_given = true;
               },
               [](const setting&, config& c, json_reader& r, const json::member& m) {
                 c.port = static_cast<std::uint16_t>(r.whole_number(m.value, m.key, "", 0, 65535));
                 c.port_given = true;
               },
               differ<&config::port>});
  t.push_back({"host", "--host", "ADDR", "front address (default 127.0.0.1)",
               "Front address (--host): an IP address or a host name, resolved once; localhost is 127.0.0.1.",
               R"("type": "string", "minLength": 1, "default": "127.0.0.1", "examples": ["0.0.0.0"])", "",
               reload_effect::relaunch, [](const setting&, config& c, std::string_view v) { c.host = option_host(v); },
               [](const setting&, config& c, json_reader& r, const json::member& m) {
                 const auto& host = r.nonempty_string_of(m.value, m.key, "an address or a host name (a string)");
                 const auto address = resolve_host_address(host);
                 if (address.empty())
                   r.fail(m.value.offset, "\"host\": \"" + host + "\" is not an address, and the name does not resolve");
                 c.host = address;
               },
               differ<&config::host>});
  t.push_back({"https", "--https", "",
               "answer TLS too, on the same port, with a certificate from liveproxy's\nown local CA (`liveproxy "
               "trust` trusts it here; phones get it from the\nstatus page)",
               "Answer TLS on the front port too (--https): https:// and http:// on one port, with a short-lived "
               "certificate for localhost, the loopback addresses, the allowed Hosts and (with --host 0.0.0.0) the "
               "machine's addresses, issued by liveproxy's own local certificate authority (created once under "
               "$XDG_DATA_HOME/liveproxy/). `liveproxy trust` adds it to this machine's stores; the status page "
               "serves it to phones.",
               R"("type": "boolean", "default": false, "examples": [true])", "", reload_effect::relaunch,
               set_flag<&config::https>, json_flag<&config::https>, differ<&config::https>});
  t.push_back({"app_port", "--app-port", "N", "the app's port (default: a free port chosen at start)",
               "The app's port (--app-port). By default a free port chosen at start.",
               R"("type": "integer", "minimum": 1, "maximum": 65535, "examples": [8000])", "",
               reload_effect::restart_app,
               [](const setting& s, config& c, std::string_view v) {
                 c.app_port = option_number<std::uint16_t>(s.option, v, 1, 65535);
                 c.app_port_given = true;
               },
               [](const setting&, config& c, json_reader& r, const json::member& m) {
                 c.app_port = static_cast<std::uint16_t>(r.whole_number(m.value, m.key, "", 1, 65535));
                 c.app_port_given = true;
               },
               differ<&config::app_port>});
  t.push_back({"watch", "--watch", "DIR", "directory to watch, repeatable (default: the current directory)",
               "Directories to watch, relative to this file (--watch). Default: the current directory.",
               R"("type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "examples": [["."]])",
               "", reload_effect::rebuild_watcher,
               [](const setting&, config& c, std::string_view v) { c.watch_dirs.emplace_back(v); },
               [](const setting&, config& c, json_reader& r, const json::member& m) {
                 c.watch_dirs = r.directories(m.value, m.key);
               },
               differ<&config::watch_dirs>});
  t.push_back({"ignore", "--ignore", "GLOB", "extra ignore pattern (gitignore syntax), repeatable",
               "Extra ignore patterns, gitignore syntax (--ignore), besides .gitignore and the built-in ones (.git/, "
               "node_modules/, __pycache__/, editor temp files...).",
               R"("type": "array", "items": {"type": "string", "minLength": 1}, "examples": [["*.log", "tmp/"]])", "",
               reload_effect::rebuild_watcher,
               [](const setting&, config& c, std::string_view v) { c.ignores.emplace_back(v); },
               [](const setting&, config& c, json_reader& r, const json::member& m) {
                 c.ignores = r.strings_of(m.value, m.key, "an array of gitignore-style globs, such as [\"*.log\", \"tmp/\"]",
                                          "a glob (a string)");
               },
               differ<&config::ignores>});
  t.push_back({"", "--restart", "GLOB", "a change to matching files restarts the app   } repeatable, in order,",
               "A change to matching files restarts the app (repeatable; with --reload, --css and --no-restart, in "
               "order, ahead of the built-in rules; gitignore-style globs; the first match wins).",
               "", "", reload_effect::rebuild_watcher, rule_option});
  t.push_back({"", "--reload", "GLOB", "... reloads the page                          } ahead of the built-in",
               "A change to matching files reloads the page.", "", "", reload_effect::rebuild_watcher, rule_option});
  t.push_back({"", "--css", "GLOB", "... swaps the stylesheet or image in place    } rules (gitignore-style",
               "A change to matching files swaps the stylesheet or image in place.", "", "",
               reload_effect::rebuild_watcher, rule_option});
  t.push_back({"", "--no-restart", "GLOB", "... does nothing (ignored)                    } globs; first match wins)",
               "A change to matching files does nothing (ignored).", "", "", reload_effect::rebuild_watcher,
               rule_option});
  t.push_back({"rules", "", "", "",
               "What a change to matching files does, ahead of the built-in rules; the first matching rule wins "
               "(--restart, --reload, --css, --no-restart).",
               R"("type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["glob", "action"], "properties": {"glob": {"description": "A gitignore-style glob, relative to the watched directory: \"*.py\" matches at any depth, \"static/\" everything under such a directory, \"/conf/*.toml\" is anchored.", "type": "string", "minLength": 1}, "action": {"description": "restart: restart the app, then reload the tabs. reload: reload the tabs. css: swap the stylesheet or image in place. ignore: nothing.", "type": "string", "enum": ["restart", "reload", "css", "ignore"]}}}, "examples": [[{"glob": "*.toml", "action": "restart"}, {"glob": "templates/", "action": "reload"}]])",
               "", reload_effect::rebuild_watcher, nullptr,
               [](const setting&, config& c, json_reader& r, const json::member& m) { c.rules = r.rules(m.value); },
               [](const config& a, const config& b) {
                 return !std::equal(a.rules.begin(), a.rules.end(), b.rules.begin(), b.rules.end(),
                                    [](const auto& x, const auto& y) { return x.glob == y.glob && x.act == y.act; });
               }});
  t.push_back({"backend", "", "", "",
               "How files are watched: inotify, poll (the file system is scanned every \"poll_ms\"; for network and "
               "container file systems), or watchman (the watchman service; liveproxy falls back to inotify, saying "
               "why, when it cannot be used).",
               R"("type": "string", "enum": ["inotify", "poll", "watchman"], "default": "inotify", "examples": ["poll"])",
               "", reload_effect::rebuild_watcher, nullptr,
               [](const setting&, config&, json_reader& r, const json::member& m) {
                 r.backend(r.choice(m.value, m.key, backends), m.value.offset);
               },
               [](const config& a, const config& b) { return backend_of(a) != backend_of(b); }});
  t.push_back({"", "--poll", "[MS]",
               "poll the file system instead of inotify (default " + n(watcher::default_poll_interval.count()) +
                   " ms)",
               "", "", "", reload_effect::rebuild_watcher, [](const setting& s, config& c, std::string_view v) {
                 c.poll_interval = v.empty() ? watcher::default_poll_interval
                                             : ms(option_number<int>(s.option, v, 10, 60'000));
               }});
  t.push_back({"", "--watchman", "",
               "watch through the watchman service (Debian package watchman);\n"
               "falls back to inotify, saying why, when it cannot be used",
               "", "", "", reload_effect::rebuild_watcher, set_flag<&config::use_watchman>});
  t.push_back({"poll_ms", "", "", "",
               "With \"backend\": \"poll\" (which it implies when alone): milliseconds between scans (--poll MS).",
               R"("type": "integer", "minimum": 10, "maximum": 60000, "default": )" +
                   n(watcher::default_poll_interval.count()) + R"(, "examples": [250])",
               "",
               reload_effect::rebuild_watcher, nullptr,
               [](const setting&, config&, json_reader& r, const json::member& m) {
                 r.poll_ms(ms(r.whole_number(m.value, m.key, " of milliseconds", 10, 60'000)), m.key_offset);
               },
               [](const config& a, const config& b) {
                 return backend_of(a) == 1 && backend_of(b) == 1 && a.poll_interval != b.poll_interval;
               }});
  t.push_back({"settle_ms", "--settle", "MS",
               "quiet time after a code change before the app restarts (default " +
                   n(watcher::debouncer::default_restart_settle.count()) + ";\none file saved whole: " +
                   n(watcher::debouncer::default_quick_settle.count()) + ", unless MS is given)",
               "Milliseconds of quiet after a code change before the app restarts (--settle). By default a batch "
               "of one file saved whole (an editor's save) settles after " +
                   n(watcher::debouncer::default_quick_settle.count()) + " ms; a value given here applies to every batch.",
               R"("type": "integer", "minimum": 0, "maximum": 10000, "default": )" +
                   n(watcher::debouncer::default_restart_settle.count()) + R"(, "examples": [200])",
               "", reload_effect::rebuild_watcher, option_ms<&config::restart_settle, 0, max_wait_ms>,
               json_ms<&config::restart_settle, max_wait_ms>, differ<&config::restart_settle>});
  t.push_back({"coalesce_ms", "--coalesce", "MS",
               "stylesheet and page changes go to the browser at once; those right after\n"
               "are collected for MS and sent together (default " +
                   n(watcher::debouncer::default_browser_coalesce.count()) + ")",
               "Stylesheet and page changes go to the browser at once; those right after are collected for this "
               "many milliseconds and sent together (--coalesce).",
               R"("type": "integer", "minimum": 0, "maximum": 10000, "default": )" +
                   n(watcher::debouncer::default_browser_coalesce.count()) + R"(, "examples": [50])",
               "", reload_effect::rebuild_watcher, option_ms<&config::browser_coalesce, 0, max_wait_ms>,
               json_ms<&config::browser_coalesce, max_wait_ms>, differ<&config::browser_coalesce>});
}

}  // namespace liveproxy::rows
