// The command line is the contract every integration test is written against.
#include "proxy/settings/config.hpp"
#include "proxy/app/project_presets.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace liveproxy;

namespace {

config parse(std::vector<const char*> args) {
  args.insert(args.begin(), "liveproxy");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

}  // namespace

TEST_CASE("defaults and the app command after --", "[unit][config]") {
  const auto cfg = parse({"--", "python3", "app.py", "{port}"});
  CHECK(cfg.port == 3000);
  CHECK(cfg.host == "127.0.0.1");
  CHECK(cfg.app_port == 0);
  CHECK(cfg.hold_timeout == std::chrono::seconds(30));
  REQUIRE(cfg.watch_dirs.size() == 1);
  CHECK(cfg.watch_dirs[0] == std::filesystem::current_path());
  CHECK(cfg.app_command == std::vector<std::string>{"python3", "app.py", "{port}"});
}

TEST_CASE("options are parsed and validated", "[unit][config]") {
  const auto cfg = parse({"--port", "0", "--app-port", "4100", "--hold-timeout", "1.5", "--watch", "/tmp", "--watch",
                          ".", "--ignore", "*.tmp", "--poll", "--", "x"});
  CHECK(cfg.port == 0);
  CHECK(cfg.app_port == 4100);
  CHECK(cfg.hold_timeout == std::chrono::milliseconds(1500));
  CHECK(cfg.watch_dirs.size() == 2);
  CHECK(cfg.ignores == std::vector<std::string>{"*.tmp"});
  REQUIRE(cfg.poll_interval);
  CHECK(*cfg.poll_interval == std::chrono::milliseconds(500));
  CHECK(*parse({"--poll", "250", "--", "x"}).poll_interval == std::chrono::milliseconds(250));
}

TEST_CASE("the watchman flag is a flag and excludes polling", "[unit][config]") {
  CHECK_FALSE(parse({"--", "x"}).use_watchman);
  const auto cfg = parse({"--watchman", "--", "x"});
  CHECK(cfg.use_watchman);
  CHECK_FALSE(cfg.poll_interval);
  CHECK_THROWS_WITH(parse({"--watchman", "--poll", "--", "x"}), Catch::Contains("--poll and --watchman"));
  CHECK(usage_text().find("--watchman") != std::string::npos);
}

TEST_CASE("bad command lines say what is wrong", "[unit][config]") {
  CHECK_THROWS_WITH(parse({"--port", "70000", "--", "x"}), Catch::Contains("--port") && Catch::Contains("70000"));
  CHECK_THROWS_WITH(parse({"--port"}), Catch::Contains("--port needs a value"));
  CHECK_THROWS_WITH(parse({"--frobnicate", "--", "x"}), Catch::Contains("unknown option --frobnicate"));
  CHECK_THROWS_WITH(parse({"python3"}), Catch::Contains("after --"));
  CHECK(parse({}).detect_project);  // what to run then comes from the project in the directory
  CHECK_FALSE(parse({"--", "x"}).detect_project);
  CHECK_THROWS_WITH(parse({"--watch", "/no/such/dir", "--", "x"}), Catch::Contains("not a directory"));
  CHECK_THROWS_WITH(parse({"--hold-timeout", "soon", "--", "x"}), Catch::Contains("--hold-timeout"));
}

TEST_CASE("{port} is replaced anywhere inside an argument", "[unit][config]") {
  CHECK(expand_placeholders({"runserver", "127.0.0.1:{port}", "--p={port}{port}", "plain"}, 8123) ==
        std::vector<std::string>{"runserver", "127.0.0.1:8123", "--p=81238123", "plain"});
}

TEST_CASE("supervision options: start timeout - restart on crash - socket hand-off", "[unit][config]") {
  const auto d = parse({"--", "x"});
  CHECK(d.start_timeout == std::chrono::seconds(20));
  CHECK_FALSE(d.restart_on_crash);
  CHECK_FALSE(d.socket_handoff);
  const auto cfg = parse({"--start-timeout", "2.5", "--restart-on-crash", "--fd", "--", "x"});
  CHECK(cfg.start_timeout == std::chrono::milliseconds(2500));
  CHECK(cfg.restart_on_crash);
  CHECK(cfg.socket_handoff);
  CHECK_THROWS_AS(parse({"--start-timeout", "0", "--", "x"}), config_error);
  CHECK_THROWS_AS(parse({"--start-timeout", "--", "x"}), config_error);
  CHECK(expand_placeholders({"gunicorn", "--bind", "fd://{fd}", "p{port}"}, 4100) ==
        std::vector<std::string>{"gunicorn", "--bind", "fd://3", "p4100"});
}

TEST_CASE("debounce timing: --settle and --coalesce in milliseconds, validated", "[unit][config]") {
  const auto d = parse({"--", "x"});
  CHECK(d.restart_settle == std::chrono::milliseconds(80));
  CHECK(d.browser_coalesce == std::chrono::milliseconds(30));
  const auto cfg = parse({"--settle", "250", "--coalesce", "0", "--", "x"});
  CHECK(cfg.restart_settle == std::chrono::milliseconds(250));
  CHECK(cfg.browser_coalesce == std::chrono::milliseconds(0));
  CHECK(parse({"--settle", "10000", "--", "x"}).restart_settle == std::chrono::milliseconds(10000));

  CHECK_THROWS_WITH(parse({"--settle", "soon", "--", "x"}),
                    Catch::Contains("--settle") && Catch::Contains("0 to 10000") && Catch::Contains("'soon'"));
  CHECK_THROWS_WITH(parse({"--settle", "-5", "--", "x"}), Catch::Contains("--settle"));
  CHECK_THROWS_WITH(parse({"--settle", "10001", "--", "x"}), Catch::Contains("--settle"));
  CHECK_THROWS_WITH(parse({"--settle", "1.5", "--", "x"}), Catch::Contains("--settle"));
  CHECK_THROWS_WITH(parse({"--coalesce", "20000", "--", "x"}), Catch::Contains("--coalesce"));
  CHECK_THROWS_WITH(parse({"--coalesce"}), Catch::Contains("--coalesce needs a value"));
  CHECK_THROWS_AS(parse({"--settle", "--", "x"}), config_error);

  const std::string usage = usage_text();
  CHECK(usage.find("--settle MS") != std::string::npos);
  CHECK(usage.find("restarts (default 80;") != std::string::npos);
  CHECK(usage.find("--coalesce MS") != std::string::npos);
  CHECK(usage.find("together (default 30)") != std::string::npos);
}

TEST_CASE("an app command that runs server-side JavaScript is recognised", "[unit][config]") {
  const std::vector<std::vector<std::string>> javascript = {
      {"node", "server.js"},
      {"/usr/bin/node", "examples/node/server.js"},
      {"nodejs", "app.js"},
      {"deno", "run", "--allow-net", "main.ts"},
      {"bun", "run", "index.ts"},
      {"tsx", "watch", "src/server.ts"},
      {"ts-node", "src/server.ts"},
      {"nodemon", "app.js"},
      {"npm", "run", "dev"},
      {"npx", "next", "dev", "-p", "{port}"},
      {"yarn", "start"},
      {"pnpm", "dev"},
      {"/usr/bin/env", "node", "server.js"},
      {"env", "NODE_ENV=development", "PORT={port}", "node", "server.js"},
      {"env", "-i", "node", "server.js"},
  };
  for (const auto& cmd : javascript) {
    INFO(cmd[0] << " " << (cmd.size() > 1 ? cmd[1] : ""));
    CHECK(runs_server_javascript(cmd));
  }
  const std::vector<std::vector<std::string>> other = {
      {"python3", "app.py"},
      {"/usr/bin/python3", "manage.py", "runserver"},
      {"gunicorn", "app:application"},
      {"ruby", "node.rb"},         // only the program counts, not its arguments
      {"nodeapp"},                 // a name that merely starts with "node"
      {"/opt/node/bin/python3"},   // nor a directory called node
      {"env", "python3", "app.py"},
      {"env", "FOO=1"},
      {"sh", "-c", "node server.js"},  // shells are not looked into
      {},
  };
  for (const auto& cmd : other) {
    INFO((cmd.empty() ? std::string("(empty)") : cmd[0]));
    CHECK_FALSE(runs_server_javascript(cmd));
  }
  CHECK(parse({"--", "node", "server.js"}).js_runs_on_server);
  CHECK_FALSE(parse({"--", "python3", "app.py"}).js_runs_on_server);
}

TEST_CASE("an --upstream URL takes an origin instead of a command", "[unit][config]") {
  const auto cfg = parse({"--upstream", "http://127.0.0.1:8000", "--upstream-host", "--upstream-grace", "300"});
  REQUIRE(cfg.upstream);
  CHECK_FALSE(cfg.upstream->tls);
  CHECK(cfg.upstream->host == "127.0.0.1");
  CHECK(cfg.upstream->port == 8000);
  CHECK(cfg.upstream_host);
  CHECK(cfg.upstream_grace == std::chrono::milliseconds(300));
  CHECK(cfg.app_command.empty());
  CHECK_THROWS_WITH(parse({"--upstream", "http://127.0.0.1:8000", "--", "x"}), Catch::Contains("exclude each other"));
  CHECK_THROWS_WITH(parse({"--upstream", "ftp://x"}), Catch::Contains("--upstream ftp://x") && Catch::Contains("http://"));
  CHECK_THROWS_WITH(parse({"--upstream", "http://x:8000", "--fd"}), Catch::Contains("--fd needs a COMMAND"));
  CHECK_THROWS_WITH(parse({"--upstream-insecure", "--", "x"}), Catch::Contains("go with --upstream"));
}

TEST_CASE("connection limits and timeouts are options", "[unit][config]") {
  const auto cfg = parse({"--max-connections", "50", "--idle-timeout", "5", "--header-timeout", "2.5", "--", "x"});
  CHECK(cfg.max_connections == 50);
  CHECK(cfg.idle_timeout == std::chrono::milliseconds(5000));
  CHECK(cfg.header_timeout == std::chrono::milliseconds(2500));
  CHECK(parse({"--", "x"}).max_connections == default_max_connections());
  CHECK(default_max_connections() >= 16);
  CHECK_THROWS_WITH(parse({"--max-connections", "0", "--", "x"}), Catch::Contains("--max-connections"));
}

TEST_CASE("classification rules and environment on the command line", "[unit][config]") {
  const auto cfg = parse({"--restart", "config/*.yaml", "--no-restart", "scripts/", "--css", "*.scss", "--reload",
                          "*.md", "--env", "DEBUG=1", "--env", "A=b=c", "--", "x"});
  REQUIRE(cfg.rules.size() == 4);
  CHECK(cfg.rules[0].glob == "config/*.yaml");
  CHECK(cfg.rules[0].act == liveproxy::watcher::action::restart);
  CHECK(cfg.rules[1].act == liveproxy::watcher::action::ignore);
  CHECK(cfg.rules[2].act == liveproxy::watcher::action::css);
  CHECK(cfg.rules[3].act == liveproxy::watcher::action::reload);
  CHECK(cfg.env == std::vector<std::string>{"DEBUG=1", "A=b=c"});
  CHECK_THROWS_WITH(parse({"--env", "NOVALUE", "--", "x"}), Catch::Contains("NAME=VALUE"));
}

TEST_CASE("options read as a user types them", "[unit][config]") {
  const auto cfg = parse({"--port=0", "--hold-timeout=2", "--host=localhost", "--poll=250", "--watch=/tmp", "--", "x"});
  CHECK(cfg.port == 0);
  CHECK(cfg.port_given);
  CHECK(cfg.hold_timeout == std::chrono::milliseconds(2000));
  CHECK(cfg.host == "127.0.0.1");  // localhost binds IPv4 loopback, where http://127.0.0.1 also reaches it
  CHECK(*cfg.poll_interval == std::chrono::milliseconds(250));
  CHECK_FALSE(parse({"--", "x"}).port_given);
  CHECK_THROWS_WITH(parse({"--prot", "3000", "--", "x"}), Catch::Contains("did you mean --port?"));
  CHECK_THROWS_WITH(parse({"--hold-timout", "3", "--", "x"}), Catch::Contains("did you mean --hold-timeout?"));
  CHECK_THROWS_WITH(parse({"--zzzzzz", "--", "x"}), !Catch::Contains("did you mean"));
  CHECK_THROWS_WITH(parse({"--port", "--", "x"}), Catch::Contains("--port needs a value"));
  CHECK_THROWS_WITH(parse({"--watch", "--port", "3000", "--", "x"}), Catch::Contains("not the option --port"));
  CHECK_THROWS_WITH(parse({"--watchman=yes", "--", "x"}), Catch::Contains("--watchman takes no value"));
  CHECK_THROWS_WITH(parse({"--host", "no-such-host.invalid", "--", "x"}), Catch::Contains("does not resolve"));
}

TEST_CASE("a port placeholder nothing will replace is pointed out", "[unit][config]") {
  CHECK(parse({"--", "python3", "app.py", "{port}"}).warnings.empty());
  CHECK(parse({"--", "sh", "-c", "exec app --port $PORT"}).warnings.empty());  // that shell expands it
  for (const char* wrong : {"$PORT", "--port={PORT}", "{{port}}", "%PORT%"}) {
    INFO(wrong);
    const auto cfg = parse({"--", "python3", "app.py", wrong});
    REQUIRE(cfg.warnings.size() == 1);
    CHECK_THAT(cfg.warnings[0], Catch::Contains("{port}"));
  }
}

TEST_CASE("Django's autoreloader left on is pointed out", "[unit][config]") {
  const auto on = parse({"--", "python3", "manage.py", "runserver", "127.0.0.1:{port}"});
  REQUIRE(on.warnings.size() == 1);
  CHECK_THAT(on.warnings[0], Catch::Contains("--noreload"));
  CHECK(parse({"--", "python3", "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"}).warnings.empty());
}

TEST_CASE("the options for preloading and speculative restart", "[unit][config]") {
  const auto plain = parse({"--", "python3", "app.py"});
  CHECK_FALSE(plain.preload);
  CHECK(plain.speculative_restart);
  CHECK(parse({"--preload", "--", "python3", "app.py"}).preload == true);
  CHECK(parse({"--no-preload", "--", "python3", "app.py"}).preload == false);
  CHECK_FALSE(parse({"--no-speculative-restart", "--", "python3", "app.py"}).speculative_restart);
  CHECK_THROWS_WITH(parse({"--preload", "--serve", "."}), Catch::Contains("--preload need a COMMAND"));
  CHECK_THROWS_WITH(parse({"--preload", "--upstream", "http://127.0.0.1:8000"}),
                    Catch::Contains("--preload need a COMMAND"));

  // A preset turns preloading on unless the user said otherwise.
  liveproxy::project_preset django;
  django.command = {"/usr/bin/python3", "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"};
  django.preload = true;
  auto detected = parse({});
  liveproxy::apply_preset(detected, django);
  CHECK(detected.preload == true);
  auto refused = parse({"--no-preload"});
  liveproxy::apply_preset(refused, django);
  CHECK(refused.preload == false);
  const std::string usage = usage_text();
  CHECK(usage.find("--preload") != std::string::npos);
  CHECK(usage.find("--no-speculative-restart") != std::string::npos);
}
