// The settings table: every row complete, and what is written from it (--help, the schema) or beside it (the
// README's table) naming the same settings.
#include "proxy/settings/settings_docs.hpp"
#include "proxy/settings/settings_table.hpp"

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

using namespace liveproxy;

namespace {

std::string readme() {
  std::ifstream in(std::string(LIVEPROXY_SOURCE_DIR) + "/README.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The README's liveproxy.json table: the keys of its first column and the options of its third.
void readme_table(std::set<std::string>& keys, std::set<std::string>& options) {
  const auto text = readme();
  const auto start = text.find("| key | value | command line |");
  REQUIRE(start != std::string::npos);
  std::istringstream lines(text.substr(start));
  std::string line;
  std::getline(lines, line);
  std::getline(lines, line);  // |---|
  static const std::regex code("`([^`]+)`");
  while (std::getline(lines, line) && line.starts_with("|")) {
    const auto first = line.find('|', 1);
    const auto last = line.rfind('|', line.size() - 2);
    const std::string key_cell = line.substr(1, first - 1), option_cell = line.substr(last);
    for (std::sregex_iterator it(key_cell.begin(), key_cell.end(), code), end; it != end; ++it) keys.insert((*it)[1]);
    for (std::sregex_iterator it(option_cell.begin(), option_cell.end(), code), end; it != end; ++it) {
      std::string option = (*it)[1];
      option = option.substr(0, option.find(' '));
      if (option.starts_with("--") && option != "--") options.insert(option);
    }
  }
}

}  // namespace

TEST_CASE("settings table: every row can be read, compared and documented", "[unit][config]") {
  std::set<std::string> keys, options;
  for (const auto& s : settings_table()) {
    INFO(s.key << " " << s.option);
    CHECK((!s.key.empty() || !s.option.empty()));
    if (!s.key.empty()) {
      CHECK(keys.insert(s.key).second);
      CHECK(s.from_json);
      CHECK(s.differs);
      CHECK_FALSE(s.schema.empty());
      CHECK(s.schema.find("\"examples\"") != std::string::npos);
    }
    if (!s.option.empty()) {
      CHECK(options.insert(s.option).second);
      CHECK(s.option.starts_with("--"));
      CHECK(s.from_option);
    }
    for (std::size_t from = 0, nl = 0; nl != std::string::npos; from = nl + 1) {
      nl = s.help.find('\n', from);
      // --help's text starts at column 23: a line of it fits in 100 columns.
      CHECK(s.help.substr(from, nl == std::string::npos ? nl : nl - from).size() <= 77);
    }
  }
  CHECK(setting_for_option("-h") == setting_for_option("--help"));
  CHECK(setting_for_key("hold_timeout")->option == "--hold-timeout");
  CHECK(setting_for_key("no_such_key") == nullptr);
}

TEST_CASE("settings table: --help, the schema and the README's table name the same settings", "[unit][config]") {
  const std::string help = usage_text();
  for (const auto option : command_line_options()) {
    INFO(option);
    if (setting_for_option(option)->help.empty()) continue;  // said in another option's line (--no-preload)
    CHECK(help.find(" " + std::string(option) + " ") != std::string::npos);
  }

  simdjson::dom::parser parser;
  simdjson::dom::object properties;
  REQUIRE_FALSE(parser.parse(simdjson::padded_string(settings_schema_json()))["properties"].get(properties));
  std::vector<std::string> in_schema;
  for (const auto field : properties) in_schema.emplace_back(field.key);
  const auto keys = config_file_keys();
  CHECK(in_schema == std::vector<std::string>(keys.begin(), keys.end()));

  std::set<std::string> readme_keys, readme_options;
  readme_table(readme_keys, readme_options);
  std::set<std::string> file_keys(keys.begin(), keys.end());
  file_keys.erase("$schema");
  CHECK(readme_keys == file_keys);
  for (const auto& option : readme_options) {
    INFO(option);
    CHECK(setting_for_option(option) != nullptr);
  }
}

TEST_CASE("settings table: the man page lists every option of --help", "[unit][config]") {
  const std::string man = man_page_options();
  for (const auto option : command_line_options()) {
    INFO(option);
    if (setting_for_option(option)->help.empty()) continue;
    std::string troff;
    for (const char c : std::string(option)) troff += c == '-' ? std::string("\\-") : std::string(1, c);
    CHECK(man.find(troff + (setting_for_option(option)->metavar.empty() ? "\n" : " ")) != std::string::npos);
  }
}
