// Several apps behind one front: reading "apps" from liveproxy.json and --route from the command line (the
// rest, resolve_apps and runs_hmr_dev_server, is declared with the config).
#pragma once

#include "proxy/settings/config.hpp"
#include "proxy/settings/json_document.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

class json_reader;

/// "apps": {"name": {"command" | "upstream", "cwd", "env", "routes", "watch", "hmr"}, ...}; mistakes name their
/// place in the file.
std::vector<app_spec> read_apps(json_reader& r, const json::node& v);
/// --route PREFIX=URL: an upstream app answering PREFIX, named by it ("/api/" -> "api").
app_spec parse_route_option(std::string_view value);
/// A dev server with hot reload of its own, by its command (runs_hmr_dev_server) or by the package.json script
/// it runs in cwd (`npm run dev`, `yarn dev`, `pnpm run dev`, `npm start`).
bool is_hmr_app(const std::vector<std::string>& command, const std::filesystem::path& cwd);
/// Everything the apps are, as text: two configs' apps differ when this does (the live-reload diff).
std::string describe_apps(const std::vector<app_spec>& apps);

}  // namespace liveproxy
