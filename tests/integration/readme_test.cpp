// Every command the README shows, run as shown (or as close as a test may: a free port for the fixed ones,
// a scratch prefix for the install), in the kind of project its section describes. A README that drifts from
// what liveproxy does fails here. Not run: the set-up scripts (CI runs tests/run-all.sh itself; demo.sh would
// reconfigure the build directory the tests run from), apt-get, the benchmarks, and the pip, npm and virtualenv
// lines (the package test, tests/package, runs those).
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path source = LIVEPROXY_SOURCE_DIR;

/// The first screen of the README: where a new user must find how to install and start.
constexpr int first_screen = 40;

struct shown_command {
  int number;           ///< its line in README.md
  std::string section;  ///< the bold label or heading above the block
  std::string line;     ///< the command, without its comment
  std::string comment;  ///< what follows " # "
};

std::vector<shown_command> readme_commands() {
  std::ifstream in(source / "README.md");
  std::vector<shown_command> out;
  std::string line, section;
  bool in_sh = false;
  int number = 0;
  static const std::regex label(R"(^\*\*([^*]+)\*\*|^#+ (.+))");
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("```", 0) == 0) {
      in_sh = !in_sh && line == "```sh";
      continue;
    }
    std::smatch m;
    if (!in_sh) {
      if (std::regex_search(line, m, label)) section = m[1].matched ? m[1].str() : m[2].str();
      continue;
    }
    shown_command c{number, section, line, ""};
    if (const auto hash = line.find(" # "); hash != std::string::npos) {
      c.line = line.substr(0, hash);
      c.comment = line.substr(line.find_first_not_of(' ', hash + 2));
    }
    c.line.erase(c.line.find_last_not_of(' ') + 1);
    if (!c.line.empty()) out.push_back(c);
  }
  return out;
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

/// A folder with a python3 that imports nothing outside the standard library, as a pyenv or another
/// virtualenv's python3 would: the quick starts must work whatever python3 comes first on PATH.
const fs::path& other_python3_dir() {
  static const temp_dir dir("liveproxy-readme-python3");
  static const bool written = [] {
    write_file(dir / "python3", "#!/bin/sh\nexec /usr/bin/python3 -S \"$@\"\n");
    fs::permissions(dir / "python3", fs::perms::owner_all);
    return true;
  }();
  (void)written;
  return dir.path();
}

/// A fresh Debian's PATH with the built liveproxy first and, ahead of Debian's python3, one without its packages.
process_options fresh_shell(const fs::path& cwd) {
  process_options o;
  o.cwd = cwd;
  o.env = {{"PATH", fs::path(LIVEPROXY_BINARY).parent_path().string() + ":" + other_python3_dir().string() +
                        ":/usr/local/bin:/usr/bin:/bin"},
           {"PYTHONDONTWRITEBYTECODE", "1"}};
  return o;
}

/// The kind of project a bare `liveproxy` runs in: in the first screen its comment says it ("# Flask: ..."),
/// in the detailed quick starts the bold label above the block does (the comment is then "= liveproxy ...").
std::string project_kind(const shown_command& c) {
  if (c.comment.empty() || c.comment.rfind("= ", 0) == 0) return c.section;
  return c.comment.substr(0, c.comment.find(':'));
}

/// Writes the project of a quick start ("Flask", "Node"...) into dir.
void make_project(const std::string& kind, const fs::path& dir) {
  if (kind == "Flask") {
    write_file(dir / "app.py", "from flask import Flask\napp = Flask(__name__)\n@app.route('/')\ndef index():\n"
                               "    return '<html><head></head><body>flask</body></html>'\n");
  } else if (kind.rfind("FastAPI", 0) == 0) {
    write_file(dir / "main.py", "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/')\ndef root():\n"
                                "    return {'ok': True}\n");
  } else if (kind == "Node") {
    write_file(dir / "package.json", R"({"scripts": {"dev": "node server.js"}})");
    write_file(dir / "server.js", "require('http').createServer((q, s) => s.end('node'))"
                                  ".listen(process.env.PORT, '127.0.0.1');\n");
  } else if (kind == "A static folder") {
    write_file(dir / "index.html", "<html><head></head><body>static</body></html>\n");
  } else {
    FAIL("a quick start for a kind of project this test does not know: " << kind);
  }
}

/// The example a command of the "Anything else" block runs in: its files are named in the command.
fs::path example_for(const std::string& line) {
  if (line.find("manage.py") != std::string::npos) return source / "examples/django";
  if (line.find("app.py") != std::string::npos) return source / "examples/flask";
  if (line.find("server.js") != std::string::npos) return source / "examples/node";
  return {};
}

/// Runs a shown liveproxy command (with --port 0 added) in dir and checks that it serves a page.
void check_serves(const shown_command& c, std::vector<std::string> argv, const fs::path& dir) {
  INFO(c.section << ": " << c.line);
  argv.erase(argv.begin());  // "liveproxy": the built binary is run
  argv.insert(argv.begin(), {"--port", "0"});
  liveproxy_process proxy(argv, fresh_shell(dir), 30s);
  http_response res;
  const bool served =
      wait_until([&] { return (res = http_get(proxy.port(), "/", {}, 3s)).status == 200; }, 30s, 100ms);
  INFO(proxy.proc().output());
  CHECK(served);
  // "# = liveproxy -- ...": what the bare command says it runs must be what the README says.
  if (c.comment.rfind("= ", 0) == 0)
    CHECK(proxy.proc().output().find("the same, said in full: " + c.comment.substr(2)) != std::string::npos);
}

}  // namespace

TEST_CASE("every command the README shows works as shown", "[integration][readme]") {
  const auto commands = readme_commands();
  REQUIRE(commands.size() > 10);
  // The README opens with these two (a standing rule of the project).
  CHECK(commands[0].line == "bash examples/demo.sh");
  CHECK(commands[1].line == "bash tests/run-all.sh");
  std::unique_ptr<temp_dir> project;
  fs::path project_dir;
  std::unique_ptr<process> background_app;
  unsigned short background_port = 0;
  int run = 0;
  std::vector<std::string> started_in_first_screen;  // the kinds of project the first screen starts
  for (const auto& c : commands) {
    auto argv = words(c.line);
    if (argv[0] == "bash" || argv[0] == "ctest" || c.line.rfind("cd build && cpack", 0) == 0 ||
        (argv[0] == "cmake" && argv[1] != "--install"))
      continue;  // set-up, packaging and benchmarks: see the comment at the top
    if (argv[0] == "pip" || argv[0] == "npm" || c.line.rfind("python3 -m venv", 0) == 0 ||
        c.line.rfind(". venv/bin/activate", 0) == 0)
      continue;  // installing the wheel or the npm package: the package test (tests/package) runs these
    ++run;
    INFO("README.md:" << c.number << " (" << c.section << "): " << c.line);
    if (argv[0] == "cmake") {
      // cmake --install build --strip [--prefix ~/.local]: into a scratch prefix instead.
      temp_dir prefix("liveproxy-readme-prefix");
      process install({"cmake", "--install", fs::path(LIVEPROXY_BINARY).parent_path().string(), "--strip", "--prefix",
                       prefix.path().string()});
      REQUIRE(install.wait_exit(60s) == 0);
      process version({(prefix / "bin/liveproxy").string(), "--version"});
      CHECK(version.wait_exit(10s) == 0);
      CHECK(version.output().rfind("liveproxy ", 0) == 0);
      continue;
    }
    if (argv[0] == "django-admin") {
      // django-admin startproject mysite && cd mysite [&& liveproxy]: a new project, then liveproxy in it.
      project = std::make_unique<temp_dir>("liveproxy-readme");
      const auto cd = c.line.find(" && cd ");
      process make({"/bin/sh", "-c", c.line.substr(0, cd)}, fresh_shell(project->path()));
      REQUIRE(make.wait_exit(60s) == 0);
      project_dir = project->path();
      if (cd == std::string::npos) continue;
      const auto then = c.line.find(" && ", cd + 7);
      project_dir /= c.line.substr(cd + 7, then == std::string::npos ? std::string::npos : then - cd - 7);
      if (then == std::string::npos) continue;
      argv = words(c.line.substr(then + 4));  // the liveproxy that follows, run below
      ++run;
    }
    if (argv[0] == "/usr/bin/python3" && c.line.back() == '&') {
      // An app started by hand on 127.0.0.1:8000: here on a free port, the liveproxy line below follows it.
      project = std::make_unique<temp_dir>("liveproxy-readme");
      fs::copy(source / "examples/django", project->path(), fs::copy_options::recursive);
      background_port = free_port();
      background_app = std::make_unique<process>(
          std::vector<std::string>{"/usr/bin/python3", "manage.py", "runserver",
                                   "127.0.0.1:" + std::to_string(background_port)},
          fresh_shell(project->path()));
      project_dir = project->path();
      continue;
    }
    REQUIRE(argv[0] == "liveproxy");
    if (argv.size() >= 3 && argv[1] == "--upstream") {
      // The URL's fixed port becomes the free one an app was started on.
      if (!background_app) {
        project = std::make_unique<temp_dir>("liveproxy-readme");
        fs::copy(source / "examples/django", project->path(), fs::copy_options::recursive);
        background_port = free_port();
        background_app = std::make_unique<process>(
            std::vector<std::string>{"/usr/bin/python3", "manage.py", "runserver", "--noreload",
                                     "127.0.0.1:" + std::to_string(background_port)},
            fresh_shell(project->path()));
        project_dir = project->path();
      }
      argv[2] = std::regex_replace(argv[2], std::regex(":8000"), ":" + std::to_string(background_port));
      check_serves(c, argv, project_dir);
      background_app.reset();
      continue;
    }
    if (argv.size() >= 3 && argv[1] == "--serve") {
      temp_dir dir("liveproxy-readme");
      fs::copy(source / "examples/static", dir / argv[2], fs::copy_options::recursive);
      check_serves(c, argv, dir.path());
      continue;
    }
    if (argv.size() >= 2 && argv[1] == "--") {
      check_serves(c, argv, example_for(c.line));
      continue;
    }
    // The bare command of a quick start, in the project of its kind (Django's was made by the line above,
    // or earlier on the same line).
    REQUIRE(argv.size() == 1);
    const auto kind = project_kind(c);
    if (kind != "Django") {
      project = std::make_unique<temp_dir>("liveproxy-readme");
      make_project(kind, project->path());
      project_dir = project->path();
    }
    check_serves(c, argv, project_dir);
    if (c.number <= first_screen) started_in_first_screen.push_back(kind);
  }
  // What ran: 3 cmake --install, 2 django-admin startproject, 10 quick starts (5 in the first screen, 5 in the
  // detailed ones), 5 explicit commands, and an app started by hand with the --upstream in front of it.
  CHECK(run >= 22);
  // The first screen starts each kind of project, in this order.
  CHECK(started_in_first_screen ==
        std::vector<std::string>{"Django", "Flask", "FastAPI / Starlette", "Node", "A static folder"});
}
