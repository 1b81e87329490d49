// Every example starts behind liveproxy with the command its README gives, and its pages get the client.
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

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
  const std::string tag = R"(<script src="/__liveproxy/client.js"></script>)";
  const auto first = page.body.find(tag);
  CHECK(first != std::string::npos);
  CHECK(page.body.find(tag, first + 1) == std::string::npos);
  if (page.count("Content-Length") == 1) CHECK(page.header("Content-Length") == std::to_string(page.body.size()));

  const auto css = http_get(proxy.port(), ex.stylesheet);
  INFO(css.error);
  CHECK(css.status == 200);
  CHECK(css.header("Content-Type").find("text/css") == 0);
  CHECK(css.body.find("<script") == std::string::npos);
}
