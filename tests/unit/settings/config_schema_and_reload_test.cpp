// liveproxy.json's schema kept in step with the reader, and what a changed file means while liveproxy runs:
// which settings changed, and whether they apply live, rebuild the watcher or restart the app.
#include "proxy/settings/config_file.hpp"
#include "proxy/settings/reload_plan.hpp"
#include "proxy/settings/settings_docs.hpp"
#include "proxy/settings/settings_table.hpp"

#include <simdjson.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

using namespace liveproxy;
using liveproxy::test::temp_dir;
using liveproxy::test::write_file;
using std::chrono::milliseconds;

namespace {

/// Writes text as dir/liveproxy.json and applies it to a default config.
config read_config(const temp_dir& dir, std::string_view text) {
  write_file(dir / "liveproxy.json", text);
  config cfg;
  apply_config_file(cfg, dir / "liveproxy.json");
  return cfg;
}

std::vector<std::string> schema_property_names(simdjson::dom::element schema) {
  std::vector<std::string> names;
  simdjson::dom::object properties;
  REQUIRE_FALSE(schema["properties"].get(properties));
  for (const auto field : properties) names.emplace_back(field.key);
  return names;
}

}  // namespace

TEST_CASE("the JSON Schema is valid JSON and names exactly the keys the reader takes", "[unit][config]") {
  const std::string embedded = settings_schema_json();
  simdjson::dom::parser parser;
  simdjson::dom::element schema;
  REQUIRE_FALSE(parser.parse(simdjson::padded_string(embedded)).get(schema));
  std::string_view draft;
  REQUIRE_FALSE(schema["$schema"].get(draft));
  CHECK(draft == "http://json-schema.org/draft-07/schema#");
  bool closed = true;
  REQUIRE_FALSE(schema["additionalProperties"].get(closed));
  CHECK_FALSE(closed);

  const auto names = schema_property_names(schema);
  const auto keys = config_file_keys();
  CHECK(names == std::vector<std::string>(keys.begin(), keys.end()));

  for (const auto& name : names) {
    INFO(name);
    simdjson::dom::element property;
    REQUIRE_FALSE(schema["properties"][name].get(property));
    std::string_view description;
    CHECK_FALSE(property["description"].get(description));
    CHECK(description.size() > 20);
    CHECK((property["type"].error() == simdjson::SUCCESS || property["oneOf"].error() == simdjson::SUCCESS));
    // Every example in the schema is accepted by the reader, each alone in a file.
    simdjson::dom::array examples;
    REQUIRE_FALSE(property["examples"].get(examples));
    CHECK(examples.size() > 0);
    for (const auto example : examples) {
      temp_dir dir;
      const std::string text = "{\"" + name + "\": " + simdjson::to_string(example) + "}";
      INFO(text);
      config cfg;
      CHECK_NOTHROW(cfg = read_config(dir, text));
      // ...and changes what it names ("$schema" is ignored; poll_ms alone switches the backend to polling).
      if (name == "$schema") continue;
      const auto changed = changed_settings(config{}, cfg);
      CHECK(changed == std::vector<std::string>{name == "poll_ms" ? "backend" : name});
    }
  }
}

TEST_CASE("the schema's enums and defaults are the reader's", "[unit][config]") {
  simdjson::dom::parser parser;
  simdjson::dom::element schema;
  REQUIRE_FALSE(parser.parse(simdjson::padded_string(settings_schema_json())).get(schema));
  temp_dir dir;

  simdjson::dom::array backends;
  REQUIRE_FALSE(schema["properties"]["backend"]["enum"].get(backends));
  CHECK(backends.size() == 3);
  for (const auto b : backends) CHECK_NOTHROW(read_config(dir, "{\"backend\": " + simdjson::to_string(b) + "}"));
  simdjson::dom::array actions;
  REQUIRE_FALSE(schema["properties"]["rules"]["items"]["properties"]["action"]["enum"].get(actions));
  std::vector<watcher::action> read;
  for (const auto a : actions)
    read.push_back(read_config(dir, "{\"rules\": [{\"glob\": \"x\", \"action\": " + simdjson::to_string(a) + "}]}")
                       .rules.at(0)
                       .act);
  CHECK(read == std::vector<watcher::action>{watcher::action::restart, watcher::action::reload, watcher::action::css,
                                             watcher::action::ignore});
  bool rule_closed = true;
  REQUIRE_FALSE(schema["properties"]["rules"]["items"]["additionalProperties"].get(rule_closed));
  CHECK_FALSE(rule_closed);

  // A default written into the file changes nothing: the schema documents the real defaults.
  simdjson::dom::object properties;
  REQUIRE_FALSE(schema["properties"].get(properties));
  int defaults = 0;
  for (const auto field : properties) {
    simdjson::dom::element value;
    if (field.value["default"].get(value)) continue;
    ++defaults;
    const std::string key(field.key);
    INFO(key);
    if (key == "poll_ms") {
      CHECK(read_config(dir, "{\"backend\": \"poll\"}").poll_interval ==
            read_config(dir, "{\"poll_ms\": " + simdjson::to_string(value) + "}").poll_interval);
      continue;
    }
    CHECK(
        changed_settings(config{}, read_config(dir, "{\"" + key + "\": " + simdjson::to_string(value) + "}")).empty());
  }
  CHECK(defaults == 22);
}

TEST_CASE("which settings changed between two configurations", "[unit][config]") {
  temp_dir dir;
  std::filesystem::create_directories(dir / "src");
  const auto before = read_config(dir, R"({"command": ["python3", "app.py"], "settle_ms": 100, "watch": ["."]})");
  CHECK(changed_settings(before, before).empty());
  const auto after = read_config(dir, R"({"command": ["python3", "app.py"], "settle_ms": 150, "watch": ["src"],
                                          "hold_timeout": 5, "port": 4000, "env": {"A": "1"}})");
  CHECK(changed_settings(before, after) ==
        std::vector<std::string>{"port", "watch", "settle_ms", "hold_timeout", "env"});

  auto polled = before;
  polled.poll_interval = milliseconds(500);
  auto faster = polled;
  faster.poll_interval = milliseconds(100);
  CHECK(changed_settings(before, polled) == std::vector<std::string>{"backend"});
  CHECK(changed_settings(polled, faster) == std::vector<std::string>{"poll_ms"});
  auto reordered = before;
  reordered.rules = {{"a", watcher::action::css}, {"b", watcher::action::css}};
  auto swapped = reordered;
  std::swap(swapped.rules[0], swapped.rules[1]);
  CHECK(changed_settings(reordered, swapped) == std::vector<std::string>{"rules"});
  swapped.rules = reordered.rules;
  swapped.rules[1].act = watcher::action::reload;
  CHECK(changed_settings(reordered, swapped) == std::vector<std::string>{"rules"});
}

TEST_CASE("what a changed file takes to apply", "[unit][config]") {
  CHECK(effect_of("command") == reload_effect::restart_app);
  CHECK(effect_of("env") == reload_effect::restart_app);
  CHECK(effect_of("app_port") == reload_effect::restart_app);
  CHECK(effect_of("fd") == reload_effect::restart_app);
  for (const auto key : {"watch", "ignore", "rules", "backend", "poll_ms", "settle_ms", "coalesce_ms"})
    CHECK(effect_of(key) == reload_effect::rebuild_watcher);
  for (const auto key : {"port", "host", "upstream", "serve"}) CHECK(effect_of(key) == reload_effect::relaunch);
  // What the running parts read again: applied without a restart of anything.
  for (const auto key : {"hold_timeout", "start_timeout", "idle_timeout", "header_timeout", "max_held",
                         "restart_on_crash", "speculative_restart", "upstream_grace_ms", "spa", "dotfiles",
                         "allowed_hosts"})
    CHECK(effect_of(key) == reload_effect::apply_live);
  // Set up once at start (the listener's limit, the upstream's TLS and Host): liveproxy says to restart it.
  for (const auto key : {"max_connections", "upstream_insecure", "upstream_host"})
    CHECK(effect_of(key) == reload_effect::relaunch);

  config before;
  before.app_command = {"python3", "app.py"};
  CHECK(describe(plan_reload(before, before)).empty());

  auto after = before;
  after.hold_timeout = milliseconds(1000);
  auto plan = plan_reload(before, after);
  CHECK(plan.apply_live);
  CHECK_FALSE(plan.restart_app);
  CHECK_FALSE(plan.rebuild_watcher);
  CHECK(describe(plan) == R"(applied "hold_timeout")");

  after.env = {"A=1"};
  after.ignores = {"*.log"};
  plan = plan_reload(before, after);
  CHECK(plan.restart_app);
  CHECK(plan.rebuild_watcher);
  CHECK(plan.relaunch.empty());
  CHECK(describe(plan) == R"(applied "ignore", "hold_timeout" and "env" (the app restarts, the watcher is rebuilt))");

  after.port = 4000;
  after.host = "0.0.0.0";
  plan = plan_reload(before, after);
  CHECK(plan.relaunch == std::vector<std::string>{"port", "host"});
  CHECK(describe(plan) ==
        R"(applied "ignore", "hold_timeout" and "env" (the app restarts, the watcher is rebuilt); )"
        R"("port" and "host" cannot change while liveproxy runs: restart liveproxy to use the new values)");

  // Python to node: the built-in rules change (scripts restart a JavaScript app), so the watcher is rebuilt too.
  auto node = before;
  node.app_command = {"node", "server.js"};
  plan = plan_reload(before, node);
  CHECK(plan.changed == std::vector<std::string>{"command"});
  CHECK(plan.restart_app);
  CHECK(plan.rebuild_watcher);
  auto other_python = before;
  other_python.app_command = {"python3", "other.py"};
  CHECK_FALSE(plan_reload(before, other_python).rebuild_watcher);

  // From running the app to proxying one: liveproxy must be started again.
  auto upstream = before;
  upstream.app_command.clear();
  upstream.upstream = parse_upstream_url("http://127.0.0.1:8000");
  plan = plan_reload(before, upstream);
  CHECK(plan.relaunch == std::vector<std::string>{"command", "upstream"});
  CHECK_FALSE(plan.restart_app);
  CHECK(describe(plan) == R"("command" and "upstream" cannot change while liveproxy runs: )"
                          R"(restart liveproxy to use the new values)");
  auto one_more = upstream;
  one_more.upstream_grace = milliseconds(10);
  CHECK(describe(plan_reload(upstream, one_more)) == R"(applied "upstream_grace_ms")");
}

TEST_CASE("editing the file while running: a broken edit keeps the old settings", "[unit][config]") {
  temp_dir dir;
  write_file(dir / "liveproxy.json", R"({"command": ["python3", "app.py"], "settle_ms": 100})");
  config running;
  apply_config_file(running, dir / "liveproxy.json");

  // The way the lead wires it: read onto a fresh base, compare, then take it.
  write_file(dir / "liveproxy.json", R"({"command": ["python3", "app.py"], "settle_ms": 300, "coalesce_ms": 10})");
  config next;
  apply_config_file(next, dir / "liveproxy.json");
  CHECK(plan_reload(running, next).changed == std::vector<std::string>{"settle_ms", "coalesce_ms"});
  running = next;

  write_file(dir / "liveproxy.json", R"({"command": ["python3", "app.py"], "settle_ms": 3)");
  config broken = running;
  CHECK_THROWS_WITH(apply_config_file(broken, dir / "liveproxy.json"), Catch::Contains("invalid JSON"));
  CHECK(changed_settings(running, broken).empty());
  CHECK(running.restart_settle == milliseconds(300));
}
