// Many requests reaching the app at once (held requests released after a restart, a page and its assets) must not
// overflow the app's accept queue into the kernel's SYN retransmission delays (1 s, then 3 s, 7 s...): liveproxy
// connects a few at a time and asks again at once when a SYN went unanswered.
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

// Django's runserver queues 10 connections and accepts one at a time; this app takes one every 10 ms.
constexpr const char* slow_accept_app = R"PY(import os, socket, threading, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(os.environ["PORT"])))
s.listen(10)
def answer(c):
    try:
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=answer, args=(c,), daemon=True).start()
    time.sleep(0.01)
)PY";

}  // namespace

TEST_CASE("120 requests at once to an app with a small accept queue are all answered without SYN retry delays",
          "[integration][net]") {
  temp_dir dir("liveproxy-accept-queue");
  write_file(dir / "app.py", slow_accept_app);
  process_options opts;
  opts.cwd = dir.path();
  liveproxy_process proxy({"--port", "0", "--", "/usr/bin/python3", "app.py"}, opts);
  REQUIRE(http_get(proxy.port(), "/", {}, 20s).status == 200);

  std::vector<std::future<std::pair<int, std::chrono::steady_clock::duration>>> requests;
  for (int i = 0; i < 120; ++i)
    requests.push_back(std::async(std::launch::async, [&] {
      const auto start = std::chrono::steady_clock::now();
      const auto res = http_get(proxy.port(), "/", {}, 30s);
      return std::make_pair(res.status, std::chrono::steady_clock::now() - start);
    }));
  std::chrono::steady_clock::duration slowest{};
  int ok = 0;
  for (auto& r : requests) {
    const auto [status, took] = r.get();
    ok += status == 200;
    slowest = std::max(slowest, took);
  }
  CHECK(ok == 120);
  // Accepting them takes the app 1.2 s; before liveproxy paced its connects, the slowest took 14 s.
  CHECK(slowest < 5s);
}
