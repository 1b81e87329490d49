// An app that never listens gives 504 after the hold timeout; an app that dies at start gives a 502 with its output.
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_site.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <unistd.h>

#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

// What a browser sends when it navigates: error pages are HTML for it (and may be text for curl).
const header_list browser = {{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}};

}  // namespace

TEST_CASE("an app that never listens gives 504 after the hold timeout", "[integration][net]") {
  site_options opts;
  opts.command = {"/usr/bin/python3", "-c", "import time; print('never listening', flush=True); time.sleep(20)"};
  opts.proxy_args = {"--hold-timeout", "1"};
  opts.wait_for_app = false;
  test_site site(opts);

  const auto res = http_get(site.port(), "/", browser, 10s);
  INFO(res.error << " after " << res.elapsed.count() << " ms");
  REQUIRE(res.ok());
  CHECK(res.status == 504);
  // Held for the timeout, not refused at once, and not much longer either.
  CHECK(res.elapsed >= 900ms);
  CHECK(res.elapsed < 5s);
  CHECK(res.header("Content-Type").find("text/html") == 0);
}

TEST_CASE("an app that dies at start gives a 502 page with its output", "[integration][net]") {
  site_options opts;
  opts.command = {"/usr/bin/python3", "-c",
                  "import sys; print('Traceback: boom-marker-4711', file=sys.stderr, flush=True); sys.exit(3)"};
  opts.proxy_args = {"--hold-timeout", "5"};
  opts.wait_for_app = false;
  test_site site(opts);

  const auto res = http_get(site.port(), "/", browser, 15s);
  INFO(res.error);
  REQUIRE(res.ok());
  CHECK(res.status == 502);
  CHECK(res.body.find("boom-marker-4711") != std::string::npos);
  CHECK(res.header("Content-Type").find("text/html") == 0);
  // The error page keeps the reload client, so the tab recovers once the app is fixed.
  CHECK(res.body.find("/__liveproxy/client.js") != std::string::npos);

  // A client that does not ask for HTML (curl, fetch) still learns why.
  const auto plain = http_get(site.port(), "/api/things", {{"Accept", "*/*"}}, 15s);
  INFO(plain.error);
  REQUIRE(plain.ok());
  CHECK(plain.status == 502);
  CHECK(plain.body.find("boom-marker-4711") != std::string::npos);
}

TEST_CASE("an app whose accept queue is full times out the connect and gets a 502 saying so", "[integration][net]") {
  // listen(0): one connection fills the queue (the readiness probe's, never accepted); the kernel then drops
  // further SYNs, so the proxy's connect hangs until its 5 s connect timeout.
  site_options opts;
  opts.command = {"/usr/bin/python3", "-c",
                  "import socket, sys, time\n"
                  "s = socket.socket()\n"
                  "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
                  "s.listen(0)\n"
                  "print('listening, never accepting', flush=True)\n"
                  "time.sleep(60)\n",
                  "{port}"};
  opts.proxy_args = {"--hold-timeout", "1"};
  opts.wait_for_app = false;
  test_site site(opts);
  REQUIRE(site.proxy().proc().wait_for_output("app ready", 10s));

  const auto res = http_get(site.port(), "/", {{"Accept", "text/plain"}}, 20s);
  INFO(res.error << " after " << res.elapsed.count() << " ms\n" << res.body);
  REQUIRE(res.ok());
  CHECK(res.status == 502);
  CHECK(res.body.find("timed out") != std::string::npos);
  CHECK(res.elapsed >= 4500ms);
  CHECK(res.elapsed < 10s);
}

TEST_CASE("ports in use: the default moves on, an explicit one names who holds it", "[integration][net]") {
  temp_dir dir;
  // Something else on a port: this test's own listening socket.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor taken(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = std::to_string(taken.local_endpoint().port());
  process explicit_port({LIVEPROXY_BINARY, "--port", port, "--watch", dir.path().string(), "--", "sleep", "5"});
  REQUIRE(explicit_port.wait_exit(10s) == 256);  // exit status 1
  CHECK(explicit_port.output().find("port " + port + " on 127.0.0.1 is in use by pid " + std::to_string(::getpid())) !=
        std::string::npos);
  process app_port({LIVEPROXY_BINARY, "--app-port", port, "--watch", dir.path().string(), "--", "sleep", "5"});
  REQUIRE(app_port.wait_exit(10s) == 256);
  CHECK(app_port.output().find("--app-port " + port + " is in use by pid " + std::to_string(::getpid())) !=
        std::string::npos);
}

TEST_CASE("a command that does not exist exits 127 and suggests the closest one", "[integration][net]") {
  temp_dir dir;
  process proxy({LIVEPROXY_BINARY, "--port", "0", "--watch", dir.path().string(), "--", "pyhton3", "app.py"});
  const auto status = proxy.wait_exit(10s);
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) == 127);
  CHECK(proxy.output().find("command not found: pyhton3 (did you mean python3?)") != std::string::npos);
}

TEST_CASE("an app listening on another port than its own is named within seconds", "[integration][net]") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto other = std::to_string(probe.local_endpoint().port());
  probe.close();
  site_options opts;
  // An app that ignores $PORT and {port}: Flask's app.run() on 5000, runserver without the address...
  opts.command = {"/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", other};
  opts.wait_for_app = false;
  test_site site(opts);
  const auto res = http_get(site.port(), "/", {{"Accept", "text/html"}}, 15s);
  INFO(res.body);
  CHECK(res.status == 502);
  CHECK(res.body.find("The app listens on 127.0.0.1:" + other + ", not on the port liveproxy gave it") !=
        std::string::npos);
  CHECK(res.body.find("--app-port " + other) != std::string::npos);
  CHECK(res.body.find("add --port {port} to the command") != std::string::npos);
  CHECK(res.elapsed < 5s);  // not the 20 s start timeout
}

TEST_CASE("an app that cannot import a module names the interpreters that can", "[integration][net]") {
  temp_dir lib;
  write_file(lib / "only_here_module.py", "x = 1\n");
  site_options opts;
  // liveproxy (and the Pythons it tries) see the module through PYTHONPATH; the app is run without it.
  opts.env = {{"PYTHONPATH", lib.path().string()}};
  opts.command = {"/usr/bin/env", "-u", "PYTHONPATH", "/usr/bin/python3", "-c", "import only_here_module"};
  opts.wait_for_app = false;
  test_site site(opts);
  const auto res = http_get(site.port(), "/", {{"Accept", "text/html"}}, 15s);
  INFO(res.body);
  CHECK(res.status == 502);
  CHECK(res.body.find("The app could not import only_here_module") != std::string::npos);
  CHECK(res.body.find("These can: ") != std::string::npos);
}
