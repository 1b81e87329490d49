// Several apps behind one front: "apps" in liveproxy.json, --route PREFIX=URL, and making them whole (which app
// is the main one, what each answers, what is watched for them).
#include "proxy/settings/apps.hpp"

#include "proxy/settings/json_reader.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <map>
#include <utility>

namespace liveproxy {
namespace {

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string basename_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

/// Why a route prefix is not one, or "".
std::string route_problem(std::string_view prefix) {
  if (!prefix.starts_with('/')) return "a route is a path prefix starting with /, such as \"/api/\"";
  if (prefix.find_first_of("?#* \t") != std::string_view::npos)
    return "a route is a plain path prefix (no query, fragment, space or wildcard), such as \"/api/\"";
  return {};
}

/// `npm run dev`, `yarn dev`, `pnpm run dev`, `npm start`: the package.json script it runs (in dir), else "".
std::string package_script(const std::vector<std::string>& argv, const std::filesystem::path& dir) {
  if (argv.size() < 2) return {};
  const auto tool = basename_of(argv[0]);
  if (tool != "npm" && tool != "yarn" && tool != "pnpm" && tool != "bun") return {};
  std::string name = argv[1];
  if ((name == "run" || name == "run-script") && argv.size() >= 3) name = argv[2];
  else if (tool == "npm" && name != "start" && name != "dev") return {};
  std::ifstream in(dir / "package.json", std::ios::binary);
  if (!in) return {};
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto doc = json::parse(text);
  if (!doc.root) return {};
  for (const auto& m : doc.root->members)
    if (m.key == "scripts" && m.value.type == json::node::kind::object)
      for (const auto& s : m.value.members)
        if (s.key == name && s.value.type == json::node::kind::string) return s.value.text;
  return {};
}

constexpr std::array<std::string_view, 10> app_keys = {"command", "upstream", "cwd",     "env", "routes",
                                                        "watch",   "hmr",      "preload", "fd",  "restart_on_crash"};

/// "/api" and "/api/" answer the same requests (route_table matches by path segment): one key for both.
std::string route_key(std::string_view prefix) {
  while (prefix.size() > 1 && prefix.ends_with('/')) prefix.remove_suffix(1);
  return std::string(prefix);
}

}  // namespace

bool runs_hmr_dev_server(const std::vector<std::string>& argv) {
  // The first word that is not a runner (npx vite, npm exec -- vite, pnpm dlx next) or its option.
  static constexpr std::array<std::string_view, 9> runners = {"npx", "npm", "pnpm", "yarn", "bunx", "bun",
                                                              "exec", "dlx", "run"};
  std::size_t i = 0;
  while (i < argv.size() && (argv[i].starts_with('-') ||
                             std::find(runners.begin(), runners.end(), basename_of(argv[i])) != runners.end()))
    ++i;
  if (i >= argv.size()) return false;
  // One line for /bin/sh -c ("npx vite --port {port}"): its words, as far as plain words go.
  if (i + 3 == argv.size() && basename_of(argv[i]) == "sh" && argv[i + 1] == "-c") {
    std::vector<std::string> words;
    std::string word;
    for (const char c : argv[i + 2] + " ") {
      if (c != ' ' && c != '\t') {
        word.push_back(c);
      } else if (!word.empty()) {
        if (word == "&&" || word == ";" || word == "|") break;
        words.push_back(std::exchange(word, {}));
      }
    }
    return !words.empty() && runs_hmr_dev_server(words);
  }
  const auto tool = basename_of(argv[i]);
  const auto next = i + 1 < argv.size() ? std::string_view(argv[i + 1]) : std::string_view();
  if (tool == "vite" || tool == "webpack-dev-server") return next != "build" && next != "preview";
  if (tool == "webpack") return next == "serve" || next == "server";
  if (tool == "next" || tool == "nuxt" || tool == "nuxi" || tool == "astro") return next == "dev";
  if (tool == "esbuild")
    return std::any_of(argv.begin() + static_cast<long>(i), argv.end(),
                       [](const std::string& a) { return a.starts_with("--serve"); });
  return false;
}

bool is_hmr_app(const std::vector<std::string>& command, const std::filesystem::path& cwd) {
  if (runs_hmr_dev_server(command)) return true;
  std::error_code ec;
  const auto script = package_script(command, cwd.empty() ? std::filesystem::current_path(ec) : cwd);
  return !script.empty() && runs_hmr_dev_server({"/bin/sh", "-c", script});
}

std::vector<app_spec> read_apps(json_reader& r, const json::node& v) {
  if (v.type != json::node::kind::object)
    r.fail(v.offset, "\"apps\" must be an object of named apps, such as {\"api\": {\"command\": [...], "
                     "\"routes\": [\"/api/\"]}}");
  std::vector<app_spec> out;
  std::map<std::string, std::size_t> seen;
  for (const auto& m : v.members) {
    if (m.key.empty() || m.key.find_first_of(" \t\n|") != std::string::npos)
      r.fail(m.key_offset, "\"apps\": " + in_quotes(m.key) + " is not a name (a word, no spaces)");
    if (const auto [it, fresh] = seen.emplace(m.key, m.key_offset); !fresh)
      r.fail(m.key_offset, in_quotes("apps." + m.key) + " is given twice (first at " + r.place(it->second) + ")");
    const std::string where = "apps." + m.key;
    if (m.value.type != json::node::kind::object)
      r.fail(m.value.offset, in_quotes(where) + " must be an object with a \"command\" or an \"upstream\"");
    app_spec a;
    a.name = m.key;
    std::size_t mode_at = 0;
    std::size_t run_only_at = 0;  // preload, fd or restart_on_crash: only for an app liveproxy runs
    std::string run_only_key;
    for (const auto& f : m.value.members) {
      const std::string key = where + "." + f.key;
      if (f.key == "command" || f.key == "upstream") {
        if (mode_at)
          r.fail(f.key_offset, in_quotes(key) + ": an app has a \"command\" or an \"upstream\", not both (the other "
                                                "at " + r.place(mode_at) + ")");
        mode_at = f.key_offset;
      }
      if (f.key == "command") {
        a.command = r.command(f.value);
      } else if (f.key == "upstream") {
        const auto& text = r.nonempty_string_of(f.value, key, "a URL such as \"http://127.0.0.1:5173\"");
        try {
          a.upstream = parse_upstream_url(text);
        } catch (const std::invalid_argument& e) {
          r.fail(f.value.offset, in_quotes(key) + ": \"" + text + "\": " + e.what());
        }
      } else if (f.key == "cwd") {
        a.cwd = r.directory(f.value, key);
      } else if (f.key == "env") {
        a.env = r.environment(f.value);
      } else if (f.key == "routes") {
        a.routes = r.strings_of(f.value, key, "an array of path prefixes, such as [\"/api/\"]", "a path prefix");
        for (std::size_t i = 0; i < a.routes.size(); ++i)
          if (const auto why = route_problem(a.routes[i]); !why.empty())
            r.fail(f.value.items[i].offset, in_quotes(key) + ": " + in_quotes(a.routes[i]) + ": " + why);
      } else if (f.key == "watch") {
        a.watch = r.strings_of(f.value, key, "an array of globs, such as [\"**/*.py\"]", "a glob");
      } else if (f.key == "hmr") {
        a.hmr = r.bool_of(f.value, key);
      } else if (f.key == "preload" || f.key == "fd" || f.key == "restart_on_crash") {
        const bool on = r.bool_of(f.value, key);
        if (f.key == "preload") a.preload = on;
        else if (f.key == "fd") a.fd = on;
        else a.restart_on_crash = on;
        if (on) run_only_at = f.key_offset, run_only_key = f.key;
      } else {
        std::string what = "unknown key " + in_quotes(f.key) + " in " + in_quotes(where) + " (an app takes ";
        for (std::size_t i = 0; i < app_keys.size(); ++i) what += (i ? ", " : "") + in_quotes(app_keys[i]);
        r.fail(f.key_offset, what + ")");
      }
    }
    if (!mode_at)
      r.fail(m.key_offset, in_quotes(where) + " needs a \"command\" to run or an \"upstream\" URL to proxy");
    if (a.upstream && run_only_at)
      r.fail(run_only_at, in_quotes(where + "." + run_only_key) + " is for an app liveproxy runs (a \"command\"); " +
                              "an \"upstream\" is started by someone else");
    out.push_back(std::move(a));
  }
  return out;
}

app_spec parse_route_option(std::string_view value) {
  const auto eq = value.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw config_error("--route " + std::string(value) + ": expected PREFIX=URL, such as /api/=http://127.0.0.1:8000");
  app_spec a;
  const std::string prefix(value.substr(0, eq));
  if (const auto why = route_problem(prefix); !why.empty())
    throw config_error("--route " + std::string(value) + ": " + why);
  try {
    a.upstream = parse_upstream_url(value.substr(eq + 1));
  } catch (const std::invalid_argument& e) {
    throw config_error("--route " + std::string(value) + ": " + e.what());
  }
  a.routes.push_back(prefix);
  a.from_route = true;
  // Named by its prefix ("/api/" -> "api"), else its address.
  std::string name;
  for (const char c : prefix)
    if (c != '/') name.push_back(c);
  a.name = name.empty() ? a.upstream->authority : name;
  return a;
}

std::string describe_apps(const std::vector<app_spec>& apps) {
  std::string out;
  const auto list = [&](const std::vector<std::string>& v) {
    for (const auto& s : v) out += s + '\x1f';
    out += '\x1e';
  };
  for (const auto& a : apps) {
    out += a.name + '\x1e' + (a.upstream ? a.upstream->text() : "") + '\x1e' + a.cwd.string() + '\x1e' +
           (a.hmr ? (*a.hmr ? "1" : "0") : "-") + '\x1e';
    list(a.command);
    list(a.env);
    list(a.routes);
    list(a.watch);
    out += std::string(a.preload ? (*a.preload ? "1" : "0") : "-") + (a.fd ? "1" : "0") +
           (a.restart_on_crash ? "1" : "0") + '\x1d';
  }
  return out;
}

void resolve_apps(config& cfg) {
  if (cfg.apps.empty()) return;
  std::map<std::string, std::pair<std::string, std::string>> owner;  // route_key -> (app, route as given)
  const auto claim = [&](const std::string& route, const std::string& app) {
    if (const auto [it, fresh] = owner.emplace(route_key(route), std::pair(app, route)); !fresh) {
      const auto& [first, given] = it->second;
      const std::string same = given == route ? "" : " (" + in_quotes(given) + " and " + in_quotes(route) +
                                                         " answer the same paths)";
      throw config_error("the route " + in_quotes(route) + " is given to both " + in_quotes(first) + " and " +
                         in_quotes(app) + same + ": each prefix goes to one app");
    }
  };
  for (const auto& r : cfg.app_routes) claim(r, cfg.app_name);
  const bool has_main = !cfg.app_command.empty() || cfg.upstream || cfg.serve_dir;
  // --route alone adds to the main app, which is then the project's found here (or the command given).
  const bool file_apps = std::any_of(cfg.apps.begin(), cfg.apps.end(), [](const app_spec& a) { return !a.from_route; });
  if (!has_main && file_apps) {
    // The main app answers "/" (and whatever no other app routes); else the first app with routes does.
    auto main = std::find_if(cfg.apps.begin(), cfg.apps.end(), [](const app_spec& a) {
      return !a.from_route && std::find(a.routes.begin(), a.routes.end(), "/") != a.routes.end();
    });
    if (main == cfg.apps.end())
      main = std::find_if(cfg.apps.begin(), cfg.apps.end(),
                          [](const app_spec& a) { return !a.from_route && !a.routes.empty(); });
    if (main == cfg.apps.end())
      throw config_error("\"apps\": no app has \"routes\", so none answers the browser: give the one that serves "
                         "the pages \"routes\": [\"/\"]");
    cfg.app_name = main->name;
    cfg.app_routes = main->routes;
    cfg.app_command = main->command;
    cfg.upstream = main->upstream;
    cfg.app_cwd = main->cwd;
    cfg.app_watch = main->watch;
    cfg.app_hmr = main->hmr.value_or(is_hmr_app(main->command, main->cwd));
    cfg.env.insert(cfg.env.end(), main->env.begin(), main->env.end());
    // The command line's --preload / --no-preload, --fd and --restart-on-crash stay the main app's too.
    if (!cfg.preload) cfg.preload = main->preload;
    cfg.socket_handoff = cfg.socket_handoff || main->fd;
    cfg.restart_on_crash = cfg.restart_on_crash || main->restart_on_crash;
    cfg.apps.erase(main);
    for (const auto& r : cfg.app_routes) claim(r, cfg.app_name);
  }
  std::map<std::string, int> names{{cfg.app_name, 1}};
  for (auto& a : cfg.apps) {
    if (++names[a.name] > 1)
      throw config_error("two apps are named " + in_quotes(a.name) + ": give one of them another name");
    for (const auto& r : a.routes) claim(r, a.name);
    if (!a.hmr) a.hmr = is_hmr_app(a.command, a.cwd);
  }
  // An app's directory outside the watched ones (those given; else the current one) is watched too.
  if (cfg.watch_dirs.empty()) cfg.watch_dirs.emplace_back(".");
  std::vector<std::filesystem::path> dirs{cfg.app_cwd};
  for (const auto& a : cfg.apps) dirs.push_back(a.cwd);
  for (const auto& cwd : dirs) {
    if (cwd.empty()) continue;
    const bool inside = std::any_of(cfg.watch_dirs.begin(), cfg.watch_dirs.end(), [&](const auto& d) {
      std::error_code ec;
      const auto rel = cwd.lexically_relative(std::filesystem::weakly_canonical(std::filesystem::absolute(d), ec));
      return !rel.empty() && *rel.begin() != "..";
    });
    if (!inside) cfg.watch_dirs.push_back(cwd);
  }
}

}  // namespace liveproxy
