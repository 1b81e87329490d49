// The file holds what the zero-config start would run, so that it can be edited from there.
#include "proxy/init_command.hpp"

#include "proxy/app/project_presets.hpp"
#include "proxy/settings/procfile.hpp"
#include "proxy/settings/settings_docs.hpp"
#include "proxy/base/log.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

namespace liveproxy {
namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      out += "\\u00";
      out.push_back("0123456789abcdef"[(c >> 4) & 15]);
      out.push_back("0123456789abcdef"[c & 15]);
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

const char* action_name(watcher::action a) { return watcher::to_string(a); }

}  // namespace

int run_init(const std::filesystem::path& dir) {
  const auto file = dir / "liveproxy.json";
  if (std::filesystem::exists(file)) {
    log::error(file.string() + " exists already: edit it (liveproxy reads it at start and while running)");
    return 1;
  }
  auto preset = detect_project(dir);
  std::string json = "{\n  \"$schema\": \"./liveproxy.schema.json\",\n";
  // A Procfile.dev becomes "apps", as liveproxy would run it: "web" answers "/", the others run beside it.
  std::vector<procfile_entry> procs;
  if (std::ifstream in(dir / "Procfile.dev", std::ios::binary); in) {
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      procs = parse_procfile(text, (dir / "Procfile.dev").string());
    } catch (const config_error& e) {
      log::error(e.what());
      return 2;
    }
  }
  const bool procfile_web =
      std::any_of(procs.begin(), procs.end(), [](const procfile_entry& e) { return e.name == "web"; });
  if (!procs.empty()) {
    json += "  \"apps\": {\n";
    for (std::size_t i = 0; i < procs.size(); ++i)
      json += "    " + json_string(procs[i].name) + ": {\"command\": " + json_string(procs[i].command) +
              (procs[i].name == "web" ? ", \"routes\": [\"/\"]" : "") + "}" + (i + 1 < procs.size() ? "," : "") +
              "\n";
    json += "  },\n";
  }
  if (procfile_web) {
    // The web process is the app: the preset's command would be a second one.
  } else if (preset && preset->serve) {
    json += "  \"serve\": \".\",\n";
  } else if (preset) {
    json += "  \"command\": [";
    for (std::size_t i = 0; i < preset->command.size(); ++i) json += (i ? ", " : "") + json_string(preset->command[i]);
    json += "],\n";
    if (!preset->env.empty()) {
      json += "  \"env\": {";
      for (std::size_t i = 0; i < preset->env.size(); ++i) {
        const auto eq = preset->env[i].find('=');
        json += (i ? ", " : "") + json_string(preset->env[i].substr(0, eq)) + ": " +
                json_string(preset->env[i].substr(eq + 1));
      }
      json += "},\n";
    }
  } else if (procs.empty()) {
    json += "  \"command\": [\"./your-server\", \"--port\", \"{port}\"],\n";
  }
  json += "  \"watch\": [\".\"],\n  \"ignore\": [],\n  \"rules\": [";
  if (preset)
    for (std::size_t i = 0; i < preset->rules.size(); ++i)
      json += std::string(i ? ", " : "") + "{\"glob\": " + json_string(preset->rules[i].glob) + ", \"action\": \"" +
              action_name(preset->rules[i].act) + "\"}";
  json += "],\n  \"hold_timeout\": 30\n}\n";
  std::ofstream(file) << json;
  std::ofstream(dir / "liveproxy.schema.json") << settings_schema_json();
  log::info("wrote " + file.string() +
            (procfile_web ? " with the apps of Procfile.dev"
             : preset     ? " for a " + preset->name + " project" + (procs.empty() ? "" : " and the apps of Procfile.dev")
                          : " (edit its command)") +
            ", and liveproxy.schema.json beside it for editors; run liveproxy to use it");
  return 0;
}

}  // namespace liveproxy
