// Every example starts behind liveproxy with the command its README gives, and its pages get the client.
#include "support/http_client.hpp"
#include "support/script_tag.hpp"
#include "support/liveproxy_process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

struct example {
  std::string name;
  std::vector<std::string> command;  // after "--", as in the README, run from the repository root
  std::string page;
  std::string stylesheet;
};

bool have_node() {
  try {
    process p({"node", "--version"});
    const auto status = p.wait_exit(10s);
    return status && *status == 0;
  } catch (const std::exception&) {
    return false;
  }
}

// The PID the Flask example prints in its footer, or "" if the page has none.
std::string footer_pid(const std::string& page) {
  static const std::regex footer(R"(Flask process (\d+))");
  std::smatch m;
  return std::regex_search(page, m, footer) ? m[1].str() : std::string();
}

}  // namespace

TEST_CASE("each example runs behind liveproxy as its README says", "[integration][net][examples]") {
  const example ex = GENERATE(values<example>({
      {"flask", {"/usr/bin/python3", "examples/flask/app.py"}, "/", "/static/style.css"},
      {"static",
       {"/usr/bin/python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1", "--directory", "examples/static"},
       "/",
       "/style.css"},
      {"django",
       {"/usr/bin/python3", "examples/django/manage.py", "runserver", "--noreload", "127.0.0.1:{port}"},
       "/",
       "/static/style.css"},
      {"node", {"node", "examples/node/server.js"}, "/", "/style.css"},
  }));
  INFO("example: " << ex.name);
  if (ex.name == "node" && !have_node()) {
    WARN("node is not installed: skipping the node example");
    return;
  }

  std::vector<std::string> args = {"--port", "0", "--watch", "examples/" + ex.name, "--"};
  args.insert(args.end(), ex.command.begin(), ex.command.end());
  process_options opts;
  opts.cwd = LIVEPROXY_SOURCE_DIR;
  opts.name = "liveproxy (example " + ex.name + ")";
  // Keep the source tree clean: no __pycache__ next to the examples.
  opts.env = {{"PYTHONDONTWRITEBYTECODE", "1"}};
  liveproxy_process proxy(args, opts);

  // The first request is held until the app listens (Django takes a moment).
  const auto page = http_get(proxy.port(), ex.page, {}, 20s);
  INFO(page.error);
  REQUIRE(page.ok());
  CHECK(page.status == 200);
  CHECK(page.header("Content-Type").find("text/html") == 0);
  CHECK(count_injected(page.body) == 1);
  if (page.count("Content-Length") == 1) CHECK(page.header("Content-Length") == std::to_string(page.body.size()));

  const auto css = http_get(proxy.port(), ex.stylesheet);
  INFO(css.error);
  CHECK(css.status == 200);
  CHECK(css.header("Content-Type").find("text/css") == 0);
  CHECK(css.body.find("<script") == std::string::npos);
}

TEST_CASE("the Flask example live-reloads end to end", "[integration][fs][net][examples]") {
  // A copy, so the test can edit it; run the way its README says, with a relative --watch.
  temp_dir root("liveproxy-flask");
  std::filesystem::copy(std::filesystem::path(LIVEPROXY_SOURCE_DIR) / "examples/flask", root / "flask",
                        std::filesystem::copy_options::recursive);
  process_options opts;
  opts.cwd = root.path();
  opts.name = "liveproxy (flask copy)";
  opts.env = {{"PYTHONDONTWRITEBYTECODE", "1"}};
  liveproxy_process proxy({"--port", "0", "--watch", "flask", "--", "/usr/bin/python3", "flask/app.py"}, opts);

  const auto first = http_get(proxy.port(), "/", {}, 20s);
  INFO(first.error);
  REQUIRE(first.status == 200);
  const std::string pid = footer_pid(first.body);
  REQUIRE_FALSE(pid.empty());

  ws_client ws(proxy.port());
  INFO("ws: " << ws.error());
  const auto hello = ws.read_json_message(5s);
  REQUIRE(hello);
  REQUIRE(hello->at("type") == "hello");

  SECTION("stylesheet: swapped in place, path relative to the watched directory") {
    write_file(root / "flask/static/style.css", read_file(root / "flask/static/style.css") + "h1 { color: crimson; }\n");
    const auto msg = ws.read_json_message(10s);
    REQUIRE(msg);
    CHECK(msg->at("type") == "css");
    if (msg->count("path") == 1) CHECK(msg->at("path") == "/static/style.css");
    CHECK(http_get(proxy.port(), "/static/style.css").body.find("crimson") != std::string::npos);
  }
  SECTION("template: reload, same process, new text (Flask re-reads templates)") {
    std::string page = read_file(root / "flask/templates/index.html");
    page.replace(page.find("Hello from Flask"), 16, "Hello, edited");
    write_file(root / "flask/templates/index.html", page);
    const auto msg = ws.read_json_message(10s);
    REQUIRE(msg);
    CHECK(msg->at("type") == "reload");
    const auto after = http_get(proxy.port(), "/");
    CHECK(after.body.find("Hello, edited") != std::string::npos);
    CHECK(footer_pid(after.body) == pid);
  }
  SECTION("code: restart, then reload") {
    write_file(root / "flask/app.py", read_file(root / "flask/app.py") + "\n# edited by the test\n");
    const auto msg = ws.read_json_message(20s);
    REQUIRE(msg);
    CHECK(msg->at("type") == "reload");
    const auto after = http_get(proxy.port(), "/", {}, 10s);
    CHECK(after.status == 200);
    const std::string new_pid = footer_pid(after.body);
    CHECK_FALSE(new_pid.empty());
    CHECK(new_pid != pid);
  }
}
