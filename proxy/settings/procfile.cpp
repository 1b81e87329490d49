// Procfile lines to apps: the web process answers the browser, the rest run beside it.
#include "proxy/settings/procfile.hpp"

#include <map>

namespace liveproxy {
namespace {

std::string_view trim(std::string_view s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string_view::npos) return {};
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

}  // namespace

std::vector<procfile_entry> parse_procfile(std::string_view text, const std::string& file) {
  std::vector<procfile_entry> out;
  std::map<std::string, std::size_t> seen;
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const auto nl = text.find('\n');
    const auto line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    const auto colon = line.find(':');
    const auto name = colon == std::string_view::npos ? std::string_view() : trim(line.substr(0, colon));
    const auto command = colon == std::string_view::npos ? std::string_view() : trim(line.substr(colon + 1));
    const bool word = !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                              "0123456789_-.") == std::string_view::npos;
    if (!word || command.empty())
      throw config_error(file + ":" + std::to_string(number) +
                         ": expected \"name: command\" (a process name, a colon, the command to run)");
    if (const auto [it, fresh] = seen.emplace(std::string(name), number); !fresh)
      throw config_error(file + ":" + std::to_string(number) + ": \"" + std::string(name) +
                         "\" is named twice (first on line " + std::to_string(it->second) + ")");
    out.push_back({std::string(name), std::string(command), number});
  }
  return out;
}

void apply_procfile(config& cfg, const std::vector<procfile_entry>& entries, bool has_main) {
  for (const auto& e : entries) {
    std::vector<std::string> command{"/bin/sh", "-c", e.command};
    if (e.name == "web" && !has_main) {
      cfg.app_command = std::move(command);
      cfg.app_name = e.name;
      cfg.app_routes = {"/"};
      cfg.app_hmr = runs_hmr_dev_server(cfg.app_command);
      cfg.detect_project = false;
      continue;
    }
    app_spec a;
    a.name = e.name;
    a.command = std::move(command);
    a.hmr = false;
    cfg.apps.push_back(std::move(a));
  }
}

}  // namespace liveproxy
