// Zero-config start: a bare `liveproxy` in a project directory finds what to run. Each preset is tried on a
// project made the way its users make one (django-admin startproject where the framework has a tool).
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

process_options in_dir(const temp_dir& dir) {
  process_options o;
  o.cwd = dir.path();
  o.env = {{"PYTHONDONTWRITEBYTECODE", "1"}};
  return o;
}

/// GET / through the proxy once the app answers.
http_response first_page(liveproxy_process& proxy) {
  http_response res;
  wait_until([&] { return (res = http_get(proxy.port(), "/", {{"Accept", "text/html"}}, 3s)).status == 200; }, 30s,
             100ms);
  return res;
}

}  // namespace

TEST_CASE("presets: a Django project made by startproject runs with the bare command", "[integration][presets]") {
  temp_dir dir("liveproxy-preset-django");
  process make({"/usr/bin/python3", "-m", "django", "startproject", "mysite", "."}, in_dir(dir));
  REQUIRE(make.wait_exit(30s) == 0);
  liveproxy_process proxy({"--port", "0"}, in_dir(dir));
  const auto out = proxy.proc().output();
  INFO(out);
  CHECK(out.find("found a Django project (manage.py)") != std::string::npos);
  // PATH may have another Python first (this machine's has one without Django): the one with Django is chosen.
  CHECK(out.find("Python: /usr/bin/python3") != std::string::npos);
  CHECK(out.find("liveproxy --preload --env DJANGO_RUNSERVER_HIDE_WARNING=true -- /usr/bin/python3 manage.py runserver "
                 "--noreload 127.0.0.1:{port}") !=
        std::string::npos);
  const auto page = first_page(proxy);
  CHECK(page.status == 200);
  CHECK(page.body.find("/__liveproxy/client.js") != std::string::npos);
}

TEST_CASE("presets: a Flask app runs in debug mode, so template edits show", "[integration][presets]") {
  temp_dir dir("liveproxy-preset-flask");
  write_file(dir / "app.py",
             "from flask import Flask, render_template\n"
             "app = Flask(__name__)\n"
             "@app.route('/')\n"
             "def index():\n"
             "    return render_template('index.html')\n");
  write_file(dir / "templates/index.html", "<html><head></head><body>version one</body></html>\n");
  liveproxy_process proxy({"--port", "0"}, in_dir(dir));
  INFO(proxy.proc().output());
  CHECK(proxy.proc().output().find("found a Flask project (app.py creates a Flask app)") != std::string::npos);
  REQUIRE(first_page(proxy).body.find("version one") != std::string::npos);
  ws_client ws(proxy.port());
  REQUIRE(ws.read_json_message(5s));
  write_file(dir / "templates/index.html", "<html><head></head><body>version two</body></html>\n");
  const auto msg = ws.read_json_message(10s);
  REQUIRE(msg);
  CHECK(msg->at("type") == "reload");
  CHECK(http_get(proxy.port(), "/").body.find("version two") != std::string::npos);
}

TEST_CASE("presets: a FastAPI app runs under uvicorn", "[integration][presets]") {
  temp_dir dir("liveproxy-preset-fastapi");
  write_file(dir / "main.py",
             "from fastapi import FastAPI\n"
             "api = FastAPI()\n"
             "@api.get('/')\n"
             "def root():\n"
             "    return {'hello': 'fastapi'}\n");
  liveproxy_process proxy({"--port", "0"}, in_dir(dir));
  INFO(proxy.proc().output());
  CHECK(proxy.proc().output().find("-m uvicorn main:api") != std::string::npos);
  const auto res = first_page(proxy);
  CHECK(res.body == "{\"hello\":\"fastapi\"}");
}

TEST_CASE("presets: a Node project runs its dev script with PORT", "[integration][presets]") {
  temp_dir dir("liveproxy-preset-node");
  write_file(dir / "package.json", R"({"name": "demo", "scripts": {"dev": "node server.js", "start": "node nope.js"}})");
  write_file(dir / "server.js",
             "require('http').createServer((req, res) => res.end('node on ' + process.env.PORT))"
             ".listen(process.env.PORT, '127.0.0.1');\n");
  liveproxy_process proxy({"--port", "0"}, in_dir(dir));
  INFO(proxy.proc().output());
  CHECK(proxy.proc().output().find("package.json with a \"dev\" script") != std::string::npos);
  // A plain command: run directly (npm's own start-up would be paid at every restart), and said in full.
  CHECK(proxy.proc().output().find("the \"dev\" script is run directly") != std::string::npos);
  CHECK(proxy.proc().output().find("-- node server.js") != std::string::npos);
  const auto res = first_page(proxy);
  CHECK(res.body == "node on " + std::to_string(proxy.app_port()));
}

TEST_CASE("presets: a Node dev script that is more than one command is run by npm", "[integration][presets]") {
  temp_dir dir("liveproxy-preset-node-npm");
  write_file(dir / "package.json", R"({"name": "demo", "scripts": {"dev": "echo starting && node server.js"}})");
  write_file(dir / "server.js",
             "require('http').createServer((req, res) => res.end('npm ran ' + process.env.npm_lifecycle_event))"
             ".listen(process.env.PORT, '127.0.0.1');\n");
  liveproxy_process proxy({"--port", "0"}, in_dir(dir), 20s);
  INFO(proxy.proc().output());
  CHECK(proxy.proc().output().find("-- npm run dev") != std::string::npos);
  CHECK(first_page(proxy).body == "npm ran dev");
}

TEST_CASE("presets: a folder with index.html and no server is served", "[integration][presets]") {
  temp_dir dir("liveproxy-preset-static");
  write_file(dir / "index.html", "<html><head></head><body>just files</body></html>\n");
  liveproxy_process proxy({"--port", "0"}, in_dir(dir));
  CHECK(proxy.proc().output().find("liveproxy --serve .") != std::string::npos);
  const auto res = first_page(proxy);
  CHECK(res.body.find("just files") != std::string::npos);
  CHECK(res.body.find("/__liveproxy/client.js") != std::string::npos);
}

TEST_CASE("presets: a directory with nothing to run says what was looked for", "[integration][presets]") {
  temp_dir dir("liveproxy-preset-none");
  write_file(dir / "notes.txt", "nothing here\n");
  process proxy({LIVEPROXY_BINARY, "--port", "0"}, in_dir(dir));
  const auto status = proxy.wait_exit(10s);
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) == 2);
  CHECK(proxy.output().find("manage.py (Django)") != std::string::npos);
  CHECK(proxy.output().find("liveproxy --upstream http://127.0.0.1:8000") != std::string::npos);
}
