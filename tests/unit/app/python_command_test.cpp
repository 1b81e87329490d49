// --preload reads the app's command as Python would: which interpreter, which options, script or -m module, and
// console scripts through their #! line (real files on disk).
#include "proxy/app/python_preload.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using liveproxy::parse_python_command;
using liveproxy::preload_files;
using liveproxy::python_command;
using liveproxy::test::temp_dir;
using strings = std::vector<std::string>;

namespace {

std::optional<python_command> parse(const strings& argv, std::string* why = nullptr) {
  std::string why_not;
  auto cmd = parse_python_command(argv, why_not);
  if (why) *why = why_not;
  return cmd;
}

std::filesystem::path write_script(const temp_dir& dir, const std::string& name, const std::string& text) {
  const auto path = dir.path() / name;
  std::ofstream(path) << text;
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

}  // namespace

TEST_CASE("a script run by python keeps the interpreter, its options and the script's arguments", "[unit]") {
  const auto cmd = parse({"/usr/bin/python3", "-u", "-X", "dev", "-Werror", "manage.py", "runserver", "-v", "2"});
  REQUIRE(cmd);
  CHECK(cmd->interpreter == "/usr/bin/python3");
  CHECK(cmd->flags == strings{"-u", "-X", "dev", "-Werror"});
  CHECK(cmd->args == strings{"manage.py", "runserver", "-v", "2"});
}

TEST_CASE("a module run with -m, joined or not, is kept as -m MODULE", "[unit]") {
  const auto a = parse({"python3.11", "-B", "-m", "flask", "--app", "app", "run"});
  REQUIRE(a);
  CHECK(a->flags == strings{"-B"});
  CHECK(a->args == strings{"-m", "flask", "--app", "app", "run"});
  const auto b = parse({"python", "-muvicorn", "main:app"});
  REQUIRE(b);
  CHECK(b->args == strings{"-m", "uvicorn", "main:app"});
}

TEST_CASE("commands a warm interpreter cannot stand in for are refused with the reason", "[unit]") {
  std::string why;
  CHECK_FALSE(parse({"node", "server.js"}, &why));
  CHECK(why.find("does not start Python") != std::string::npos);
  CHECK_FALSE(parse({"python3", "-c", "print(1)"}, &why));
  CHECK(why.find("-c") != std::string::npos);
  CHECK_FALSE(parse({"python3", "-I", "app.py"}, &why));
  CHECK(why.find("-I") != std::string::npos);
  CHECK_FALSE(parse({"python3", "-"}, &why));
  CHECK(why.find("standard input") != std::string::npos);
  CHECK_FALSE(parse({"python3", "-u"}, &why));
  CHECK(why.find("no script") != std::string::npos);
  CHECK_FALSE(parse({"python3", "-m"}, &why));
  CHECK_FALSE(parse({}, &why));
}

TEST_CASE("a console script is run by the Python its #! line names", "[unit][fs]") {
  temp_dir dir("liveproxy-pycmd");
  const auto env_script = write_script(dir, "flask", "#!/usr/bin/env python3\nimport sys\n");
  const auto direct = write_script(dir, "gunicorn", "#!/opt/venv/bin/python3.11 -s\nimport sys\n");
  const auto shell = write_script(dir, "tool", "#!/bin/sh\necho hi\n");

  const auto a = parse({env_script.string(), "--app", "app", "run"});
  REQUIRE(a);
  CHECK(a->interpreter == "python3");
  CHECK(a->flags.empty());
  CHECK(a->args == strings{env_script.string(), "--app", "app", "run"});

  const auto b = parse({direct.string(), "app:app"});
  REQUIRE(b);
  CHECK(b->interpreter == "/opt/venv/bin/python3.11");
  CHECK(b->flags == strings{"-s"});
  CHECK(b->args == strings{direct.string(), "app:app"});

  std::string why;
  CHECK_FALSE(parse({shell.string()}, &why));
  CHECK(why.find("does not start Python") != std::string::npos);
}

TEST_CASE("the warm interpreter's files live in a private directory that goes away with it", "[unit][fs]") {
  std::filesystem::path dir;
  {
    preload_files files;
    const auto cmd = files.command(python_command{"/usr/bin/python3", {"-u"}, {"manage.py", "runserver"}});
    REQUIRE(cmd.size() == 5);
    CHECK(cmd[0] == "/usr/bin/python3");
    CHECK(cmd[1] == "-u");
    CHECK(cmd[3] == "manage.py");
    dir = std::filesystem::path(cmd[2]).parent_path();
    CHECK(std::filesystem::is_regular_file(cmd[2]));
    CHECK((std::filesystem::status(dir).permissions() & std::filesystem::perms::others_all) ==
          std::filesystem::perms::none);
    const auto env = files.env({"/srv/project"});
    CHECK(env == strings{"LIVEPROXY_PRELOAD_LEARN=" + files.modules_file().string(),
                         "LIVEPROXY_PRELOAD_EXCLUDE=/srv/project"});
  }
  CHECK_FALSE(std::filesystem::exists(dir));
}
