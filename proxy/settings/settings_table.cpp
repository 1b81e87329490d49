// The settings table put together from its groups of rows, and looked up by key and by option.
#include "proxy/settings/settings_table.hpp"

#include "proxy/settings/setting_readers.hpp"

namespace liveproxy {
namespace {

struct table {
  std::vector<setting> rows;
  std::vector<std::string_view> keys;
  std::vector<std::string_view> options;
};

const table& the_table() {
  static const table t = [] {
    table out;
    rows::add_mode_and_watching(out.rows);
    rows::add_timeouts_and_limits(out.rows);
    rows::add_app(out.rows);
    rows::add_front(out.rows);
    for (const auto& s : out.rows) {
      if (!s.key.empty()) out.keys.push_back(s.key);
      if (!s.option.empty()) out.options.push_back(s.option);
    }
    return out;
  }();
  return t;
}

}  // namespace

std::span<const setting> settings_table() { return the_table().rows; }

const setting* setting_for_key(std::string_view key) {
  for (const auto& s : the_table().rows)
    if (!s.key.empty() && s.key == key) return &s;
  return nullptr;
}

const setting* setting_for_option(std::string_view option) {
  if (option == "-h") option = "--help";
  for (const auto& s : the_table().rows)
    if (!s.option.empty() && s.option == option) return &s;
  return nullptr;
}

std::span<const std::string_view> config_file_keys() { return the_table().keys; }
std::span<const std::string_view> command_line_options() { return the_table().options; }

}  // namespace liveproxy
