// The live-reload diff, from the settings table: each key's own comparison and effect.
#include "proxy/settings/reload_plan.hpp"

#include <algorithm>

namespace liveproxy {

reload_effect effect_of(std::string_view key) {
  const setting* s = setting_for_key(key);
  return s ? s->effect : reload_effect::apply_live;
}

std::vector<std::string> changed_settings(const config& a, const config& b) {
  std::vector<std::string> out;
  for (const auto& s : settings_table())
    if (!s.key.empty() && s.differs && s.differs(a, b)) out.push_back(s.key);
  return out;
}

reload_plan plan_reload(const config& before, const config& after) {
  reload_plan plan;
  plan.changed = changed_settings(before, after);
  // From running an app to proxying one or serving a folder (or back) changes what liveproxy is made of.
  const bool mode_changed = before.app_command.empty() != after.app_command.empty();
  for (const auto& key : plan.changed) {
    if (key == "command" && mode_changed) {
      plan.relaunch.push_back(key);
      continue;
    }
    switch (effect_of(key)) {
      case reload_effect::apply_live:
        plan.apply_live = true;
        break;
      case reload_effect::rebuild_watcher:
        plan.rebuild_watcher = true;
        break;
      case reload_effect::restart_app:
        plan.restart_app = true;
        break;
      case reload_effect::relaunch:
        plan.relaunch.push_back(key);
        break;
    }
  }
  // The built-in rules differ for a JavaScript app: its scripts restart it instead of reloading the page.
  if (runs_server_javascript(before.app_command) != runs_server_javascript(after.app_command))
    plan.rebuild_watcher = true;
  return plan;
}

std::string describe(const reload_plan& plan) {
  const auto join = [](const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i)
      out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + ("\"" + names[i] + "\"");
    return out;
  };
  std::vector<std::string> applied;
  for (const auto& key : plan.changed)
    if (std::find(plan.relaunch.begin(), plan.relaunch.end(), key) == plan.relaunch.end()) applied.push_back(key);
  std::string out;
  if (!applied.empty()) {
    out = "applied " + join(applied);
    std::vector<std::string> what;
    if (plan.restart_app) what.push_back("the app restarts");
    if (plan.rebuild_watcher) what.push_back("the watcher is rebuilt");
    if (!what.empty()) out += " (" + what[0] + (what.size() > 1 ? ", " + what[1] : "") + ")";
  }
  if (!plan.relaunch.empty()) {
    if (!out.empty()) out += "; ";
    out += join(plan.relaunch) + " cannot change while liveproxy runs: restart liveproxy to use the new " +
           (plan.relaunch.size() == 1 ? "value" : "values");
  }
  return out;
}

}  // namespace liveproxy
