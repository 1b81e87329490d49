// The app on a terminal of its own, driven as a developer does: liveproxy in a real terminal (tmux), a fresh
// `django-admin startproject` site whose view calls breakpoint(), pdb answered from liveproxy's terminal.
#include "support/http_client.hpp"
#include "support/proc_tree.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <future>
#include <thread>
#include <regex>
#include <string>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

/// A tmux server of the test's own (its own socket), with one window running a shell command.
class tmux_session {
 public:
  tmux_session(const temp_dir& dir, const std::string& command)
      : socket_((dir / "tmux.sock").string()) {
    run({"new-session", "-d", "-x", "200", "-y", "50", "-s", "t", command});
    run({"set-option", "-t", "t", "remain-on-exit", "on"});
  }
  ~tmux_session() { run({"kill-server"}); }

  /// What the terminal shows, the scrollback included (-e: with colours).
  std::string screen(bool colours = false) {
    std::vector<std::string> args{"capture-pane", "-p", "-J", "-S", "-", "-t", "t"};
    if (colours) args.push_back("-e");
    return run(args);
  }
  bool wait_for(const std::regex& re, std::chrono::milliseconds timeout, bool colours = false) {
    return wait_until([&] { return std::regex_search(screen(colours), re); }, timeout, 50ms);
  }
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout) {
    return wait_until([&] { return screen().find(text) != std::string::npos; }, timeout, 50ms);
  }
  /// Keys as tmux names them ("Enter", "C-c") or literal text (-l).
  void keys(const std::string& k) { run({"send-keys", "-t", "t", k}); }
  void text(const std::string& t) { run({"send-keys", "-t", "t", "-l", t}); }
  bool dead() { return run({"display-message", "-p", "-t", "t", "#{pane_dead}"}).find('1') == 0; }
  int pane_pid() { return std::stoi(run({"display-message", "-p", "-t", "t", "#{pane_pid}"})); }

 private:
  std::string run(std::vector<std::string> args) {
    args.insert(args.begin(), {"tmux", "-S", socket_});
    process p(args);
    p.wait_exit(10s);
    return p.output();
  }
  std::string socket_;
};

const char* debug_view = R"(
from django.http import HttpResponse

def debug_view(request):
    answer = 41 + 1
    breakpoint()
    return HttpResponse(f"answer={answer}", content_type="text/plain")

urlpatterns += [path("debug/", debug_view)]
)";

}  // namespace

TEST_CASE("pdb in liveproxy's terminal: the prompt shows, p answers, c completes the request, rs restarts, Ctrl-C "
          "leaves nothing behind",
          "[integration][terminal]") {
  temp_dir dir("liveproxy-pdb");
  process make({"/usr/bin/python3", "-m", "django", "startproject", "mysite", "."}, {dir.path(), {}, {}});
  REQUIRE(make.wait_exit(30s) == 0);
  {
    std::ofstream urls(dir / "mysite/urls.py", std::ios::app);
    urls << debug_view;
  }
  // Plain `liveproxy`, as a new user types it.
  tmux_session tmux(dir, "cd " + dir.path().string() + " && TERM=xterm-256color exec " + LIVEPROXY_BINARY +
                             " --port 0");
  const std::regex url(R"(liveproxy: http://127\.0\.0\.1:(\d+))");
  REQUIRE(tmux.wait_for(url, 30s));
  std::smatch m;
  const auto first = tmux.screen();
  REQUIRE(std::regex_search(first, m, url));
  const auto port = static_cast<unsigned short>(std::stoi(m[1]));
  INFO(tmux.screen());
  CHECK(first.find("the app has this terminal") != std::string::npos);
  REQUIRE(wait_until([&] { return http_get(port, "/nope", {}, 3s).status == 404; }, 30s, 100ms));
  // Django colours its request log on a terminal, as without liveproxy: a 404 in yellow.
  CHECK(tmux.wait_for(std::regex("\x1b\\[33m[^\n]*GET /nope"), 10s, true));

  auto answer = std::async(std::launch::async, [port] { return http_get(port, "/debug/", {}, 60s); });
  REQUIRE(tmux.wait_for(std::regex(R"(\(Pdb\)\s*$)"), 20s));
  CHECK(tmux.wait_for("the app waits at a prompt ((Pdb))", 5s));
  tmux.text("p answer");
  tmux.keys("Enter");
  CHECK(tmux.wait_for(std::regex(R"(\n(  app \| )?42\s*\n)"), 10s));
  tmux.text("c");
  tmux.keys("Enter");
  REQUIRE(answer.wait_for(20s) == std::future_status::ready);
  const auto res = answer.get();
  CHECK(res.status == 200);
  CHECK(res.body == "answer=42");

  // rs + Enter at the app's command line still restarts it.
  tmux.text("rs");
  tmux.keys("Enter");
  REQUIRE(tmux.wait_for(std::regex(R"(rs typed → restarted in \d+ ms)"), 30s));

  // Ctrl-C at the prompt goes to pdb (it says how to stop liveproxy); a second one within a second stops it.
  auto again = std::async(std::launch::async, [port] { return http_get(port, "/debug/", {}, 60s); });
  REQUIRE(tmux.wait_for(std::regex(R"(\(Pdb\)\s*$)"), 20s));
  const auto pid = tmux.pane_pid();
  const auto tree = descendants_of(pid);
  CHECK_FALSE(tree.empty());
  // As a developer does, the prompt is read before a key is pressed: output that has been still for
  // limits::prompt_quiet (150 ms) is a prompt, a line in the middle of being written is not.
  std::this_thread::sleep_for(500ms);
  tmux.keys("C-c");
  const bool explained = tmux.wait_for("press Ctrl-C again within 1 s to stop liveproxy", 5s);
  INFO(tmux.screen());
  CHECK(explained);
  tmux.keys("C-c");
  CHECK(wait_until([&] { return tmux.dead(); }, 20s));
  // Nothing of the app is left: not the app, not its preloaded spare, not the guards.
  for (const auto p : tree) CHECK(wait_until([p] { return ::kill(p, 0) != 0; }, 10s));
  again.wait_for(10s);
}
