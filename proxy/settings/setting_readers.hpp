// The readers of a settings-table row for each kind of value, as templates over the config member the row sets,
// so a row names its member once. Included by the files that hold the rows only.
#pragma once

#include "proxy/settings/json_reader.hpp"
#include "proxy/settings/option_values.hpp"
#include "proxy/settings/settings_table.hpp"

#include <chrono>
#include <string_view>

namespace liveproxy::rows {

using ms = std::chrono::milliseconds;

template <auto M>
void set_flag(const setting&, config& c, std::string_view) {
  c.*M = true;
}
template <auto M>
void json_flag(const setting& s, config& c, json_reader& r, const json::member& m) {
  c.*M = s.goes_with.empty() ? r.bool_of(m.value, m.key) : r.mode_flag(m, s.goes_with);
}

template <auto M, long Lo, long Hi>
void option_ms(const setting& s, config& c, std::string_view v) {
  c.*M = ms(option_number<long>(s.option, v, Lo, Hi));
}
template <auto M, long Hi>
void json_ms(const setting&, config& c, json_reader& r, const json::member& m) {
  c.*M = r.milliseconds(m.value, m.key, Hi);
}

template <auto M>
void option_secs(const setting& s, config& c, std::string_view v) {
  c.*M = option_seconds(s.option, v);
}
template <auto M>
void json_secs(const setting&, config& c, json_reader& r, const json::member& m) {
  c.*M = r.seconds(m.value, m.key);
}

template <auto M, long Lo, long Hi>
void option_count(const setting& s, config& c, std::string_view v) {
  c.*M = option_number<std::size_t>(s.option, v, Lo, Hi);
}
template <auto M, long Lo, long Hi>
void json_count(const setting&, config& c, json_reader& r, const json::member& m) {
  c.*M = static_cast<std::size_t>(r.whole_number(m.value, m.key, "", Lo, Hi));
}

template <auto M>
bool differ(const config& a, const config& b) {
  return a.*M != b.*M;
}

/// The rows of each group, in --help order (settings_table.cpp puts the groups together).
void add_mode_and_watching(std::vector<setting>& t);
void add_timeouts_and_limits(std::vector<setting>& t);
void add_app(std::vector<setting>& t);
void add_front(std::vector<setting>& t);

}  // namespace liveproxy::rows
