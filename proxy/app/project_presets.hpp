// Zero-config start: what to run for the project in a directory (Django, Flask, FastAPI/Starlette, Node, a
// static folder), with the interpreter a developer would expect.
#pragma once

#include "proxy/settings/config.hpp"
#include "watcher/classifier.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// What was found and how to run it.
struct project_preset {
  std::string name;                    ///< "Django", "Flask", "FastAPI", "Node", "static site"
  std::string evidence;                ///< what gave it away: "manage.py", "app.py creates a Flask app"
  std::vector<std::string> command;    ///< with {port}; empty for a static site
  std::optional<std::filesystem::path> serve;  ///< a static site: the folder
  std::vector<watcher::classifier::rule> rules;  ///< ahead of the built-in rules
  std::vector<std::string> env;        ///< the app's extra environment ("NAME=value")
  /// env[i] as a user would type it after --env when that differs (a variable kept as a variable: "$PATH"), else
  /// empty (quoted as it is); as long as env or shorter.
  std::vector<std::string> env_typed;
  std::vector<std::string> notes;      ///< said at start: which interpreter, and why
  bool preload = false;                ///< runs start from a warm interpreter (--preload)
};

/// Looks at `dir` (no recursion) and returns the preset for it, or nullopt. May run the candidate Python
/// interpreters once each (`python3 -c "import django"`) to find one that has the framework.
std::optional<project_preset> detect_project(const std::filesystem::path& dir);

/// For a directory nothing was found in: what was looked for, and the command lines to use instead.
std::string unrecognised_project_message(const std::filesystem::path& dir);

/// Python interpreters a developer would expect, in order: $VIRTUAL_ENV, .venv/ and venv/ under `dir`, then
/// every python3 on PATH, then /usr/bin/python3 (Debian's, with Debian's packages) if not on PATH.
std::vector<std::string> python_candidates(const std::filesystem::path& dir);

/// True if `python` can import `module` (runs it; about 50-150 ms).
bool python_can_import(const std::string& python, const std::string& module);

/// "3.11" for the interpreter (a path, or a name looked up on PATH), or "" if it cannot be run.
std::string python_version(const std::string& python);

/// The module's __version__ as `python` sees it ("2.2.2"), or "" (not importable, or no version).
std::string python_module_version(const std::string& python, const std::string& module);

/// The executable on PATH whose name is closest to `name` (a typo: pyhton3 -> python3), or "".
std::string closest_program(const std::string& name);

/// The full path of `program` as PATH finds it (or itself if it has a '/' and is executable); empty if not found.
std::string find_program(const std::string& program);

/// A package.json script that is one plain command liveproxy can run itself, without npm's own start-up (about half
/// a second at every restart): `node server.js`, and `nodemon server.js`, `node --watch server.js`, `tsx watch
/// server.ts` without their own watchers (liveproxy restarts the app). Nothing for anything else: shell syntax
/// (`&&`, quotes, `$VAR`, a variable assignment), a watcher's own options, a tool that is a dev server itself
/// (vite, next): npm runs those.
std::optional<std::vector<std::string>> direct_script_command(std::string_view script);

/// Takes what a detected project says to run (the user's own rules stay ahead of the preset's).
void apply_preset(config& cfg, const project_preset& p);

}  // namespace liveproxy
