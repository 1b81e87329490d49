// The watchman backend's own behaviour: saying why it falls back, version-control storms, rules it is given.
#include "fake_watchman.hpp"
#include "fs_harness.hpp"
#include "watchman_server.hpp"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using liveproxy::test::backend_kind;
using liveproxy::test::each_backend;
using liveproxy::test::fake_watchman;
using liveproxy::test::have_watchman;
using liveproxy::test::opts_for;
using liveproxy::test::temp_dir;
using liveproxy::test::wait_until;
using liveproxy::test::write_file;
using liveproxy::watcher::batch;
using harness = liveproxy::test::watcher_harness;

namespace {

// Sets an environment variable for a scope (nullopt: unsets it), and puts the old value back.
class scoped_env {
 public:
  scoped_env(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~scoped_env() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("asked for watchman with a socket that leads nowhere the watcher says why once and uses inotify",
          "[fs][watcher]") {
  temp_dir dir("watcher-wm-nosocket");
  auto opts = opts_for(dir, backend_kind::inotify);
  opts.use_watchman = true;
  opts.watchman_socket = (dir / "nothing.sock").string();
  harness h(std::move(opts));

  CHECK(h.backend() == "inotify");
  const std::vector<std::string> expected = {"--watchman: cannot use watchman (cannot connect to watchman at " +
                                             (dir / "nothing.sock").string() +
                                             ": No such file or directory); watching with inotify instead"};
  CHECK(h.messages() == expected);
  write_file(dir / "app.py", "x");
  CHECK(h.wait_for("app.py"));
}

TEST_CASE("asked for watchman without the watchman binary the watcher says so and uses inotify", "[fs][watcher]") {
  temp_dir dir("watcher-wm-nobinary");
  temp_dir empty_path("watcher-wm-path");
  std::optional<harness> h;
  {
    // Only for the start, when the backend looks for the binary; restored before anything else runs.
    const scoped_env path("PATH", empty_path.path().string());
    const scoped_env sock("WATCHMAN_SOCK", std::nullopt);
    auto opts = opts_for(dir, backend_kind::inotify);
    opts.use_watchman = true;
    h.emplace(std::move(opts));
  }
  CHECK(h->backend() == "inotify");
  const auto messages = h->messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0] ==
        "--watchman: cannot use watchman (the watchman binary is not on PATH (Debian package: watchman)); "
        "watching with inotify instead");
}

TEST_CASE("watchman holds changes while git holds its index lock and delivers them as one batch",
          "[fs][watcher]") {
  if (!have_watchman()) {
    WARN("SKIPPED: the watchman binary is not installed (tests/scripts/install-deps.sh --tests installs it)");
    return;
  }
  temp_dir dir("watcher-wm-vcs");
  // A repository root: watchman watches it as the project and knows where git keeps its lock.
  fs::create_directories(dir / ".git");
  harness h(opts_for(dir, backend_kind::watchman));
  REQUIRE(h.backend() == "watchman");

  write_file(dir / ".git/index.lock", "");
  for (int i = 0; i < 50; ++i) write_file(dir / ("src/m" + std::to_string(i) + ".py"), "x");
  // Deferred: nothing may arrive while the lock is held (a bounded wait for what must not happen).
  CHECK_FALSE(wait_until([&] { return h.change_count() > 0; }, 300ms));
  fs::remove(dir / ".git/index.lock");
  REQUIRE(wait_until([&] { return h.change_count() >= 50; }));
  const auto batches = h.batches();
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].changes.size() == 50);
}

TEST_CASE("a .gitignore negation re-includes a directory ignored by default", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-negation");
  write_file(dir / ".gitignore", "!node_modules/\n");
  write_file(dir / "node_modules/pkg/index.js", "x");
  harness h(opts_for(dir, kind));

  write_file(dir / "node_modules/pkg/index.js", "edited");
  REQUIRE(h.wait_for("node_modules/pkg/index.js"));

  // Added while running: directories created from now on follow it (watchman subscribes again).
  write_file(dir / ".gitignore", "!node_modules/\n!venv/\n");
  write_file(dir / "sentinel.py", "x");
  REQUIRE(h.wait_for("sentinel.py"));
  write_file(dir / "venv/lib/site.py", "x");
  const bool seen = h.wait_for("venv/lib/site.py");
  for (const auto& m : h.messages()) UNSCOPED_INFO("notice: " << m);
  REQUIRE(seen);
  write_file(dir / ".venv/lib/other.py", "x");
  write_file(dir / "sentinel2.py", "x");
  REQUIRE(h.wait_for("sentinel2.py"));
  CHECK_FALSE(h.saw_under(".venv"));
}

TEST_CASE("a root watchman cancelled is subscribed to once when it is back - no lost-events batch after",
          "[fs][watcher]") {
  temp_dir dir("watcher-wm-resubscribe");
  fake_watchman fake;
  liveproxy::watcher::options o;
  o.roots = {dir.path()};
  o.use_watchman = true;
  o.watchman_socket = fake.socket();
  harness h(std::move(o));
  REQUIRE(h.backend() == "watchman");
  REQUIRE(fake.count("subscribe") == 1);

  // What watchman sends when the root is deleted; it is still there, so it is back at the next check.
  fake.send(R"({"unilateral":true,"subscription":")" + fake.subscription() + R"(","canceled":true})");
  REQUIRE(h.wait_for_message(" is gone"));
  REQUIRE(wait_until([&] { return h.saw_overflow(); }));  // what changed meanwhile is unknown
  h.clear();
  REQUIRE(h.wait_for_message(" is back"));
  // A duplicate subscribe would go out together with the first (a bounded wait for what must not happen);
  // its fresh listing would then be taken for lost events.
  CHECK_FALSE(wait_until([&] { return fake.count("subscribe") > 2; }, 300ms));
  CHECK(fake.count("subscribe") == 2);
  fake.send_files({"sentinel.py"});
  REQUIRE(h.wait_for("sentinel.py"));
  CHECK_FALSE(h.saw_overflow());
}

TEST_CASE("a file watchman saw created and gone within one result is not reported", "[fs][watcher]") {
  temp_dir dir("watcher-wm-transient");
  fake_watchman fake;
  liveproxy::watcher::options o;
  o.roots = {dir.path()};
  o.use_watchman = true;
  o.watchman_socket = fake.socket();
  harness h(std::move(o));
  REQUIRE(h.backend() == "watchman");

  // An atomic save within watchman's settle period: the temporary file, then the file it replaced.
  fake.send(R"({"unilateral":true,"subscription":")" + fake.subscription() +
            R"(","files":[{"name":"tmpAbC123","exists":false,"new":true,"type":"f"},)"
            R"({"name":"site.css","exists":true,"new":false,"type":"f"}]})");
  REQUIRE(h.wait_for("site.css"));
  fake.send_files({"sentinel.html"});
  REQUIRE(h.wait_for("sentinel.html"));
  CHECK(h.all_rel_paths() == std::vector<std::string>{"site.css", "sentinel.html"});
  CHECK(h.batches()[0].strongest == liveproxy::watcher::action::css);
}
