// Every restart of a fresh Django project started with the bare command is warm (preloaded), each restart's line
// says so, and the terminal shows Django's start-up banner once: later ones are one dim line, and the banner's
// "Starting development server at" names liveproxy's address, not the app's private port.
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/text_count.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

process_options in_dir(const temp_dir& dir) { return process_options{dir.path(), {}, ""}; }

/// A project made by startproject, with one view whose text the test edits.
void make_project(const temp_dir& dir) {
  process make({"/usr/bin/python3", "-m", "django", "startproject", "mysite", "."}, in_dir(dir));
  REQUIRE(make.wait_exit(30s) == 0);
  std::ofstream(dir / "mysite/views.py") << "from django.http import HttpResponse\n\n"
                                            "def home(request):\n    return HttpResponse('version 0')\n";
  std::ofstream(dir / "mysite/urls.py") << "from django.urls import path\nfrom . import views\n"
                                           "urlpatterns = [path('', views.home)]\n";
}

/// `sed -i`, as a developer's script would edit the view: a temporary file renamed over it.
void edit_view(const temp_dir& dir, int version) {
  process sed({"sed", "-i", "s/version [0-9]*/version " + std::to_string(version) + "/", "mysite/views.py"},
              in_dir(dir));
  REQUIRE(sed.wait_exit(10s) == 0);
}

}  // namespace

TEST_CASE("edits of a Django view every half second are all preloaded restarts, with the banner shown once",
          "[integration][preload]") {
  temp_dir dir("liveproxy-warm-django");
  make_project(dir);
  liveproxy_process proxy({"--port", "0"}, in_dir(dir), 20s);
  REQUIRE(wait_until([&] { return http_get(proxy.port(), "/", {}, 10s).body.find("version 0") != std::string::npos; },
                     30s));
  // The first run starts cold; the warm interpreter for the next is started once it answers (a developer's first
  // edit comes later than a test's could).
  std::this_thread::sleep_for(1s);
  constexpr int edits = 12;
  for (int v = 1; v <= edits; ++v) {
    edit_view(dir, v);
    std::this_thread::sleep_for(500ms);
  }
  REQUIRE(wait_until([&] { return http_get(proxy.port(), "/").body.find("version 12") != std::string::npos; }, 20s));
  REQUIRE(wait_until([&] { return count_of(proxy.proc().output(), "views.py \xe2\x86\x92 restarted") == edits; }, 10s));
  const auto out = proxy.proc().output();
  INFO(out);
  // One restart per edit (sed's temporary file starts nothing early), each from a warm interpreter.
  CHECK(count_of(out, ", preloaded)") == edits);
  CHECK(count_of(out, "not preloaded") == 0);
  // Django's checks and banner once on the terminal; each restart's is one line.
  CHECK(count_of(out, "Performing system checks") == 1);
  CHECK(count_of(out, "(start-up output as before: ") == edits);
  CHECK(out.find("Starting development server at " + proxy.url() + "/ (liveproxy's address; the app itself is on port " +
                 std::to_string(proxy.app_port()) + ")") != std::string::npos);
  CHECK(out.find("127.0.0.1:" + std::to_string(proxy.app_port()) + "/\n") == std::string::npos);
  // The status page says it for each restart.
  const auto status = http_get(proxy.port(), "/__liveproxy/status.json").body;
  CHECK(count_of(status, "\"preloaded\":true") == edits);
}

TEST_CASE("with --verbose every restart shows Django's whole start-up", "[integration][preload]") {
  temp_dir dir("liveproxy-warm-verbose");
  make_project(dir);
  liveproxy_process proxy({"--port", "0", "--verbose"}, in_dir(dir), 20s);
  REQUIRE(wait_until([&] { return http_get(proxy.port(), "/", {}, 10s).body.find("version 0") != std::string::npos; },
                     30s));
  edit_view(dir, 1);
  REQUIRE(wait_until([&] { return count_of(proxy.proc().output(), "views.py \xe2\x86\x92 restarted") == 1; }, 20s));
  const auto out = proxy.proc().output();
  INFO(out);
  CHECK(count_of(out, "Performing system checks") == 2);
  CHECK(count_of(out, "(start-up output as before") == 0);
}
