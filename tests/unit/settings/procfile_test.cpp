// Procfile.dev as apps: parsing ("name: command", comments, mistakes with their line) and what becomes of each line.
#include "proxy/settings/procfile.hpp"

#include <catch2/catch.hpp>

using namespace liveproxy;

TEST_CASE("Procfile lines are name: command, with blank lines and comments skipped", "[unit]") {
  const auto e = parse_procfile("# processes\n\nweb: bin/rails server -p $PORT\r\ncss:   bin/rails tailwindcss:watch  \n"
                                "js: yarn build --watch",
                                "Procfile.dev");
  REQUIRE(e.size() == 3);
  CHECK(e[0].name == "web");
  CHECK(e[0].command == "bin/rails server -p $PORT");
  CHECK(e[0].line == 3);
  // The first colon ends the name: the command may hold more.
  CHECK(e[1].command == "bin/rails tailwindcss:watch");
  CHECK(e[2].name == "js");
  CHECK(e[2].line == 5);
}

TEST_CASE("a Procfile line that is not name: command is refused with its line", "[unit]") {
  CHECK_THROWS_WITH(parse_procfile("web: a\nnot a process line\n", "Procfile.dev"),
                    "Procfile.dev:2: expected \"name: command\" (a process name, a colon, the command to run)");
  CHECK_THROWS_WITH(parse_procfile("web:\n", "Procfile.dev"),
                    "Procfile.dev:1: expected \"name: command\" (a process name, a colon, the command to run)");
  CHECK_THROWS_WITH(parse_procfile("web: a\n\nweb: b\n", "P"), "P:3: \"web\" is named twice (first on line 1)");
}

TEST_CASE("Procfile's web process answers / and the others run beside it", "[unit]") {
  const auto entries = parse_procfile("web: ./server\nworker: ./work --queue default\n", "Procfile.dev");
  config cfg;
  cfg.detect_project = true;
  apply_procfile(cfg, entries, false);
  CHECK_FALSE(cfg.detect_project);
  CHECK(cfg.app_name == "web");
  CHECK(cfg.app_command == std::vector<std::string>{"/bin/sh", "-c", "./server"});
  CHECK(cfg.app_routes == std::vector<std::string>{"/"});
  REQUIRE(cfg.apps.size() == 1);
  CHECK(cfg.apps[0].name == "worker");
  CHECK(cfg.apps[0].command == std::vector<std::string>{"/bin/sh", "-c", "./work --queue default"});
  CHECK(cfg.apps[0].routes.empty());

  // Without a web line (or with the project's own app as the main one), every line runs beside it.
  config found;
  found.detect_project = true;
  apply_procfile(found, parse_procfile("css: npx tailwindcss --watch\n", "Procfile.dev"), true);
  CHECK(found.detect_project);
  CHECK(found.app_command.empty());
  REQUIRE(found.apps.size() == 1);
  CHECK(found.apps[0].routes.empty());
}
