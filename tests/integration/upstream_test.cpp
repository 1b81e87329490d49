// --upstream: an app the user starts. Requests wait for it while it is down, a code change waits for the app's
// own reloader (Django's runserver, Flask's --reload) to bring it back before the tabs reload, and https
// upstreams are checked like a browser would check them.
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <string>
#include <thread>

using namespace liveproxy::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path source_dir = LIVEPROXY_SOURCE_DIR;

/// A port nothing listens on now (bound to 0 and released).
unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

std::string upstream(unsigned short port, std::string scheme = "http", std::string host = "127.0.0.1") {
  return scheme + "://" + host + ":" + std::to_string(port);
}

/// The "process 1234" an example page shows: who served it.
std::string served_by(const http_response& res) {
  static const std::regex pid(R"(process (\d+))");
  std::smatch m;
  return std::regex_search(res.body, m, pid) ? m[1].str() : "";
}

/// Reads reload-socket messages until one of `type` comes; false on timeout.
bool wait_for_event(ws_client& ws, std::string_view type, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const auto msg = ws.read_json_message(left);
    if (!msg) return false;
    if (msg->count("type") && msg->at("type") == type) return true;
  }
  return false;
}

process_options in_dir(const fs::path& dir) {
  process_options o;
  o.cwd = dir;
  o.env = {{"PYTHONDONTWRITEBYTECODE", "1"}, {"PYTHONUNBUFFERED", "1"}};
  return o;
}

/// A code edit under the app's own reloader: the first page after the tab's reload comes from the new process.
void check_code_edit_follows_reloader(const fs::path& dir, unsigned short app_port, const fs::path& code_file) {
  liveproxy_process proxy({"--port", "0", "--watch", dir.string(), "--upstream", upstream(app_port),
                           "--upstream-grace", "15000"},
                          in_dir(dir));
  http_response first;
  REQUIRE(wait_until([&] { return (first = http_get(proxy.port(), "/", {}, 3s)).status == 200; }, 30s, 100ms));
  const auto before = served_by(first);
  REQUIRE_FALSE(before.empty());
  ws_client ws(proxy.port());
  REQUIRE(ws.connected());
  REQUIRE(ws.read_json_message(5s));  // hello
  // The one wait without a condition to watch: Django's and werkzeug's stat reloaders take their first
  // snapshot of modification times in a thread of their own up to a second after the app serves, and an
  // edit made before it becomes the baseline (the app then never restarts). Nothing shows when it is taken.
  std::this_thread::sleep_for(2s);

  std::ofstream(dir / code_file, std::ios::app) << "\n# edited by the test\n";
  const bool reloaded = wait_for_event(ws, "reload", 30s);
  const auto after = http_get(proxy.port(), "/", {}, 10s);
  const auto out = proxy.proc().output();
  INFO(out);
  REQUIRE(reloaded);
  REQUIRE(after.status == 200);
  CHECK(served_by(after) != before);
  // Followed: seen going down and coming back, said as one line.
  CHECK(out.find(code_file.generic_string() + " → the app's reloader restarted it in ") != std::string::npos);
}

}  // namespace

TEST_CASE("a request waits for an upstream that is not up yet", "[integration][net][upstream]") {
  temp_dir dir("liveproxy-upstream");
  fs::copy(source_dir / "tests/integration/apps", dir.path(), fs::copy_options::recursive);
  const auto app_port = free_port();
  liveproxy_process proxy({"--port", "0", "--watch", dir.path().string(), "--upstream", upstream(app_port)},
                          in_dir(dir.path()));
  REQUIRE(proxy.proc().wait_for_output("nothing answers at", 10s));
  auto waiting = std::async(std::launch::async, [&] { return http_get(proxy.port(), "/pid", {}, 20s); });
  CHECK(waiting.wait_for(500ms) == std::future_status::timeout);  // held, not refused
  process app({"/usr/bin/python3", (dir / "test_app.py").string(), std::to_string(app_port)}, in_dir(dir.path()));
  const auto res = waiting.get();
  INFO(res.error << proxy.proc().output());
  CHECK(res.status == 200);
  CHECK(res.body == std::to_string(app.pid()));
}

TEST_CASE("an upstream that does not come up gets a page naming its URL", "[integration][net][upstream]") {
  temp_dir dir("liveproxy-upstream");
  const auto app_port = free_port();
  liveproxy_process proxy({"--port", "0", "--watch", dir.path().string(), "--upstream", upstream(app_port),
                           "--hold-timeout", "1"},
                          in_dir(dir.path()));
  const auto res = http_get(proxy.port(), "/", {{"Accept", "text/html"}}, 10s);
  INFO(res.body);
  CHECK(res.status == 504);
  CHECK(res.body.find("Nothing answers at " + upstream(app_port)) != std::string::npos);
  CHECK(res.elapsed < 5s);
}

TEST_CASE("Host is the browser's by default and the upstream's with --upstream-host", "[integration][net][upstream]") {
  temp_dir dir("liveproxy-upstream");
  fs::copy(source_dir / "tests/integration/apps", dir.path(), fs::copy_options::recursive);
  const auto app_port = free_port();
  process app({"/usr/bin/python3", (dir / "test_app.py").string(), std::to_string(app_port)}, in_dir(dir.path()));
  const bool rewrite = GENERATE(false, true);
  std::vector<std::string> args = {"--port", "0", "--watch", dir.path().string(), "--upstream",
                                   upstream(app_port, "http", "localhost")};
  if (rewrite) args.push_back("--upstream-host");
  liveproxy_process proxy(args, in_dir(dir.path()));
  http_response res;
  REQUIRE(wait_until([&] { return (res = http_get(proxy.port(), "/headers", {{"Host", "myapp.localhost:3000"}}, 3s)).status == 200; },
                     15s, 50ms));
  INFO(res.body);
  const std::string want = rewrite ? "\"localhost:" + std::to_string(app_port) + "\"" : "\"myapp.localhost:3000\"";
  CHECK(res.body.find("\"Host\": " + want) != std::string::npos);
  // The browser's Host stays visible to the app either way.
  CHECK(res.body.find("\"X-Forwarded-Host\": \"myapp.localhost:3000\"") != std::string::npos);
}

TEST_CASE("a template edit reloads the tabs at once under --upstream", "[integration][fs][net][upstream]") {
  temp_dir dir("liveproxy-upstream");
  fs::copy(source_dir / "tests/integration/apps", dir.path(), fs::copy_options::recursive);
  const auto app_port = free_port();
  process app({"/usr/bin/python3", (dir / "test_app.py").string(), std::to_string(app_port)}, in_dir(dir.path()));
  liveproxy_process proxy({"--port", "0", "--watch", dir.path().string(), "--upstream", upstream(app_port)},
                          in_dir(dir.path()));
  REQUIRE(wait_until([&] { return http_get(proxy.port(), "/pid", {}, 3s).status == 200; }, 15s, 50ms));
  ws_client ws(proxy.port());
  REQUIRE(ws.read_json_message(5s));
  const auto started = std::chrono::steady_clock::now();
  std::ofstream(dir / "templates/index.html", std::ios::app) << "<p>edited</p>\n";
  REQUIRE(wait_for_event(ws, "reload", 10s));
  CHECK(std::chrono::steady_clock::now() - started < 1s);  // no waiting for a restart
}

TEST_CASE("a code edit waits for Django's own autoreloader", "[integration][fs][net][upstream][examples]") {
  temp_dir dir("liveproxy-django");
  fs::copy(source_dir / "examples/django", dir.path(), fs::copy_options::recursive);
  const auto app_port = free_port();
  // runserver with its autoreloader on: the way Django developers run it without liveproxy.
  process django({"/usr/bin/python3", "manage.py", "runserver", "127.0.0.1:" + std::to_string(app_port)},
                 in_dir(dir.path()));
  // Edited only once Django's reloader runs, and a file it watched from the start: a module first imported by
  // the first request (views.py) may be edited before the reloader's next tick takes its modification time
  // as the baseline, and then Django does not restart at all.
  REQUIRE(django.wait_for_output("Watching for file changes", 30s));
  check_code_edit_follows_reloader(dir.path(), app_port, "mysite/settings.py");
}

TEST_CASE("a code edit waits for Flask's reloader", "[integration][fs][net][upstream][examples]") {
  temp_dir dir("liveproxy-flask");
  fs::copy(source_dir / "examples/flask", dir.path(), fs::copy_options::recursive);
  const auto app_port = free_port();
  process flask({"/usr/bin/python3", "-m", "flask", "--app", "app", "run", "--reload", "--host", "127.0.0.1", "--port",
                 std::to_string(app_port)},
                in_dir(dir.path()));
  REQUIRE(flask.wait_for_output("Restarting with stat", 30s));
  check_code_edit_follows_reloader(dir.path(), app_port, "app.py");
}

TEST_CASE("https upstreams: certificates are checked unless --upstream-insecure", "[integration][net][upstream]") {
  temp_dir dir("liveproxy-tls");
  // A self-signed certificate for the name localhost only (not 127.0.0.1), made with Debian's openssl.
  process make_cert({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                     "-addext", "subjectAltName=DNS:localhost", "-keyout", (dir / "key.pem").string(),
                     "-out", (dir / "cert.pem").string()});
  REQUIRE(make_cert.wait_exit(30s) == 0);
  write_file(dir / "index.html", "<html><head><title>tls</title></head><body>over TLS</body></html>\n");
  write_file(dir / "serve.py",
             "import http.server, ssl, sys\n"
             "httpd = http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), http.server.SimpleHTTPRequestHandler)\n"
             "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
             "ctx.load_cert_chain('cert.pem', 'key.pem')\n"
             "httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)\n"
             "print('serving', flush=True)\n"
             "httpd.serve_forever()\n");
  const auto app_port = free_port();
  process server({"/usr/bin/python3", "serve.py", std::to_string(app_port)}, in_dir(dir.path()));
  REQUIRE(server.wait_for_output("serving", 10s));

  SECTION("an unknown issuer is refused, saying what to do") {
    liveproxy_process proxy({"--port", "0", "--watch", dir.path().string(), "--upstream",
                             upstream(app_port, "https", "localhost")},
                            in_dir(dir.path()));
    const auto res = http_get(proxy.port(), "/index.html", {{"Accept", "text/plain"}}, 10s);
    INFO(res.body);
    CHECK(res.status == 502);
    CHECK(res.body.find("certificate verify failed") != std::string::npos);
    CHECK(res.body.find("--upstream-insecure") != std::string::npos);
    CHECK(res.elapsed < 5s);  // a certificate problem is not waited out like a refused connection
  }
  SECTION("--upstream-insecure accepts it, and pages get the script") {
    liveproxy_process proxy({"--port", "0", "--watch", dir.path().string(), "--upstream",
                             upstream(app_port, "https", "127.0.0.1"), "--upstream-insecure"},
                            in_dir(dir.path()));
    const auto res = http_get(proxy.port(), "/index.html", {}, 10s);
    INFO(res.error << res.body);
    CHECK(res.status == 200);
    CHECK(res.body.find("over TLS") != std::string::npos);
    CHECK(res.body.find("/__liveproxy/client.js") != std::string::npos);
  }
  SECTION("a trusted issuer passes, and the name must match") {
    auto opts = in_dir(dir.path());
    opts.env.emplace_back("SSL_CERT_FILE", (dir / "cert.pem").string());
    liveproxy_process good({"--port", "0", "--watch", dir.path().string(), "--upstream",
                            upstream(app_port, "https", "localhost")},
                           opts);
    CHECK(http_get(good.port(), "/index.html", {}, 10s).status == 200);
    // The same server by its address: 127.0.0.1 is not a name on the certificate.
    liveproxy_process wrong({"--port", "0", "--watch", dir.path().string(), "--upstream",
                             upstream(app_port, "https", "127.0.0.1")},
                            opts);
    const auto res = http_get(wrong.port(), "/index.html", {{"Accept", "text/plain"}}, 10s);
    INFO(res.body);
    CHECK(res.status == 502);
  }
}
