// Procfile.dev (foreman, overmind, honcho, Rails' bin/dev): "name: command" lines, each an app of its own.
#pragma once

#include "proxy/settings/config.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

struct procfile_entry {
  std::string name;
  std::string command;  ///< one shell line, run by /bin/sh -c (as foreman does), $PORT set
  std::size_t line = 0;
};

/// The entries of a Procfile's text; blank lines and # comments are skipped. A line that is not "name: command"
/// throws config_error "<file>:<line>: ...".
std::vector<procfile_entry> parse_procfile(std::string_view text, const std::string& file);

/// A Procfile.dev's entries as apps: the one named "web" becomes the main app, answering "/" (unless
/// `has_main`: the project's own app found by liveproxy is), the others side processes.
void apply_procfile(config& cfg, const std::vector<procfile_entry>& entries, bool has_main);

}  // namespace liveproxy
