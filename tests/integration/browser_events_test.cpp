// CSS and template edits reach the browser without restarting the app; ignored files do nothing.
#include "support/http_client.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

// Opens the reload socket and consumes the hello; returns its generation (or -1).
long connect_and_greet(ws_client& ws) {
  if (!ws.connected()) return -1;
  const auto hello = ws.read_json_message(5s);
  if (!hello || hello->count("type") == 0 || hello->at("type") != "hello" || hello->count("generation") == 0)
    return -1;
  return std::stol(hello->at("generation"));
}

}  // namespace

TEST_CASE("a CSS edit sends a css event with its path and does not restart the app", "[integration][fs][net]") {
  test_site site;
  const auto pid = site.app_pid();
  REQUIRE(pid);
  ws_client ws(site.port());
  const long generation = connect_and_greet(ws);
  INFO("ws: " << ws.error());
  REQUIRE(generation >= 1);

  site.write("static/site.css", "body { color: rebeccapurple; }\n");

  const auto msg = ws.read_json_message(10s);
  INFO("ws: " << ws.error());
  REQUIRE(msg);
  CHECK(msg->at("type") == "css");
  CHECK(msg->count("path") == 1);
  if (msg->count("path") == 1) CHECK(msg->at("path") == "/static/site.css");

  CHECK(site.app_pid() == pid);
  CHECK_FALSE(site.was_stopped(*pid));
  CHECK(http_get(site.port(), "/static/site.css").body == "body { color: rebeccapurple; }\n");
  ws_client again(site.port());
  CHECK(connect_and_greet(again) == generation);
}

TEST_CASE("a template edit sends reload and does not restart the app", "[integration][fs][net]") {
  test_site site;
  const auto pid = site.app_pid();
  REQUIRE(pid);
  ws_client ws(site.port());
  const long generation = connect_and_greet(ws);
  INFO("ws: " << ws.error());
  REQUIRE(generation >= 1);

  std::string page = read_file(site.dir() / "templates/index.html");
  const auto at = page.find("template version 1");
  REQUIRE(at != std::string::npos);
  page.replace(at, 18, "template version 2");
  site.write("templates/index.html", page);

  const auto msg = ws.read_json_message(10s);
  INFO("ws: " << ws.error());
  REQUIRE(msg);
  CHECK(msg->at("type") == "reload");
  CHECK(site.app_pid() == pid);
  CHECK_FALSE(site.was_stopped(*pid));
  CHECK(http_get(site.port(), "/").body.find("template version 2") != std::string::npos);
  ws_client again(site.port());
  CHECK(connect_and_greet(again) == generation);
}

TEST_CASE("changes to ignored files do nothing", "[integration][fs][net]") {
  const std::string ignored = GENERATE(as<std::string>{}, "db.sqlite3", "node_modules/left-pad/index.js",
                                       "__pycache__/greeting.cpython-311.pyc", "greeting.pyc", ".git/index",
                                       ".greeting.py.swp");
  INFO("ignored file: " << ignored);
  test_site site;
  const auto pid = site.app_pid();
  REQUIRE(pid);
  ws_client ws(site.port());
  const long generation = connect_and_greet(ws);
  INFO("ws: " << ws.error());
  REQUIRE(generation >= 1);

  site.write(ignored, "anything at all\n");
  site.append(ignored, "and more\n");
  // The sentinel: a CSS edit made after the ignored one. Events come in order, so if the ignored
  // file had counted, a reload (or a restart) would precede or replace this css event.
  site.write("static/site.css", "body { color: teal; }\n");

  const auto msg = ws.read_json_message(10s);
  INFO("ws: " << ws.error());
  REQUIRE(msg);
  CHECK(msg->at("type") == "css");
  CHECK(site.app_pid() == pid);
  CHECK_FALSE(site.was_stopped(*pid));
  // A second sentinel round trip: still nothing but css, still the same app generation.
  site.write("static/site.css", "body { color: navy; }\n");
  const auto second = ws.read_json_message(10s);
  INFO("ws: " << ws.error());
  REQUIRE(second);
  CHECK(second->at("type") == "css");
  CHECK(site.app_pid() == pid);
  CHECK_FALSE(site.was_stopped(*pid));
  ws_client again(site.port());
  CHECK(connect_and_greet(again) == generation);
}

TEST_CASE("without --watch the working directory is watched", "[integration][fs][net]") {
  site_options opts;
  opts.pass_watch = false;  // liveproxy's cwd is the site directory
  test_site site(opts);
  ws_client ws(site.port());
  INFO("ws: " << ws.error());
  REQUIRE(connect_and_greet(ws) >= 1);

  site.write("static/site.css", "body { color: olive; }\n");
  const auto msg = ws.read_json_message(10s);
  INFO("ws: " << ws.error());
  REQUIRE(msg);
  CHECK(msg->at("type") == "css");
  if (msg->count("path") == 1) CHECK(msg->at("path") == "/static/site.css");
}

TEST_CASE("rules on the command line come before the built-in ones", "[integration][fs][net]") {
  site_options opts;
  // greeting.py would restart the app; the user says it only reloads the page. *.txt would restart; css here.
  opts.proxy_args = {"--reload", "greeting.py", "--css", "*.txt"};
  test_site site(opts);
  const auto pid = site.app_pid();
  REQUIRE(pid);
  ws_client ws(site.port());
  REQUIRE(connect_and_greet(ws) >= 1);
  site.write("greeting.py", "GREETING = 'edited'\n");
  auto msg = ws.read_json_message(10s);
  REQUIRE(msg);
  CHECK(msg->at("type") == "reload");
  site.write("notes.txt", "x\n");
  msg = ws.read_json_message(10s);
  REQUIRE(msg);
  CHECK(msg->at("type") == "css");
  CHECK(site.app_pid() == pid);
  CHECK_FALSE(site.was_stopped(*pid));
}
