// liveproxy.json: reading the configuration file onto a config, and what a changed file means while running.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/settings/config.hpp"

namespace liveproxy {

/// The name liveproxy looks for in the current directory.
inline constexpr std::string_view config_file_name = "liveproxy.json";

/// dir/liveproxy.json if something by that name exists there (even a file that cannot be read, so that
/// reading it reports why rather than liveproxy silently running without it). find_config_file("") gives
/// the relative path "liveproxy.json", so messages name it as the user sees it.
std::optional<std::filesystem::path> find_config_file(const std::filesystem::path& dir);

/// Reads a liveproxy.json and sets on cfg the settings it names; the others stay as they are. Relative
/// paths ("watch", "serve") are resolved against the file's directory and made canonical.
///
/// Throws config_error "<file>:<line>:<col>: <what>" (the file as given; the line and column, from 1, of
/// the offending key or value, columns counted in characters) for invalid JSON, a key of the wrong type or
/// out of range, an unknown key (with "did you mean" when one is close), a key given twice, and settings the
/// file itself makes contradictory (two of "command", "upstream", "serve"; a key of one of those modes with
/// another). A file that cannot be read is "<file>: cannot read: <reason>". On any error cfg is unchanged.
///
/// Combinations with the command line (e.g. "spa" here and --serve there) are not judged here: the merged
/// config goes through the same checks as a command line.
void apply_config_file(config& cfg, const std::filesystem::path& file);

/// Every key a liveproxy.json may hold, in the order of the JSON Schema ("$schema" included; it is ignored).
std::span<const std::string_view> config_file_keys();

/// What applying a changed setting takes while liveproxy runs.
enum class reload_effect {
  apply_live,       ///< read again where it is used: timeouts, limits, grace, crash policy, serve options
  rebuild_watcher,  ///< watch, ignore, rules, backend, poll_ms, settle_ms, coalesce_ms
  restart_app,      ///< command, env, app_port, fd: the app runs again with them
  relaunch,         ///< port, host, the mode (command / upstream / serve) and its target: restart liveproxy
};

/// The effect of changing one key of config_file_keys() ("$schema" and unknown keys: apply_live).
reload_effect effect_of(std::string_view key);

/// The keys (config_file_keys() names, in that order) whose values differ between before and after.
std::vector<std::string> changed_settings(const config& before, const config& after);

/// What a new configuration takes to be applied, from changed_settings().
struct reload_plan {
  std::vector<std::string> changed;  ///< every changed key, in config_file_keys() order
  bool restart_app = false;          ///< some change needs the app restarted
  bool rebuild_watcher = false;  ///< some change needs a new watcher (also: the app became or stopped being JavaScript)
  bool apply_live = false;       ///< some change is to be passed to the running parts
  /// Changed keys that cannot change while liveproxy runs ("command" too when the mode changes with it).
  std::vector<std::string> relaunch;
};

/// Sorts the changes between two configurations by what applying them takes.
reload_plan plan_reload(const config& before, const config& after);

/// One line for the log: "applied settle_ms, rules (watcher rebuilt); port cannot change while liveproxy
/// runs: restart liveproxy to use it". Empty when nothing changed.
std::string describe(const reload_plan& plan);

}  // namespace liveproxy
