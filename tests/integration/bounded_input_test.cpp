// Bounded memory and escaped text for what careless apps and hostile names send (issue 21, items 2-6): huge
// output lines, output without a newline, placeholders in the output, status sockets that never read, control
// characters in file names, and a FIFO named liveproxy.json.
#include "support/http_client.hpp"
#include "support/nofile.hpp"
#include "support/liveproxy_process.hpp"
#include "support/proc_stats.hpp"
#include "support/raw_client.hpp"
#include "support/sanitizers.hpp"
#include "support/script_tag.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <sys/resource.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

const std::string output_app =
    (std::filesystem::path(LIVEPROXY_SOURCE_DIR) / "tests/integration/apps/output_app.py").string();

/// liveproxy running output_app.py in `mode`, watching `dir`.
liveproxy_process start_output_app(const temp_dir& dir, const std::string& mode, int mb = 10,
                                   std::vector<std::string> extra = {},
                                   std::vector<std::pair<std::string, std::string>> env = {}) {
  std::vector<std::string> args{"--port", "0", "--watch", dir.path().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), {"--", "/usr/bin/python3", output_app, "{port}"});
  env.emplace_back("OUTPUT_MODE", mode);
  env.emplace_back("OUTPUT_MB", std::to_string(mb));
  return liveproxy_process(args, process_options{dir.path(), env, "liveproxy"});
}

/// The error page once the app has crashed at start-up (it answers 502 with the page).
http_response error_page(unsigned short port) {
  http_response res;
  wait_until([&] {
    res = http_client(port, 10s).get("/", {{"Accept", "text/html"}});
    return res.status == 502 && res.body.find("exited") != std::string::npos;
  }, 30s);
  return res;
}

}  // namespace

TEST_CASE("4 lines of 10 MB then a crash: the error page keeps each line short and comes at once",
          "[integration][bounded]") {
  temp_dir dir;
  auto proxy = start_output_app(dir, "huge-lines", 10);
  const auto page = error_page(proxy.port());
  REQUIRE(page.status == 502);
  // Each line kept to 8 KiB and marked as cut; the page small, and quick.
  CHECK(page.body.size() < 200 * 1024);
  CHECK(page.body.find("line cut: ") != std::string::npos);
  CHECK(page.elapsed < 1s);
  // The terminal got every byte.
  CHECK(proxy.proc().output().size() > 40u * 1024 * 1024);
}

TEST_CASE("output without a newline is passed through and kept only up to the line cap", "[integration][bounded]") {
  temp_dir dir;
  auto proxy = start_output_app(dir, "no-newline", 60);
  REQUIRE(wait_until([&] { return proxy.proc().output().size() > 60u * 1024 * 1024; }, 60s));
  REQUIRE(http_client(proxy.port()).get("/").status == 200);
  // The status snapshot shows a short unfinished line, not 60 MB.
  const auto status = http_client(proxy.port()).get("/__liveproxy/status.json");
  CHECK(status.status == 200);
  CHECK(status.body.size() < 128 * 1024);
  if (!sanitized) CHECK(rss_bytes(proxy.proc().pid()) < 64u * 1024 * 1024);
}

TEST_CASE("placeholders in the app's output stay text on the error page, filled in at once",
          "[integration][bounded]") {
  temp_dir dir;
  auto proxy = start_output_app(dir, "placeholders");
  const auto page = error_page(proxy.port());
  REQUIRE(page.status == 502);
  CHECK(count_injected(page.body) == 1);
  CHECK(page.body.find("GET /search?q={{script}}{{script}}") != std::string::npos);
  CHECK(page.elapsed < 1s);
  // status.json is not held up by it.
  CHECK(http_client(proxy.port()).get("/__liveproxy/status.json").elapsed < 1s);
}

TEST_CASE("1,000 status sockets that never read cost bounded memory while a chatty app prints",
          "[integration][bounded]") {
  scoped_nofile nofile(8192);
  temp_dir dir;
  // 100 KB lines every 50 ms: each snapshot was megabytes, and every socket got its own.
  auto proxy = start_output_app(dir, "chatty", 0, {"--max-connections", "4000"},
                                {{"OUTPUT_LINE_KB", "100"}, {"OUTPUT_INTERVAL_MS", "50"}});
  REQUIRE(wait_until([&] { return http_client(proxy.port()).get("/").status == 200; }));
  const auto token = token_in(http_client(proxy.port()).get("/", {{"Accept", "text/html"}}).body);
  const auto status_page = http_client(proxy.port()).get("/__liveproxy/");
  const auto at = status_page.body.find("liveproxy-token\" content=\"");
  REQUIRE(at != std::string::npos);
  const auto status_token = status_page.body.substr(at + 26, 32);
  std::vector<std::unique_ptr<raw_client>> sockets;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) {
    sockets.push_back(std::make_unique<raw_client>(proxy.port(), 4096));
    REQUIRE(sockets.back()->send("GET /__liveproxy/status?token=" + status_token + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                                 std::to_string(proxy.port()) +
                                 "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  }
  const auto opened = std::chrono::steady_clock::now() - start;
  // Let the app print for a while: every change is a new snapshot for every socket.
  std::size_t peak = 0;
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(250ms);
    peak = std::max(peak, rss_bytes(proxy.proc().pid()));
  }
  INFO("1,000 sockets opened in " << std::chrono::duration_cast<std::chrono::milliseconds>(opened).count()
                                  << " ms; peak RSS " << peak / (1024 * 1024) << " MB");
  if (!sanitized) CHECK(peak < 200u * 1024 * 1024);
  const auto res = http_client(proxy.port(), 5s).get("/");
  CHECK(res.status == 200);
  CHECK(res.elapsed < 1s);
  (void)token;
}

TEST_CASE("file names with control characters are printed escaped: no title, no clear, no forged line",
          "[integration][bounded]") {
  temp_dir dir;
  auto proxy = start_output_app(dir, "quiet");
  REQUIRE(wait_until([&] { return http_client(proxy.port()).get("/").status == 200; }));
  const auto before = proxy.proc().output().size();
  // A stylesheet whose name sets the window title, and one whose name holds a whole fake liveproxy line.
  std::ofstream(dir.path() / "\x1b]0;owned\x07x.css") << "body{}";
  std::ofstream(dir.path() / "a\nliveproxy: 12:00:00 fake.py \xe2\x86\x92 restarted.css") << "body{}";
  std::ofstream(dir.path() / "c1\xc2\x9b" "2J.css") << "body{}";
  const auto said = [&] {
    const auto out = proxy.proc().output();
    return out.size() > before ? out.substr(before) : std::string();
  };
  REQUIRE(wait_until([&] { return said().find("css swap") != std::string::npos; }, 10s));
  std::this_thread::sleep_for(300ms);
  std::string lines;
  for (std::size_t from = 0, nl = 0; (nl = said().find('\n', from)) != std::string::npos; from = nl + 1) {
    const auto line = said().substr(from, nl - from);
    if (!line.starts_with("  app | ")) lines += line + "\n";  // liveproxy's own lines
  }
  INFO(lines);
  CHECK(lines.find('\x1b') == std::string::npos);
  CHECK(lines.find("\xc2\x9b") == std::string::npos);
  CHECK(lines.find("\\x1b]0;owned\\x07x.css") != std::string::npos);
  CHECK(lines.find("a\\x0aliveproxy: 12:00:00 fake.py") != std::string::npos);
  CHECK(lines.find("\nliveproxy: 12:00:00 fake.py") == std::string::npos);
  CHECK(lines.find("c1\\x9b2J.css") != std::string::npos);
}

TEST_CASE("a FIFO named liveproxy.json is refused without blocking, and a real file after it is read",
          "[integration][bounded]") {
  temp_dir dir;
  std::ofstream(dir.path() / "liveproxy.json") << R"({"hold_timeout": 30})";
  auto proxy = start_output_app(dir, "quiet", 0, {"--config", (dir.path() / "liveproxy.json").string()});
  REQUIRE(wait_until([&] { return http_client(proxy.port()).get("/").status == 200; }));
  std::filesystem::remove(dir.path() / "liveproxy.json");
  REQUIRE(::mkfifo((dir.path() / "liveproxy.json").c_str(), 0600) == 0);
  REQUIRE(wait_until([&] { return proxy.proc().output().find("a FIFO") != std::string::npos; }, 10s));
  // Still answering: nothing waits for a writer of the FIFO.
  const auto res = http_client(proxy.port(), 5s).get("/");
  CHECK(res.status == 200);
  CHECK(res.elapsed < 1s);
  std::filesystem::remove(dir.path() / "liveproxy.json");
  std::ofstream(dir.path() / "liveproxy.json") << R"({"hold_timeout": 12})";
  CHECK(wait_until([&] { return proxy.proc().output().find("applied \"hold_timeout\"") != std::string::npos; }, 10s));
}
