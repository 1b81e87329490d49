// What a changed liveproxy.json means while liveproxy runs: which settings changed, and what applying them takes.
#pragma once

#include "proxy/settings/config.hpp"
#include "proxy/settings/settings_table.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

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
