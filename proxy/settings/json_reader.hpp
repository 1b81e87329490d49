// Reading one liveproxy.json onto a config: the checks every key's value goes through, each failure naming the
// file, line and column. The keys themselves are the settings table's rows (settings_table.cpp).
#pragma once

#include "proxy/settings/config.hpp"
#include "proxy/settings/json_document.hpp"

#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

class json_reader {
 public:
  json_reader(const std::filesystem::path& file, std::string_view text);

  /// Reads every member of the root object through the settings table, then checks what the file makes
  /// contradictory. Throws config_error "<file>:<line>:<col>: <what>".
  void apply(const json::node& root, config& cfg);

  [[noreturn]] void fail(std::size_t offset, const std::string& what) const;

  // A value's checks: each returns the value or fails naming the key (`name`) and what it takes.
  const std::string& string_of(const json::node& n, const std::string& name, std::string_view what) const;
  const std::string& nonempty_string_of(const json::node& n, const std::string& name, std::string_view what) const;
  bool bool_of(const json::node& n, const std::string& name) const;
  long whole_number(const json::node& n, const std::string& name, std::string_view unit, long lo, long hi) const;
  std::chrono::milliseconds milliseconds(const json::node& n, const std::string& name, long hi) const;
  std::chrono::milliseconds seconds(const json::node& n, const std::string& name) const;
  std::string_view choice(const json::node& n, const std::string& name, std::span<const std::string_view> names) const;
  const std::vector<json::node>& array_of(const json::node& n, const std::string& name, std::string_view what) const;
  std::vector<std::string> strings_of(const json::node& n, const std::string& name, std::string_view what,
                                      std::string_view item_what) const;
  /// A directory named relative to the file's own directory, made canonical.
  std::filesystem::path directory(const json::node& n, const std::string& name) const;
  std::vector<std::filesystem::path> directories(const json::node& n, const std::string& name) const;
  /// "command": an array (the program and its arguments) or one line for /bin/sh -c.
  std::vector<std::string> command(const json::node& v) const;
  std::vector<std::string> allowed_hosts(const json::node& v, const std::string& name) const;
  std::vector<std::string> environment(const json::node& v) const;
  std::vector<watcher::classifier::rule> rules(const json::node& v) const;
  /// The line:column of an offset, for messages that name a second place.
  std::string place(std::size_t offset) const { return json::position_text(text_, offset); }

  // What the file says that is judged only once it has been read whole.
  /// A true/false setting that belongs to one mode ("command", "upstream", "serve").
  bool mode_flag(const json::member& m, std::string_view its_mode);
  /// The key sets the mode (command, upstream or serve).
  void mode(const json::member& m) { modes_.push_back({m.key, m.key_offset}); }
  void backend(std::string_view name, std::size_t offset) {
    backend_ = name;
    backend_offset_ = offset;
  }
  void poll_ms(std::chrono::milliseconds ms, std::size_t key_offset) {
    poll_ms_ = ms;
    poll_ms_offset_ = key_offset;
  }

 private:
  std::string unknown_key(std::string_view key, std::span<const std::string_view> known, std::string_view where) const;
  void check_combinations(config& cfg) const;

  struct flag_of_mode {
    std::string key;
    std::string_view mode;
    std::size_t offset;
  };

  const std::filesystem::path& file_;
  std::string_view text_;
  std::filesystem::path base_dir_;
  std::vector<std::pair<std::string, std::size_t>> modes_;
  std::vector<flag_of_mode> mode_flags_;
  std::optional<std::string_view> backend_;
  std::size_t backend_offset_ = 0;
  std::optional<std::chrono::milliseconds> poll_ms_;
  std::size_t poll_ms_offset_ = 0;
};

/// The closest of candidates to word, if it is close: two edits at most, fewer than the word's length. The
/// word is compared as written and as a command-line option would be ("--hold-timeout" -> hold_timeout), and
/// against each candidate without its unit ("settle" -> settle_ms).
std::optional<std::string_view> closest_name(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace liveproxy
