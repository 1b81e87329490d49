// Detection reads a few well-known files; only the interpreter choice runs anything.
#include "proxy/app/project_presets.hpp"

#include "proxy/base/edit_distance.hpp"

#include <simdjson.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

extern char** environ;

namespace liveproxy {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& p, std::size_t limit = 256 * 1024) {
  std::ifstream in(p, std::ios::binary);
  std::string s(limit, '\0');
  in.read(s.data(), static_cast<std::streamsize>(limit));
  s.resize(static_cast<std::size_t>(in.gcount()));
  return s;
}

bool executable(const fs::path& p) { return ::access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p); }

struct chosen_python {
  std::string path;
  std::string why;
};

/// The interpreter for a Python framework: a virtual environment if there is one, else the first python3
/// that can import `module`; if none can, the first one, saying so.
chosen_python choose_python(const fs::path& dir, const std::string& module) {
  const auto candidates = python_candidates(dir);
  const char* venv = std::getenv("VIRTUAL_ENV");
  for (const auto& c : candidates) {
    const bool is_venv = (venv && c.starts_with(std::string(venv) + "/")) || c.starts_with((dir / ".venv").string()) ||
                         c.starts_with((dir / "venv").string());
    if (is_venv) return {c, "the project's virtual environment"};
  }
  std::vector<std::string> without;
  for (const auto& c : candidates) {
    if (python_can_import(c, module)) {
      std::string why = "the first python3 that can import " + module;
      if (!without.empty()) {
        why += "; ";
        for (std::size_t i = 0; i < without.size(); ++i) why += (i ? ", " : "") + without[i];
        why += " cannot";
      }
      return {c, why};
    }
    without.push_back(c);
  }
  const std::string first = candidates.empty() ? "python3" : candidates.front();
  return {first, "no python3 found can import " + module + ": install it (Debian: apt-get install python3-" + module +
                     "; or pip install " + module + " in a virtual environment)"};
}

/// `NAME = Flask(` / `NAME = FastAPI(`: the variable an app module creates, or "".
std::string app_variable(const std::string& source, const std::string& constructor) {
  const std::regex pattern("(^|\\n)\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*(:\\s*[A-Za-z_.]+\\s*)?=\\s*(" + constructor + ")\\(");
  std::smatch m;
  return std::regex_search(source, m, pattern) ? m[2].str() : "";
}

std::optional<project_preset> detect_node(const fs::path& dir) {
  const auto direct = [&](project_preset& p, std::string_view name, std::string_view script) {
    auto command = direct_script_command(script);
    if (!command) return;
    // The tool as npm finds it (the package's own first); the app's PATH does not decide what is executed.
    if (const auto local = fs::path("node_modules/.bin") / command->front(); fs::exists(dir / local)) {
      command->front() = local.string();  // the app runs in dir
    } else if (find_program(command->front()).empty()) {
      return;  // npm says what is missing
    }
    p.command = *command;
    // As npm would run it: the package's own tools first on PATH.
    const char* path = std::getenv("PATH");
    p.env.push_back("PATH=" + (dir / "node_modules/.bin").string() + (path && *path ? ":" + std::string(path) : ""));
    p.env_typed.resize(p.env.size());
    p.env_typed.back() = "\"PATH=$PWD/node_modules/.bin:$PATH\"";
    p.notes.push_back("the \"" + std::string(name) + "\" script is run directly, as npm would but without its start-up at "
                      "every restart");
  };
  const auto file = dir / "package.json";
  if (!fs::is_regular_file(file)) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.load(file.string()).get(doc)) return std::nullopt;
  project_preset p;
  p.name = "Node";
  std::string_view script_value;
  if (!doc["scripts"]["dev"].get(script_value)) {
    p.command = {"npm", "run", "dev"};
    p.evidence = "package.json with a \"dev\" script";
    direct(p, "dev", script_value);
  } else if (!doc["scripts"]["start"].get(script_value)) {
    p.command = {"npm", "start"};
    p.evidence = "package.json with a \"start\" script";
    direct(p, "start", script_value);
  } else if (std::string_view main_file; !doc["main"].get(main_file) && fs::is_regular_file(dir / main_file)) {
    p.command = {"node", std::string(main_file)};
    p.evidence = "package.json naming main " + std::string(main_file);
  } else {
    return std::nullopt;
  }
  p.notes.push_back("the app gets its port as $PORT (read process.env.PORT)");
  return p;
}

}  // namespace

std::optional<std::vector<std::string>> direct_script_command(std::string_view script) {
  // Words split on blanks; anything a shell would read differently is left to npm.
  if (script.find_first_of("&|;<>$`'\"\\*?(){}[]~#=\n") != std::string_view::npos) return std::nullopt;
  std::vector<std::string> words;
  for (std::size_t pos = 0; pos < script.size();) {
    const auto start = script.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    const auto end = std::min(script.find_first_of(" \t", start), script.size());
    words.emplace_back(script.substr(start, end - start));
    pos = end;
  }
  if (words.empty()) return std::nullopt;
  // The entry file and its arguments: after the tool's name (and `watch`), and no option of the tool's own
  // before it (node's own options other than --watch are kept: they change how the app runs).
  const std::string tool = words.front();
  std::vector<std::string> rest(words.begin() + 1, words.end());
  if (tool == "node") {
    std::erase(rest, std::string("--watch"));
    if (rest.empty() || rest.front().starts_with("--watch")) return std::nullopt;  // --watch-path=...: its own rules
    rest.insert(rest.begin(), "node");
    return rest;
  }
  if (tool == "nodemon") {
    if (rest.empty() || rest.front().starts_with("-")) return std::nullopt;  // nodemon's own options: npm runs it
    rest.insert(rest.begin(), "node");
    return rest;
  }
  if (tool == "tsx") {
    if (!rest.empty() && rest.front() == "watch") rest.erase(rest.begin());
    if (rest.empty() || rest.front().starts_with("-")) return std::nullopt;
    rest.insert(rest.begin(), "tsx");
    return rest;
  }
  return std::nullopt;
}

std::string find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return executable(program) ? program : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string d; std::getline(dirs, d, ':');) {
    const fs::path p = fs::path(d.empty() ? "." : d) / program;
    if (executable(p)) return p.string();
  }
  return "";
}

std::string closest_program(const std::string& name) {
  std::string best;
  std::size_t best_distance = name.size() < 5 ? 2 : 3;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string d; std::getline(dirs, d, ':');) {
    std::error_code ec;
    for (fs::directory_iterator it(d.empty() ? "." : d, ec), end; !ec && it != end; it.increment(ec)) {
      const auto candidate = it->path().filename().string();
      if (candidate.size() + 3 < name.size() || candidate.size() > name.size() + 3) continue;
      const auto dist = edit_distance(name, candidate);
      if (dist < best_distance && executable(it->path())) {
        best = candidate;
        best_distance = dist;
      }
    }
  }
  return best;
}

std::vector<std::string> python_candidates(const fs::path& dir) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const fs::path& p) {
    if (!executable(p)) return;
    std::error_code ec;
    const auto real = fs::canonical(p, ec);
    if (!seen.insert(ec ? p.string() : real.string()).second) return;
    out.push_back(p.string());
  };
  if (const char* venv = std::getenv("VIRTUAL_ENV"); venv && *venv) add(fs::path(venv) / "bin/python");
  add(dir / ".venv/bin/python");
  add(dir / "venv/bin/python");
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string d; std::getline(dirs, d, ':');)
    if (!d.empty()) add(fs::path(d) / "python3");
  add("/usr/bin/python3");
  return out;
}

namespace {

/// Runs `python -c code`; returns whether it exited 0, and its first line of output in `out`.
bool run_python(const std::string& python, const std::string& code, std::string* out) {
  int pipe_fds[2] = {-1, -1};
  if (out && ::pipe2(pipe_fds, O_CLOEXEC) != 0) return false;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (out) posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  else posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv = {const_cast<char*>(python.c_str()), const_cast<char*>("-c"), const_cast<char*>(code.c_str()),
                             nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, python.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (out) {
    ::close(pipe_fds[1]);
    char buf[256];
    for (ssize_t n; rc == 0 && (n = ::read(pipe_fds[0], buf, sizeof buf)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      out->append(buf, static_cast<std::size_t>(n));
    }
    ::close(pipe_fds[0]);
    if (const auto nl = out->find('\n'); nl != std::string::npos) out->resize(nl);
  }
  if (rc != 0) return false;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

std::string python_version(const std::string& python) {
  const std::string path = python.find('/') == std::string::npos ? find_program(python) : python;
  std::string out;
  if (path.empty() || !run_python(path, "import sys; print('%d.%d' % sys.version_info[:2])", &out)) return "";
  return out;
}

bool python_can_import(const std::string& python, const std::string& module) {
  return run_python(python, "import " + module, nullptr);
}

std::string python_module_version(const std::string& python, const std::string& module) {
  std::string out;
  if (!run_python(python, "import " + module + "; print(getattr(" + module + ", '__version__', ''))", &out)) return "";
  return out;
}

std::optional<project_preset> detect_project(const fs::path& dir) {
  if (fs::is_regular_file(dir / "manage.py")) {
    const auto py = choose_python(dir, "django");
    project_preset p;
    p.name = "Django";
    p.evidence = "manage.py";
    p.command = {py.path, "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"};
    // Compiled translations change what the app says: a restart (as for *.py, which the built-in rules restart).
    p.rules = {{"locale/**/*.mo", watcher::action::restart}};
    // Django 5.2 warns on every start that runserver is not for production: liveproxy starts it at every edit.
    p.env = {"DJANGO_RUNSERVER_HIDE_WARNING=true"};
    p.preload = true;
    p.notes.push_back("Python: " + py.path + " (" + py.why + ")");
    return p;
  }
  for (const char* file : {"app.py", "wsgi.py"}) {
    const auto source = read_text(dir / file);
    if (source.empty() || app_variable(source, "Flask").empty()) continue;
    const auto py = choose_python(dir, "flask");
    const std::string module = fs::path(file).stem().string() + ":" + app_variable(source, "Flask");
    project_preset p;
    p.name = "Flask";
    p.evidence = std::string(file) + " creates a Flask app";
    // Debug mode, so that template edits show (Flask caches templates otherwise). Flask 2.2 (Debian 12) takes
    // --debug before `run` only; later ones take it after `run` too, and with some Click versions honour it only
    // there (FLASK_DEBUG in the environment is then overwritten by run's own default). Its own reloader off:
    // liveproxy restarts the app and holds requests meanwhile.
    const auto version = python_module_version(py.path, "flask");
    const bool old_flask = version.starts_with("0.") || version.starts_with("1.") || version.starts_with("2.0") ||
                           version.starts_with("2.1") || version.starts_with("2.2");
    if (old_flask)
      p.command = {py.path, "-m", "flask", "--app", module, "--debug", "run", "--no-reload", "--host", "127.0.0.1",
                   "--port", "{port}"};
    else
      p.command = {py.path, "-m", "flask", "--app", module, "run", "--debug", "--no-reload", "--host", "127.0.0.1",
                   "--port", "{port}"};
    p.preload = true;
    p.notes.push_back("Python: " + py.path + " (" + py.why + ")");
    return p;
  }
  for (const char* file : {"main.py", "app.py", "asgi.py"}) {
    const auto source = read_text(dir / file);
    if (source.empty()) continue;
    std::string variable = app_variable(source, "FastAPI|Starlette");
    if (variable.empty()) continue;
    const auto py = choose_python(dir, "uvicorn");
    project_preset p;
    p.name = source.find("FastAPI(") != std::string::npos ? "FastAPI" : "Starlette";
    p.evidence = std::string(file) + " creates a " + p.name + " app";
    p.command = {py.path, "-m", "uvicorn", fs::path(file).stem().string() + ":" + variable, "--host", "127.0.0.1",
                 "--port", "{port}"};
    p.notes.push_back("Python: " + py.path + " (" + py.why + ")");
    return p;
  }
  if (auto node = detect_node(dir)) return node;
  if (fs::is_regular_file(dir / "index.html")) {
    project_preset p;
    p.name = "static site";
    p.evidence = "index.html and no server";
    p.serve = dir;
    return p;
  }
  return std::nullopt;
}

std::string unrecognised_project_message(const fs::path& dir) {
  return "no app command, and nothing in " + dir.string() +
         " says what to run: liveproxy looked for manage.py (Django), app.py or wsgi.py creating a Flask app, "
         "main.py or app.py creating a FastAPI/Starlette app, package.json with a dev or start script (Node) and "
         "index.html (a static site). Give the command instead:\n"
         "  liveproxy -- python3 app.py              (the app reads $PORT)\n"
         "  liveproxy -- ./server --port {port}      ({port} is replaced by the app's port)\n"
         "  liveproxy --upstream http://127.0.0.1:8000   (an app you start yourself)\n"
         "  liveproxy --serve DIR                    (a folder of HTML and CSS)";
}

void apply_preset(config& cfg, const project_preset& p) {
  cfg.detect_project = false;
  if (p.serve) {
    std::error_code ec;
    const auto canon = std::filesystem::canonical(*p.serve, ec);
    cfg.serve_dir = ec ? *p.serve : canon;
  } else {
    cfg.app_command = p.command;
    cfg.js_runs_on_server = runs_server_javascript(cfg.app_command);
  }
  // The user's own rules and environment (command line, file) stay first and win.
  cfg.rules.insert(cfg.rules.end(), p.rules.begin(), p.rules.end());
  cfg.env.insert(cfg.env.begin(), p.env.begin(), p.env.end());
  if (!cfg.preload) cfg.preload = p.preload;
}

}  // namespace liveproxy
