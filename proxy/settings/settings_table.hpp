// Every setting, declared once: its liveproxy.json key, its command-line spelling, its help line, its schema,
// what a live edit of it takes, and how it is read and compared. The command-line parser, --help, the
// liveproxy.json reader, the schema (`liveproxy init`, `liveproxy schema`), the live-reload diff and the man page
// are all driven by this table. Adding a setting is one row (settings_table.cpp) plus its use.
#pragma once

#include "proxy/settings/config.hpp"
#include "proxy/settings/json_document.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

class json_reader;

/// What applying a changed setting takes while liveproxy runs.
enum class reload_effect {
  apply_live,       ///< read again where it is used: timeouts, limits, grace, crash policy, serve options
  rebuild_watcher,  ///< watch, ignore, rules, backend, poll_ms, settle_ms, coalesce_ms
  restart_app,      ///< command, env, app_port, fd, preload: the app runs again with them
  relaunch,         ///< port, host, the mode (command / upstream / serve) and its target: restart liveproxy
};

struct setting {
  /// liveproxy.json key; empty: the command line only (--quiet, --open, --help...).
  std::string key;
  /// Command-line spelling ("--hold-timeout"); empty: the file only ("command", "backend"). A key may have
  /// more spellings in rows of their own with no key (--reload, --css, --no-restart for "rules").
  std::string option;
  /// What the option takes, for --help ("SECS", "[MS]"); empty: a flag.
  std::string metavar;
  /// The --help text; a '\n' continues it on the next line.
  std::string help;
  /// For the schema and the man page, when more than help says; empty: help (joined into one line).
  std::string description;
  /// The value's JSON Schema, inside the braces without "description": R"("type": "integer", "minimum": 0)".
  std::string schema;
  /// The mode a setting needs ("command", "upstream", "serve"); empty: any.
  std::string goes_with;
  reload_effect effect = reload_effect::apply_live;
  /// Reads the option's value (empty for a flag) onto cfg; throws config_error naming the option.
  void (*from_option)(const setting&, config& cfg, std::string_view value) = nullptr;
  /// Reads the key's value onto cfg; the reader names the place of a mistake.
  void (*from_json)(const setting&, config& cfg, json_reader& r, const json::member& m) = nullptr;
  /// Whether the setting's value differs between two configs (the live-reload diff).
  bool (*differs)(const config& a, const config& b) = nullptr;

  bool takes_value() const { return !metavar.empty() && metavar.front() != '['; }
  bool optional_value() const { return !metavar.empty() && metavar.front() == '['; }
};

/// Every row, in the order of --help (and of the schema's keys).
std::span<const setting> settings_table();
/// The row of a liveproxy.json key / of a command-line spelling; nullptr when there is none.
const setting* setting_for_key(std::string_view key);
const setting* setting_for_option(std::string_view option);
/// Every liveproxy.json key, in table order ("$schema" included; it is ignored).
std::span<const std::string_view> config_file_keys();
/// Every command-line spelling, in table order.
std::span<const std::string_view> command_line_options();

}  // namespace liveproxy
