// liveproxy.json: every key, every kind of mistake with its exact place. (The schema and what a changed file
// means while liveproxy runs: settings/config_schema_and_reload_test.cpp.)
#include "proxy/settings/config_file.hpp"
#include "proxy/settings/reload_plan.hpp"
#include "proxy/settings/settings_table.hpp"

#include <sys/stat.h>
#include <unistd.h>

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

/// The message apply_config_file throws for text, with the temporary directory taken out of the file name,
/// so it reads "liveproxy.json:L:C: ...". Empty if it throws nothing.
std::string error_for(std::string_view text) {
  temp_dir dir;
  write_file(dir / "liveproxy.json", text);
  config cfg;
  try {
    apply_config_file(cfg, dir / "liveproxy.json");
  } catch (const config_error& e) {
    std::string message = e.what();
    const std::string prefix = dir.path().string() + "/";
    if (message.starts_with(prefix)) message.erase(0, prefix.size());
    return message;
  }
  return {};
}


}  // namespace

TEST_CASE("every key of liveproxy.json is read onto the config", "[unit][config]") {
  temp_dir dir;
  std::filesystem::create_directories(dir / "src");
  std::filesystem::create_directories(dir / "templates");
  const auto cfg = read_config(dir, R"({
    "$schema": "./liveproxy.schema.json",
    "command": ["python3", "manage.py", "runserver", "127.0.0.1:{port}"],
    "port": 8080,
    "host": "localhost",
    "app_port": 4100,
    "watch": ["src", "templates"],
    "ignore": ["*.log", "tmp/"],
    "rules": [{"glob": "*.toml", "action": "restart"}, {"glob": "docs/", "action": "reload"},
              {"glob": "*.scss", "action": "css"}, {"glob": "*.bak", "action": "ignore"}],
    "backend": "poll",
    "poll_ms": 250,
    "settle_ms": 200,
    "coalesce_ms": 0,
    "hold_timeout": 1.5,
    "start_timeout": 45,
    "idle_timeout": 300,
    "header_timeout": 10,
    "max_connections": 1000,
    "env": {"DEBUG": "1", "GREETING": "hello world", "EMPTY": ""},
    "restart_on_crash": true,
    "fd": true
  })");
  CHECK(cfg.app_command == std::vector<std::string>{"python3", "manage.py", "runserver", "127.0.0.1:{port}"});
  CHECK_FALSE(cfg.js_runs_on_server);
  CHECK(cfg.port == 8080);
  CHECK(cfg.port_given);
  CHECK(cfg.host == "127.0.0.1");
  CHECK(cfg.app_port == 4100);
  CHECK(cfg.app_port_given);
  CHECK(cfg.watch_dirs == std::vector<std::filesystem::path>{dir / "src", dir / "templates"});
  CHECK(cfg.ignores == std::vector<std::string>{"*.log", "tmp/"});
  REQUIRE(cfg.rules.size() == 4);
  CHECK(cfg.rules[0].glob == "*.toml");
  CHECK(cfg.rules[0].act == watcher::action::restart);
  CHECK(cfg.rules[1].glob == "docs/");
  CHECK(cfg.rules[1].act == watcher::action::reload);
  CHECK(cfg.rules[2].act == watcher::action::css);
  CHECK(cfg.rules[3].act == watcher::action::ignore);
  CHECK(cfg.poll_interval == milliseconds(250));
  CHECK_FALSE(cfg.use_watchman);
  CHECK(cfg.restart_settle == milliseconds(200));
  CHECK(cfg.browser_coalesce == milliseconds(0));
  CHECK(cfg.hold_timeout == milliseconds(1500));
  CHECK(cfg.start_timeout == milliseconds(45'000));
  CHECK(cfg.idle_timeout == milliseconds(300'000));
  CHECK(cfg.header_timeout == milliseconds(10'000));
  CHECK(cfg.max_connections == 1000);
  CHECK(cfg.env == std::vector<std::string>{"DEBUG=1", "GREETING=hello world", "EMPTY="});
  CHECK(cfg.restart_on_crash);
  CHECK(cfg.socket_handoff);
  CHECK_FALSE(cfg.upstream);
  CHECK_FALSE(cfg.serve_dir);
}

TEST_CASE("the upstream and serve keys", "[unit][config]") {
  temp_dir dir;
  const auto up = read_config(dir, R"({"upstream": "https://127.0.0.1:8443", "upstream_insecure": true,
                                       "upstream_host": true, "upstream_grace_ms": 3000})");
  REQUIRE(up.upstream);
  CHECK(up.upstream->text() == "https://127.0.0.1:8443");
  CHECK(up.upstream->tls);
  CHECK(up.upstream_insecure);
  CHECK(up.upstream_host);
  CHECK(up.upstream_grace == milliseconds(3000));
  CHECK(up.app_command.empty());

  std::filesystem::create_directories(dir / "site");
  const auto served = read_config(dir, R"({"serve": "site", "spa": true, "dotfiles": true, "host": "::1"})");
  CHECK(served.serve_dir == dir / "site");
  CHECK(served.spa);
  CHECK(served.dotfiles);
  CHECK(served.host == "::1");
  // false is allowed with any mode: it says what is the default anyway.
  CHECK_NOTHROW(read_config(dir, R"({"command": ["x"], "spa": false, "upstream_insecure": false})"));
}

TEST_CASE("the command is an array run as it is, or one line for /bin/sh -c", "[unit][config]") {
  temp_dir dir;
  const auto argv = read_config(dir, R"({"command": ["node", "server.js", "--port={port}"]})");
  CHECK(argv.app_command == std::vector<std::string>{"node", "server.js", "--port={port}"});
  CHECK(argv.js_runs_on_server);
  const auto line = read_config(dir, R"({"command": "npm run dev -- --port {port} && echo \"done\""})");
  CHECK(line.app_command == std::vector<std::string>{"/bin/sh", "-c", "npm run dev -- --port {port} && echo \"done\""});
  // As documented: a shell line is not looked into.
  CHECK_FALSE(line.js_runs_on_server);
  CHECK(read_config(dir, R"({"command": ["python3", ""]})").app_command == std::vector<std::string>{"python3", ""});
}

TEST_CASE("the backend and its poll interval", "[unit][config]") {
  temp_dir dir;
  const auto watchman = read_config(dir, R"({"backend": "watchman"})");
  CHECK(watchman.use_watchman);
  CHECK_FALSE(watchman.poll_interval);
  CHECK(read_config(dir, R"({"backend": "poll"})").poll_interval == milliseconds(500));
  // Alone, poll_ms means polling, as --poll MS does.
  const auto poll = read_config(dir, R"({"poll_ms": 100})");
  CHECK(poll.poll_interval == milliseconds(100));
  CHECK_FALSE(poll.use_watchman);
  // inotify undoes what was there before.
  write_file(dir / "liveproxy.json", R"({"backend": "inotify"})");
  config cfg;
  cfg.use_watchman = true;
  cfg.poll_interval = milliseconds(30);
  apply_config_file(cfg, dir / "liveproxy.json");
  CHECK_FALSE(cfg.use_watchman);
  CHECK_FALSE(cfg.poll_interval);
}

TEST_CASE("keys the file does not name keep their values", "[unit][config]") {
  temp_dir dir;
  write_file(dir / "liveproxy.json", R"({"port": 4000})");
  config cfg;
  cfg.host = "0.0.0.0";
  cfg.app_command = {"ruby", "app.rb"};
  cfg.ignores = {"*.tmp"};
  cfg.hold_timeout = milliseconds(5000);
  apply_config_file(cfg, dir / "liveproxy.json");
  CHECK(cfg.port == 4000);
  CHECK(cfg.host == "0.0.0.0");
  CHECK(cfg.app_command == std::vector<std::string>{"ruby", "app.rb"});
  CHECK(cfg.ignores == std::vector<std::string>{"*.tmp"});
  CHECK(cfg.hold_timeout == milliseconds(5000));
  // An empty object changes nothing.
  const config before = cfg;
  write_file(dir / "liveproxy.json", "{}");
  apply_config_file(cfg, dir / "liveproxy.json");
  CHECK(changed_settings(before, cfg).empty());
}

TEST_CASE("relative paths are relative to the file's directory, not the current one", "[unit][config]") {
  temp_dir dir;
  std::filesystem::create_directories(dir / "project/src");
  std::filesystem::create_directories(dir / "shared");
  std::filesystem::create_directories(dir / "project/public");
  write_file(dir / "project/liveproxy.json",
             R"({"watch": ["src", "../shared", ".", ")" + (dir / "shared").string() + R"("], "serve": "public/"})");
  REQUIRE(std::filesystem::current_path() != dir / "project");
  config cfg;
  apply_config_file(cfg, dir / "project/liveproxy.json");
  CHECK(cfg.watch_dirs ==
        std::vector<std::filesystem::path>{dir / "project/src", dir / "shared", dir / "project", dir / "shared"});
  CHECK(cfg.serve_dir == dir / "project/public");

  // The file given by a relative path: still its own directory, and messages name it as given.
  const auto relative = std::filesystem::relative(dir / "project/liveproxy.json", std::filesystem::current_path());
  REQUIRE(relative.is_relative());
  config again;
  apply_config_file(again, relative);
  CHECK(again.watch_dirs == cfg.watch_dirs);
  write_file(dir / "project/liveproxy.json", R"({"watch": ["nowhere"]})");
  CHECK_THROWS_WITH(apply_config_file(again, relative), relative.string() +
                                                            ":1:12: \"watch[0]\": \"nowhere\" is not a directory (" +
                                                            (dir / "project/nowhere").string() + ")");
  write_file(dir / "project/liveproxy.json", R"({"serve": "~/site"})");
  CHECK_THROWS_WITH(apply_config_file(again, relative),
                    Catch::EndsWith("; ~ is not expanded: give the path relative to this file"));
  // A file is not a directory.
  write_file(dir / "project/liveproxy.json", R"({"watch": ["liveproxy.json"]})");
  CHECK_THROWS_WITH(apply_config_file(again, relative), Catch::Contains("\"liveproxy.json\" is not a directory"));
}

TEST_CASE("invalid JSON is reported at its line and column", "[unit][config]") {
  struct example {
    std::string text;
    std::string message;
  };
  const std::vector<example> examples{
      {R"({"port": 3000,})", "liveproxy.json:1:14: invalid JSON: a comma before '}' (JSON allows no trailing comma)"},
      {"{\n  \"port\": 3000\n  \"host\": \"::1\"\n}", "liveproxy.json:3:3: invalid JSON: missing ',' before this key"},
      {R"({"watch": ["a" "b"]})", "liveproxy.json:1:16: invalid JSON: missing ',' before this value"},
      {R"({"watch": ["a",]})", "liveproxy.json:1:15: invalid JSON: a comma before ']' (JSON allows no trailing comma)"},
      {R"({"watch": ["a",,]})", "liveproxy.json:1:16: invalid JSON: expected a value, got ','"},
      {R"({"watch": ["a"})", "liveproxy.json:1:15: invalid JSON: expected ',' or ']' after the value, got '}'"},
      {R"({"port": 3000])", "liveproxy.json:1:14: invalid JSON: expected ',' or '}' after the value, got ']'"},
      {"{\n  \"hold_timeout\": soon\n}",
       "liveproxy.json:2:19: invalid JSON: expected a value, got soon (a string needs double quotes)"},
      {R"({"spa": True})",
       "liveproxy.json:1:9: invalid JSON: expected a value, got True (true, false and null are "
       "written in lower case)"},
      {R"({"spa": nul})", "liveproxy.json:1:9: invalid JSON: expected a value, got nul (a string needs double quotes)"},
      {R"({"port": 3000} // dev)",
       "liveproxy.json:1:16: invalid JSON: unexpected '/' after the end of the JSON value (JSON has no comments)"},
      {"{\n  // the front port\n  \"port\": 3000\n}",
       "liveproxy.json:2:3: invalid JSON: expected a key in double quotes, got '/' (JSON has no comments)"},
      {R"({'port': 3000})",
       "liveproxy.json:1:2: invalid JSON: expected a key in double quotes, got \"'\" (JSON strings use double quotes)"},
      {R"({"host": 'x'})",
       "liveproxy.json:1:10: invalid JSON: expected a value, got \"'\" (JSON strings use double quotes)"},
      {R"({port: 3000})", "liveproxy.json:1:2: invalid JSON: expected a key in double quotes, got port"},
      {R"({"port" 3000})", "liveproxy.json:1:9: invalid JSON: expected ':' after the key, got 3000"},
      {R"({"port": })", "liveproxy.json:1:10: invalid JSON: expected a value after ':', got '}'"},
      {"{\n  \"port\": 3000", "liveproxy.json:1:1: invalid JSON: this '{' is never closed (the file ends first)"},
      {"{\"watch\": [\n  \"a\"\n", "liveproxy.json:1:11: invalid JSON: this '[' is never closed (the file ends first)"},
      {R"({"host": "abc)", "liveproxy.json:1:10: invalid JSON: this string is never closed (the file ends first)"},
      {"{\"host\": \"abc,\n \"port\": 1}",
       "liveproxy.json:1:10: invalid JSON: this string is not closed on its line (missing '\"')"},
      {"{\"host\": \"a\tb\"}",
       "liveproxy.json:1:12: invalid JSON: a control character in a string: write it as an escape such as \\t"},
      {R"({"host": "a\qb"})",
       R"(liveproxy.json:1:12: invalid JSON: invalid escape \q (JSON knows \" \\ \/ \b \f \n \r \t \uXXXX))"},
      {R"({"host": "\u12"})", R"(liveproxy.json:1:11: invalid JSON: \u needs four hexadecimal digits)"},
      {"{\"host\": \"\xff\"}", "liveproxy.json:1:11: invalid JSON: invalid UTF-8 in a string (the file must be UTF-8)"},
      {R"({"port": 03000})", "liveproxy.json:1:10: invalid JSON: invalid number 03000 (no leading zeros)"},
      {R"({"port": -})", "liveproxy.json:1:10: invalid JSON: invalid number -"},
      {R"({"port": 1.})", "liveproxy.json:1:10: invalid JSON: invalid number 1."},
      {R"({"port": 3000x})", "liveproxy.json:1:10: invalid JSON: invalid number 3000x"},
      {R"({"port": 3000}})", "liveproxy.json:1:15: invalid JSON: unexpected '}' after the end of the JSON value"},
      {"", "liveproxy.json:1:1: invalid JSON: the file is empty: expected a JSON object { ... }"},
      {" \n\t\n", "liveproxy.json:1:1: invalid JSON: the file is empty: expected a JSON object { ... }"},
  };
  for (const auto& e : examples) {
    INFO(e.text);
    CHECK(error_for(e.text) == e.message);
  }
}

TEST_CASE("a number of any size is JSON, and one out of a key's range is an error about that key", "[unit][config]") {
  // RFC 8259 puts no bound on a number. The fuzzer's input: valid JSON (Python reads the number as 0.0), refused
  // before as "invalid JSON: Problem while parsing a number"; now its only fault is the unknown key.
  {
    temp_dir dir;
    std::filesystem::create_directory(dir / "public");
    write_file(dir / "liveproxy.json",
               R"({"serve": "public", "spa": true, "i            ;:   ; ms": 0e40018446744073709551616200})");
    config cfg;
    CHECK_THROWS_WITH(apply_config_file(cfg, dir / "liveproxy.json"),
                      Catch::StartsWith((dir / "liveproxy.json").string() +
                                        R"(:1:34: unknown key "i            ;:   ; ms")"));
    write_file(dir / "liveproxy.json", R"({"serve": "public", "spa": true, "settle_ms": 0, "x": 0e400184467440737})");
    CHECK_THROWS_WITH(apply_config_file(cfg, dir / "liveproxy.json"), Catch::Contains(R"(unknown key "x")"));
  }
  CHECK(error_for(R"({"hold_timeout": 1e999})") ==
        R"(liveproxy.json:1:18: "hold_timeout" must be a number of seconds from 0.001 to 86400 (got 1e999))");
  CHECK(error_for(R"({"hold_timeout": -1e999})") ==
        R"(liveproxy.json:1:18: "hold_timeout" must be a number of seconds from 0.001 to 86400 (got -1e999))");
  CHECK(error_for(R"({"start_timeout": 1e-999})") ==
        R"(liveproxy.json:1:19: "start_timeout" must be a number of seconds from 0.001 to 86400 (got 1e-999))");
  CHECK(error_for(R"({"port": 99999999999999999999999})") ==
        R"(liveproxy.json:1:10: "port" must be a whole number from 0 to 65535 (got 99999999999999999999999))");
  CHECK(error_for(R"({"settle_ms": 0e40018446744073709551616200})") ==
        R"(liveproxy.json:1:15: "settle_ms" must be a whole number of milliseconds from 0 to 10000 (got 0e40018446744073709551616200))");
  temp_dir dir;
  // A huge exponent on a small mantissa, and a long fraction, are ordinary numbers.
  CHECK(read_config(dir, R"({"hold_timeout": 0.000000000000000000000000000000000000000001e+42})").hold_timeout ==
        milliseconds(1000));
  CHECK(read_config(dir, R"({"idle_timeout": 2.50000000000000000000000000000000000000000000001})").idle_timeout ==
        milliseconds(2500));
}

TEST_CASE("strings: every escape, surrogate pairs, and half a pair", "[unit][config]") {
  temp_dir dir;
  CHECK(read_config(dir, R"({"ignore": ["a\"\\\/\b\f\n\r\tz"]})").ignores ==
        std::vector<std::string>{"a\"\\/\b\f\n\r\tz"});
  CHECK(read_config(dir, R"({"ignore": ["\ud83d\ude00", "\u00e9\u20ac"]})").ignores ==
        std::vector<std::string>{"\xF0\x9F\x98\x80", "\xC3\xA9\xE2\x82\xAC"});
  // JSON's grammar allows an unpaired surrogate; UTF-8 cannot carry one: U+FFFD, as browsers and Go do.
  CHECK(read_config(dir, R"({"ignore": ["x\ud800y", "\udc00"]})").ignores ==
        std::vector<std::string>{"x\xEF\xBF\xBDy", "\xEF\xBF\xBD"});
}

TEST_CASE("columns count characters, and a byte order mark is not one", "[unit][config]") {
  // "é" is two bytes and one column; the error is on the value after it.
  CHECK(error_for("{\"ignore\": [\"é\"], \"port\": \"x\"}") ==
        "liveproxy.json:1:27: \"port\" must be a whole number from 0 to 65535 (got \"x\")");
  CHECK(error_for("\xEF\xBB\xBF{\"port\": \"x\"}") ==
        "liveproxy.json:1:10: \"port\" must be a whole number from 0 to 65535 (got \"x\")");
  temp_dir dir;
  CHECK(read_config(dir, "\xEF\xBB\xBF{\"port\": 3001}").port == 3001);
  CHECK(read_config(dir, "\r\n{\r\n\"ignore\": [\"\\u00e9\"]\r\n}\r\n").ignores == std::vector<std::string>{"é"});
}

TEST_CASE("values of the wrong type or out of range name the key and what it takes", "[unit][config]") {
  struct example {
    std::string text;
    std::string message;
  };
  const std::vector<example> examples{
      {"{\n  \"port\": 3000,\n  \"hold_timeout\": \"soon\"\n}",
       R"(liveproxy.json:3:19: "hold_timeout" must be a number of seconds (got "soon"))"},
      {R"({"hold_timeout": 0})",
       R"(liveproxy.json:1:18: "hold_timeout" must be a number of seconds from 0.001 to 86400 (got 0))"},
      {R"({"start_timeout": -1})",
       R"(liveproxy.json:1:19: "start_timeout" must be a number of seconds from 0.001 to 86400 (got -1))"},
      {R"({"idle_timeout": 86401})",
       R"(liveproxy.json:1:18: "idle_timeout" must be a number of seconds from 0.001 to 86400 (got 86401))"},
      {R"({"header_timeout": null})",
       R"(liveproxy.json:1:20: "header_timeout" must be a number of seconds (got null))"},
      {R"({"port": 70000})", R"(liveproxy.json:1:10: "port" must be a whole number from 0 to 65535 (got 70000))"},
      {R"({"port": 3000.5})", R"(liveproxy.json:1:10: "port" must be a whole number from 0 to 65535 (got 3000.5))"},
      {R"({"port": 3e3})", R"(liveproxy.json:1:10: "port" must be a whole number from 0 to 65535 (got 3e3))"},
      {R"({"port": "3000"})", R"(liveproxy.json:1:10: "port" must be a whole number from 0 to 65535 (got "3000"))"},
      {R"({"app_port": 0})", R"(liveproxy.json:1:14: "app_port" must be a whole number from 1 to 65535 (got 0))"},
      {R"({"max_connections": 0})",
       R"(liveproxy.json:1:21: "max_connections" must be a whole number from 1 to 1000000 (got 0))"},
      {R"({"settle_ms": 20000})",
       R"(liveproxy.json:1:15: "settle_ms" must be a whole number of milliseconds from 0 to 10000 (got 20000))"},
      {R"({"coalesce_ms": 0.5})",
       R"(liveproxy.json:1:17: "coalesce_ms" must be a whole number of milliseconds from 0 to 10000 (got 0.5))"},
      {R"({"poll_ms": 5})",
       R"(liveproxy.json:1:13: "poll_ms" must be a whole number of milliseconds from 10 to 60000 (got 5))"},
      {R"({"upstream_grace_ms": 60001})",
       R"(liveproxy.json:1:23: "upstream_grace_ms" must be a whole number of milliseconds from 0 to 60000 (got 60001))"},
      {R"({"spa": "yes"})", R"(liveproxy.json:1:9: "spa" must be true or false (got "yes"))"},
      {R"({"fd": 1})", R"(liveproxy.json:1:8: "fd" must be true or false (got 1))"},
      {R"({"host": 127})", R"(liveproxy.json:1:10: "host" must be an address or a host name (a string) (got 127))"},
      {R"({"host": ""})", R"(liveproxy.json:1:10: "host" must be an address or a host name (a string), not empty)"},
      {R"({"backend": "inotfy"})",
       R"(liveproxy.json:1:13: "backend" must be "inotify", "poll" or "watchman" (got "inotfy"): did you mean "inotify"?)"},
      {R"({"backend": "fsevents"})",
       R"(liveproxy.json:1:13: "backend" must be "inotify", "poll" or "watchman" (got "fsevents"))"},
      {R"({"backend": ["poll"]})",
       R"(liveproxy.json:1:13: "backend" must be "inotify", "poll" or "watchman" (got an array))"},
      {R"({"watch": "src"})",
       R"(liveproxy.json:1:11: "watch" must be an array of directories, such as ["src", "templates"] (got "src"))"},
      {R"({"watch": []})", R"(liveproxy.json:1:11: "watch" is empty: name at least one directory, such as ["."])"},
      {R"({"watch": [".", 3]})", R"(liveproxy.json:1:17: "watch[1]" must be a directory (a string) (got 3))"},
      {R"({"ignore": "*.log"})",
       R"(liveproxy.json:1:12: "ignore" must be an array of gitignore-style globs, such as ["*.log", "tmp/"] (got "*.log"))"},
      {R"({"ignore": ["*.log", ""]})", R"(liveproxy.json:1:22: "ignore[1]" must be a glob (a string), not empty)"},
      {R"({"rules": {"*.py": "restart"}})",
       R"(liveproxy.json:1:11: "rules" must be an array of {"glob": "...", "action": "..."}, first match wins (got an object))"},
      {R"({"rules": ["*.py"]})",
       R"(liveproxy.json:1:12: "rules[0]" must be an object {"glob": "...", "action": "..."} (got "*.py"))"},
      {R"({"rules": [{"glob": "*.py", "action": "relaod"}]})",
       R"(liveproxy.json:1:39: "rules[0].action" must be "restart", "reload", "css" or "ignore" (got "relaod"): did you mean "reload"?)"},
      {R"({"rules": [{"glob": "*.py"}]})",
       R"(liveproxy.json:1:12: "rules[0]" needs an "action": "restart", "reload", "css" or "ignore")"},
      {R"({"rules": [{"glob": "a", "action": "css"}, {"action": "css"}]})",
       R"(liveproxy.json:1:44: "rules[1]" needs a "glob")"},
      {R"({"rules": [{"glob": "", "action": "css"}]})",
       R"(liveproxy.json:1:21: "rules[0].glob" must be a gitignore-style glob (a string), not empty)"},
      {R"({"rules": [{"glob": "a", "actoin": "css"}]})",
       R"(liveproxy.json:1:26: unknown key "actoin" in "rules[0]": did you mean "action"?)"},
      {R"({"rules": [{"glob": "a", "glob": "b", "action": "css"}]})",
       R"(liveproxy.json:1:26: "rules[0].glob" is given twice)"},
      {R"({"env": ["DEBUG=1"]})",
       R"(liveproxy.json:1:9: "env" must be an object of variables, such as {"DEBUG": "1"} (got an array))"},
      {R"({"env": {"DEBUG": 1}})", R"(liveproxy.json:1:19: "env.DEBUG" must be a string (got 1): write "1")"},
      {R"({"env": {"DEBUG": true}})", R"(liveproxy.json:1:19: "env.DEBUG" must be a string (got true): write "true")"},
      {R"({"env": {"DEBUG": null}})", R"(liveproxy.json:1:19: "env.DEBUG" must be a string (got null))"},
      {R"({"env": {"A=B": "1"}})", R"(liveproxy.json:1:10: "env": "A=B" is not a variable name)"},
      {R"({"env": {"": "1"}})", R"(liveproxy.json:1:10: "env": "" is not a variable name)"},
      {R"({"env": {"A": "1", "A": "2"}})", R"(liveproxy.json:1:20: "env.A" is given twice (first at 1:10))"},
      {R"({"command": []})", R"(liveproxy.json:1:13: "command" is empty: name the program to run)"},
      {R"({"command": "  "})", R"(liveproxy.json:1:13: "command" is empty: name the program to run)"},
      {R"({"command": ["", "app.py"]})",
       R"(liveproxy.json:1:14: "command[0]" must be the program to run (a string), not empty)"},
      {R"({"command": ["python3", 3]})", R"(liveproxy.json:1:25: "command[1]" must be a string (got 3))"},
      {R"({"command": ["python3", "a\u0000b"]})",
       R"(liveproxy.json:1:25: "command[1]" contains a NUL character (\u0000))"},
      {R"({"command": {"run": "x"}})",
       R"(liveproxy.json:1:13: "command" must be the program and its arguments, ["python3", "app.py"], or one string for /bin/sh -c (got an object))"},
      {R"({"upstream": "http://127.0.0.1:8000/app"})",
       R"(liveproxy.json:1:14: "upstream": "http://127.0.0.1:8000/app": give the app's origin only (scheme, host and port): requests keep their own path)"},
      {R"({"upstream": 8000})",
       R"(liveproxy.json:1:14: "upstream" must be a URL such as "http://127.0.0.1:8000" (got 8000))"},
      {R"({"serve": true})", R"(liveproxy.json:1:11: "serve" must be a directory (a string) (got true))"},
      {R"({"$schema": 1})",
       R"(liveproxy.json:1:13: "$schema" must be a string (the schema's location, for editors) (got 1))"},
      {R"([{"port": 3000}])",
       R"(liveproxy.json:1:1: the file must hold a JSON object { "key": value, ... }, not an array)"},
      {"\n  \"port\"", R"(liveproxy.json:2:3: the file must hold a JSON object { "key": value, ... }, not "port")"},
      {R"(3000)", R"(liveproxy.json:1:1: the file must hold a JSON object { "key": value, ... }, not 3000)"},
  };
  for (const auto& e : examples) {
    INFO(e.text);
    CHECK(error_for(e.text) == e.message);
  }
}

TEST_CASE("an unknown key is an error, with the closest key when there is one", "[unit][config]") {
  CHECK(error_for("{\n  \"port\": 3000,\n  \"hold_timout\": 5\n}") ==
        R"(liveproxy.json:3:3: unknown key "hold_timout": did you mean "hold_timeout"?)");
  CHECK(error_for(R"({"hold-timeout": 5})") ==
        R"(liveproxy.json:1:2: unknown key "hold-timeout": did you mean "hold_timeout"?)");
  CHECK(error_for(R"({"--port": 5})") == R"(liveproxy.json:1:2: unknown key "--port": did you mean "port"?)");
  CHECK(error_for(R"({"Port": 5})") == R"(liveproxy.json:1:2: unknown key "Port": did you mean "port"?)");
  CHECK(error_for(R"({"prot": 5})") == R"(liveproxy.json:1:2: unknown key "prot": did you mean "port"?)");
  CHECK(error_for(R"({"settle": 5})") == R"(liveproxy.json:1:2: unknown key "settle": did you mean "settle_ms"?)");
  CHECK(error_for(R"({"upstream-grace": 5})") ==
        R"(liveproxy.json:1:2: unknown key "upstream-grace": did you mean "upstream_grace_ms"?)");
  CHECK(error_for(R"({"commands": ["x"]})") ==
        R"(liveproxy.json:1:2: unknown key "commands": did you mean "command"?)");
  CHECK(error_for(R"({"frobnicate": 1})") == R"(liveproxy.json:1:2: unknown key "frobnicate")");
  CHECK(error_for(R"({"x": 1})") == R"(liveproxy.json:1:2: unknown key "x")");
  CHECK(error_for(R"({"watchman": true})") ==
        R"(liveproxy.json:1:2: unknown key "watchman": did you mean "backend": "watchman"?)");
  CHECK(
      error_for(R"({"restart": "*.toml"})") ==
      R"(liveproxy.json:1:2: unknown key "restart": classification rules go in "rules": [{"glob": "...", "action": "restart"}])");
  CHECK(
      error_for(R"({"no-restart": "*.toml"})") ==
      R"(liveproxy.json:1:2: unknown key "no-restart": classification rules go in "rules": [{"glob": "...", "action": "ignore"}])");
}

TEST_CASE("a key given twice, and settings the file makes contradictory", "[unit][config]") {
  CHECK(error_for(R"({"port": 1, "port": 2})") == R"(liveproxy.json:1:13: "port" is given twice (first at 1:2))");
  CHECK(
      error_for("{\n  \"command\": [\"x\"],\n  \"upstream\": \"http://127.0.0.1:8000\"\n}") ==
      R"(liveproxy.json:3:3: "upstream" and "command" (at 2:3) exclude each other: liveproxy either runs the app or proxies one you started)");
  CHECK(
      error_for(R"({"serve": ".", "command": "x"})") ==
      R"(liveproxy.json:1:16: "command" and "serve" (at 1:2) exclude each other: "serve" serves a folder without an app)");
  CHECK(
      error_for(R"({"upstream": "http://127.0.0.1:1", "serve": "."})") ==
      R"(liveproxy.json:1:36: "serve" and "upstream" (at 1:2) exclude each other: "serve" serves a folder without an app)");
  CHECK(error_for(R"({"spa": true, "command": ["x"]})") ==
        R"(liveproxy.json:1:2: "spa" goes with "serve", and this file has "command" (at 1:15))");
  CHECK(error_for(R"({"upstream": "http://127.0.0.1:1", "fd": true})") ==
        R"(liveproxy.json:1:36: "fd" goes with "command", and this file has "upstream" (at 1:2))");
  CHECK(error_for(R"({"serve": ".", "restart_on_crash": true})") ==
        R"(liveproxy.json:1:16: "restart_on_crash" goes with "command", and this file has "serve" (at 1:2))");
  CHECK(error_for(R"({"serve": ".", "preload": true})") ==
        R"(liveproxy.json:1:16: "preload" goes with "command", and this file has "serve" (at 1:2))");
  CHECK(error_for(R"({"command": ["x"], "upstream_host": true})") ==
        R"(liveproxy.json:1:20: "upstream_host" goes with "upstream", and this file has "command" (at 1:2))");
  CHECK(error_for(R"({"backend": "watchman", "poll_ms": 100})") ==
        R"(liveproxy.json:1:25: "poll_ms" goes with "backend": "poll", and the backend here is "watchman" (at 1:13))");
  // Without a mode in the file, whether "spa" fits is for the merged configuration to judge.
  temp_dir dir;
  CHECK(read_config(dir, R"({"spa": true, "upstream_insecure": true, "fd": true})").spa);
}

TEST_CASE("a broken file leaves the config exactly as it was", "[unit][config]") {
  temp_dir dir;
  write_file(dir / "liveproxy.json", R"({"command": ["python3", "app.py"], "port": 4000, "settle_ms": 100,
                                          "rules": [{"glob": "*.toml", "action": "restart"}]})");
  config cfg;
  apply_config_file(cfg, dir / "liveproxy.json");
  const config good = cfg;
  // Every setting before the mistake is valid; the mistake is in the last key, or only in a combination.
  for (const std::string_view broken : {
           R"({"command": ["node", "x.js"], "port": 5000, "watch": ["."], "env": {"A": "1"}, "hold_timeout": "soon"})",
           R"({"command": ["node", "x.js"], "port": 5000, "rules": [], "upstream": "http://127.0.0.1:1"})",
           R"({"port": 5000, "settle_ms": 1, "backend": "watchman", "poll_ms": 100})",
           R"({"port": 5000, "settle_ms": 1, "port": 5001})",
           R"({"port": 5000, "settle_ms": 1)",
           R"({"port": 5000, "settle_ms": 1, "nonsense": 1})",
       }) {
    INFO(broken);
    write_file(dir / "liveproxy.json", broken);
    CHECK_THROWS_AS(apply_config_file(cfg, dir / "liveproxy.json"), config_error);
    CHECK(changed_settings(good, cfg).empty());
    CHECK(cfg.port_given == good.port_given);
    CHECK(cfg.js_runs_on_server == good.js_runs_on_server);
  }
  std::filesystem::remove(dir / "liveproxy.json");
  CHECK_THROWS_AS(apply_config_file(cfg, dir / "liveproxy.json"), config_error);
  CHECK(changed_settings(good, cfg).empty());
}

TEST_CASE("a file that cannot be read says why", "[unit][config]") {
  temp_dir dir;
  config cfg;
  const auto missing = dir / "liveproxy.json";
  CHECK_THROWS_WITH(apply_config_file(cfg, missing), missing.string() + ": cannot read: No such file or directory");
  std::filesystem::create_directories(dir / "sub/liveproxy.json");
  CHECK_THROWS_WITH(apply_config_file(cfg, dir / "sub/liveproxy.json"),
                    (dir / "sub/liveproxy.json").string() + ": cannot read: it is a directory");
  write_file(dir / "big.json", "{\"port\": 1, \"ignore\": [" + std::string(1 << 20, ' ') + "]}");
  CHECK_THROWS_WITH(apply_config_file(cfg, dir / "big.json"),
                    (dir / "big.json").string() + ": larger than 1 MiB: not a liveproxy configuration file");
  if (::geteuid() != 0) {  // root reads anything
    write_file(missing, "{}");
    std::filesystem::permissions(missing, std::filesystem::perms::none);
    CHECK_THROWS_WITH(apply_config_file(cfg, missing), missing.string() + ": cannot read: Permission denied");
  }
}

TEST_CASE("a FIFO, socket or device named liveproxy.json is refused at once, never read", "[unit][config]") {
  temp_dir dir;
  const auto fifo = dir / "liveproxy.json";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  config cfg;
  // Opening a FIFO for reading blocks until a writer comes: this would hang if the reader opened it that way.
  CHECK_THROWS_WITH(apply_config_file(cfg, fifo),
                    fifo.string() + ": cannot read: it is not a regular file but a FIFO: liveproxy reads its "
                                    "settings from a file only");
  CHECK_THROWS_WITH(apply_config_file(cfg, "/dev/zero"),
                    "/dev/zero: cannot read: it is not a regular file but a device: liveproxy reads its settings "
                    "from a file only");
  // Replaced by a regular file, it is read as usual.
  std::filesystem::remove(fifo);
  CHECK(read_config(dir, R"({"port": 3002})").port == 3002);
}

TEST_CASE("control characters from the file are escaped in messages, never printed", "[unit][config]") {
  // An ESC sequence in a key would clear the terminal or set its title; a NUL would cut the message short.
  CHECK(error_for(R"({"\u001b]0;owned\u0007\u001b[2J": 1})") ==
        R"(liveproxy.json:1:2: unknown key "\x1b]0;owned\x07\x1b[2J")");
  CHECK(error_for("{\n \x1b[31m\"port\": 3000}") ==
        "liveproxy.json:2:2: invalid JSON: expected a key in double quotes, got a control character (U+001B)");
  CHECK(error_for(std::string("{\"port\": 3000,\n \0 }", 19)) ==
        "liveproxy.json:2:2: invalid JSON: expected a key in double quotes, got a control character (U+0000)");
  CHECK(error_for(R"({"port": "\u009b2J"})") == R"(liveproxy.json:1:10: "port" must be a whole number from 0 to 65535 (got "\u009b2J"))");
  CHECK(error_for(R"({"ignore": [1], "x\u009by": 1})") == R"(liveproxy.json:1:13: "ignore[0]" must be a glob (a string) (got 1))");
  CHECK(error_for(R"({"x\u009by": 1})") == R"(liveproxy.json:1:2: unknown key "x\x9by")");
}

TEST_CASE("liveproxy.json is found in the directory it is looked for in", "[unit][config]") {
  temp_dir dir;
  CHECK_FALSE(find_config_file(dir.path()));
  write_file(dir / "liveproxy.json", "{}");
  CHECK(find_config_file(dir.path()) == dir / "liveproxy.json");
  if (const auto here = find_config_file("")) CHECK(*here == std::filesystem::path("liveproxy.json"));
  // A dangling symlink is found, so that reading it says what is wrong instead of liveproxy ignoring it.
  temp_dir other;
  std::filesystem::create_symlink(other / "gone.json", other / "liveproxy.json");
  CHECK(find_config_file(other.path()) == other / "liveproxy.json");
}
