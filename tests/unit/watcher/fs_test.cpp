// Behaviour of the real watcher on real temporary directories, through the real backend.
#include "fs_harness.hpp"

#include "support/process.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using liveproxy::test::backend_kind;
using liveproxy::test::each_backend;
using liveproxy::test::expected_name;
using liveproxy::test::opts_for;
using liveproxy::test::temp_dir;
using liveproxy::test::wait_until;
using liveproxy::test::write_file;
using liveproxy::watcher::action;
using liveproxy::watcher::batch;
using liveproxy::watcher::options;
using harness = liveproxy::test::watcher_harness;

TEST_CASE("watcher reports create - modify and delete with root-relative and absolute paths", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-basic");
  harness h(opts_for(dir, kind));
  CHECK(h.backend() == expected_name(kind));

  write_file(dir / "app.py", "print(1)\n");
  REQUIRE(h.wait_for("app.py"));
  const auto first = h.batches();
  REQUIRE(first.size() == 1);
  CHECK(first[0].strongest == action::restart);
  CHECK(first[0].changes[0].path == (dir / "app.py").string());

  h.clear();
  write_file(dir / "app.py", "print(2)\n");
  REQUIRE(h.wait_for("app.py"));

  h.clear();
  fs::remove(dir / "app.py");
  REQUIRE(h.wait_for("app.py"));

  h.clear();
  write_file(dir / "site.css", "body{}\n");
  REQUIRE(h.wait_for("site.css"));
  CHECK(h.batches()[0].strongest == action::css);
}

TEST_CASE("the watcher classifies with the rules in its options", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-rules");
  write_file(dir / "server.js", "old\n");
  write_file(dir / "public/app.js", "old\n");
  options o = opts_for(dir, kind);
  o.rules = liveproxy::watcher::classifier::default_rules(true);
  harness h(std::move(o));

  write_file(dir / "server.js", "new\n");
  REQUIRE(h.wait_for("server.js"));
  REQUIRE(h.batches().size() == 1);
  CHECK(h.batches()[0].strongest == action::restart);
  h.clear();
  write_file(dir / "public/app.js", "new\n");
  REQUIRE(h.wait_for("public/app.js"));
  REQUIRE(h.batches().size() == 1);
  CHECK(h.batches()[0].strongest == action::reload);
}

TEST_CASE("an editor's atomic save (ignored temp file renamed over the real one) is one change", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-atomic");
  write_file(dir / "views.py", "old\n");
  harness h(opts_for(dir, kind));

  SECTION("temp file renamed into place") {
    write_file(dir / "views.py.tmp", "new\n");
    fs::rename(dir / "views.py.tmp", dir / "views.py");
  }
  SECTION("vim-style: probe file, backup by rename, write new, delete backup") {
    write_file(dir / "4913", "");
    fs::remove(dir / "4913");
    fs::rename(dir / "views.py", dir / "views.py~");
    write_file(dir / "views.py", "new\n");
    fs::remove(dir / "views.py~");
  }
  REQUIRE(h.wait_for("views.py"));
  // A sentinel written afterwards proves everything before it has been processed.
  write_file(dir / "sentinel.html", "x");
  REQUIRE(h.wait_for("sentinel.html"));
  const auto paths = h.all_rel_paths();
  CHECK(std::count(paths.begin(), paths.end(), "views.py") == 1);
  CHECK(std::all_of(paths.begin(), paths.end(), [](const std::string& p) { return p == "views.py" || p == "sentinel.html"; }));
}

TEST_CASE("an atomic save through a temporary file with an unignored name is one css change of the real file",
          "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-atomic-temp");
  write_file(dir / "site.css", "body { color: red }\n");
  harness h(opts_for(dir, kind));

  SECTION("Python tempfile style: tmpAbC123 written, closed, renamed over") {
    write_file(dir / "tmpAbC123", "body { color: blue }\n");
    fs::rename(dir / "tmpAbC123", dir / "site.css");
  }
  SECTION("sed style: the temporary file's permissions are copied before it is closed") {
    const auto tmp = (dir / "sedX4bQ9z").string();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    const std::string text = "body { color: blue }\n";
    REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::fchmod(fd, 0644);
    ::close(fd);
    fs::rename(tmp, dir / "site.css");
  }
  SECTION("renamed over before it is closed") {
    // On the watcher's loop, so that every event of the save is read at once (checked after: Catch's
    // assertions belong to the test's thread).
    bool saved = false;
    h.on_loop([&] {
      const auto tmp = (dir / "tmpQ7w2Er").string();
      const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      const std::string text = "body { color: blue }\n";
      saved = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
              ::rename(tmp.c_str(), (dir / "site.css").c_str()) == 0;
      if (fd >= 0) ::close(fd);
    });
    REQUIRE(saved);
  }
  SECTION("sed -i itself") {
    liveproxy::test::process sed({"sed", "-i", "s/red/blue/", (dir / "site.css").string()});
    REQUIRE(sed.wait_exit(10s) == 0);
  }
  REQUIRE(h.wait_for("site.css"));
  // A sentinel written afterwards proves everything before it has been processed.
  write_file(dir / "sentinel.html", "x");
  REQUIRE(h.wait_for("sentinel.html"));
  std::size_t naming_it = 0;
  for (const auto& b : h.batches()) {
    CHECK(b.strongest != action::restart);
    for (const auto& c : b.changes) {
      INFO("reported: " << c.rel_path);
      CHECK((c.rel_path == "site.css" || c.rel_path == "sentinel.html"));
      if (c.rel_path == "site.css") {
        ++naming_it;
        CHECK(b.strongest == action::css);
      }
    }
  }
  CHECK(naming_it == 1);
}

TEST_CASE("a file replaced by one of the same size and modification time is a change (a new inode)",
          "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-inode");
  const auto target = (dir / "views.py").string();
  write_file(target, "v1\n");
  harness h(opts_for(dir, kind));

  // What `cp -p` or an rsync of an older revision does: only the inode tells the files apart.
  struct stat before {};
  REQUIRE(::stat(target.c_str(), &before) == 0);
  const auto tmp = (dir / "views.py.tmp").string();  // ignored by default: only views.py is reported
  write_file(tmp, "v2\n");
  const timespec times[2] = {{0, UTIME_OMIT}, before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, tmp.c_str(), times, 0) == 0);
  fs::rename(tmp, target);
  struct stat after {};
  REQUIRE(::stat(target.c_str(), &after) == 0);
  REQUIRE(after.st_size == before.st_size);
  REQUIRE(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
  REQUIRE(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  REQUIRE(after.st_ino != before.st_ino);

  REQUIRE(h.wait_for("views.py"));
  CHECK(h.times_seen("views.py") == 1);
}

TEST_CASE("new subdirectories are watched - files created in them before the watch are found", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-subdir");
  harness h(opts_for(dir, kind));

  // Created in one go: the file may well exist before the watcher has seen the directory.
  write_file(dir / "pkg/deep/er/first.py", "x");
  REQUIRE(h.wait_for("pkg/deep/er/first.py"));
  write_file(dir / "pkg/deep/er/second.py", "x");
  REQUIRE(h.wait_for("pkg/deep/er/second.py"));
  write_file(dir / "pkg/third.html", "x");
  REQUIRE(h.wait_for("pkg/third.html"));
}

TEST_CASE("a directory moved into the tree is watched and its files reported", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir outside("watcher-outside");
  temp_dir dir("watcher-movein");
  write_file(outside / "incoming/sub/a.py", "x");
  harness h(opts_for(dir, kind));

  fs::rename(outside / "incoming", dir / "incoming");
  REQUIRE(h.wait_for("incoming/sub/a.py"));
  write_file(dir / "incoming/sub/b.py", "x");
  REQUIRE(h.wait_for("incoming/sub/b.py"));

  // Moved within the tree: the new location is watched under its new name. The move is reported as
  // its files (polling) or as the directory's two names (inotify: its watches are re-pathed, not rescanned).
  fs::rename(dir / "incoming", dir / "moved");
  REQUIRE(wait_until([&] { return h.saw_under("moved") && h.saw_under("incoming"); }));
  h.clear();
  write_file(dir / "moved/sub/c.py", "x");
  REQUIRE(h.wait_for("moved/sub/c.py"));
  CHECK_FALSE(h.saw("incoming/sub/c.py"));
}

TEST_CASE("ignored paths produce nothing", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-ignored");
  write_file(dir / ".gitignore", "build/\n*.generated.py\n");
  write_file(dir / "node_modules/pkg/index.js", "x");
  write_file(dir / ".git/HEAD", "ref: main\n");
  fs::create_directories(dir / "build");
  options o = opts_for(dir, kind);
  o.extra_ignores = {"scratch/"};
  harness h(std::move(o));

  write_file(dir / "node_modules/pkg/index.js", "y");
  write_file(dir / "node_modules/new/index.js", "y");
  write_file(dir / ".git/index", "y");
  write_file(dir / "build/out.js", "y");
  write_file(dir / "models.generated.py", "y");
  write_file(dir / "app/__pycache__/views.cpython-311.pyc", "y");
  write_file(dir / "server.log", "y");
  write_file(dir / "db.sqlite3", "y");
  write_file(dir / ".views.py.swp", "y");
  write_file(dir / "scratch/notes.py", "y");
  write_file(dir / "sentinel.py", "x");
  REQUIRE(h.wait_for("sentinel.py"));
  const auto paths = h.all_rel_paths();
  CHECK(paths == std::vector<std::string>{"sentinel.py"});
}

TEST_CASE("a .gitignore written while running applies to later changes - directory patterns too", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-gitignore-live");
  write_file(dir / ".gitignore", "cache/\n");
  write_file(dir / "cache/a.py", "x");
  write_file(dir / "build/b.py", "x");
  harness h(opts_for(dir, kind));

  // From now on build/ is ignored (it was watched) and cache/ is not (it was never watched).
  write_file(dir / ".gitignore", "*.gen\nbuild/\n");
  write_file(dir / "first.py", "x");
  REQUIRE(h.wait_for("first.py"));
  write_file(dir / "x.gen", "y");
  write_file(dir / "build/b.py", "y");
  write_file(dir / "build/sub/c.py", "y");
  write_file(dir / "cache/new.py", "y");
  write_file(dir / "sentinel.py", "x");
  REQUIRE(h.wait_for("sentinel.py"));
  CHECK(h.wait_for("cache/new.py"));
  CHECK_FALSE(h.saw("x.gen"));
  CHECK_FALSE(h.saw(".gitignore"));
  // Neither a change under it nor its files dropping out of sight (polling) counts.
  for (const auto& p : h.all_rel_paths()) CHECK_FALSE(p.starts_with("build/"));
}

TEST_CASE("two .gitignore files changed at once (a checkout) both apply", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-gitignore-two");
  write_file(dir / "sub/out/x.py", "x");
  harness h(opts_for(dir, kind));

  // Both written before the watcher reads a single event; the outer one first.
  h.on_loop([&] {
    write_file(dir / ".gitignore", "*.gen\n");
    write_file(dir / "sub/.gitignore", "out/\n");
  });
  write_file(dir / "first.py", "x");
  REQUIRE(h.wait_for("first.py"));
  write_file(dir / "sub/out/x.py", "y");
  write_file(dir / "sub/out/deeper/y.py", "y");
  write_file(dir / "sub/z.gen", "y");
  write_file(dir / "sentinel.py", "x");
  REQUIRE(h.wait_for("sentinel.py"));
  for (const auto& p : h.all_rel_paths()) {
    INFO("reported: " << p);
    CHECK((p == "first.py" || p == "sentinel.py"));
  }
}

TEST_CASE("extra files are watched even in ignored directories and outside the roots", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-extra");
  temp_dir outside("watcher-extra-outside");
  const auto in_venv = dir / ".venv/lib/site-packages/lib.py";
  const auto out = outside / "other.py";
  write_file(in_venv, "x");
  write_file(out, "x");
  write_file(outside / "not_watched.py", "x");
  harness h(opts_for(dir, kind));
  h.watch_extra({in_venv, out, dir / "app.py"});

  write_file(in_venv, "y");
  REQUIRE(h.wait_for(in_venv.string()));  // extra files report their absolute path
  write_file(out, "y");
  REQUIRE(h.wait_for(out.string()));
  // A file both in the tree and extra is reported once, root-relative.
  write_file(dir / "app.py", "y");
  REQUIRE(h.wait_for("app.py"));
  write_file(outside / "not_watched.py", "y");
  write_file(dir / "sentinel.py", "x");
  REQUIRE(h.wait_for("sentinel.py"));
  CHECK_FALSE(h.saw((outside / "not_watched.py").string()));
  CHECK_FALSE(h.saw((dir / "app.py").string()));
  CHECK_FALSE(h.saw(".venv/lib/site-packages/lib.py"));
}

TEST_CASE("a 5000-file burst is one restart batch", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-burst");
  options o = opts_for(dir, kind);
  // Generous settle time: a loaded test machine stalls the writer for hundreds of milliseconds (300 ms split
  // the burst now and then while other tests ran); the point is one batch per burst, not the settle time.
  o.restart_settle = 2000ms;
  harness h(std::move(o));
  for (int d = 0; d < 50; ++d) {
    for (int f = 0; f < 100; ++f) {
      const char* ext = f % 3 == 0 ? ".css" : f % 3 == 1 ? ".html" : ".py";
      write_file(dir / ("pkg" + std::to_string(d)) / ("f" + std::to_string(f) + ext), "x");
    }
  }
  const bool all_seen = wait_until([&] { return h.change_count() >= 5000; }, 30s);
  const auto so_far = h.batches();
  INFO("changes seen: " << h.change_count() << " in " << so_far.size() << " batches, overflow "
                        << std::any_of(so_far.begin(), so_far.end(), [](const batch& b) { return b.overflow; }));
  if (!all_seen) {
    const auto seen = h.all_rel_paths();
    std::size_t shown = 0;
    for (int d = 0; d < 50 && shown < 20; ++d)
      for (int f = 0; f < 100 && shown < 20; ++f) {
        const char* ext = f % 3 == 0 ? ".css" : f % 3 == 1 ? ".html" : ".py";
        const std::string rel = "pkg" + std::to_string(d) + "/f" + std::to_string(f) + ext;
        if (std::find(seen.begin(), seen.end(), rel) == seen.end()) { UNSCOPED_INFO("missing " << rel); ++shown; }
      }
  }
  REQUIRE(all_seen);
  write_file(dir / "sentinel.py", "x");
  REQUIRE(h.wait_for("sentinel.py"));
  const auto batches = h.batches();
  // The burst's first file is css and may go out alone on the leading edge; then one restart.
  // The leading-edge file is listed again in the restart batch that follows it: count distinct paths.
  std::size_t restarts = 0;
  std::set<std::string> changed;
  for (const auto& b : batches) {
    if (b.strongest == action::restart) ++restarts;
    for (const auto& c : b.changes)
      if (c.rel_path != "sentinel.py") changed.insert(c.rel_path);
  }
  CHECK(changed.size() == 5000);
  CHECK(restarts == 2);  // the burst and the sentinel
  CHECK(batches.size() <= 3);
}

TEST_CASE("deleting a directory reports its files - a deleted root is reported and the watcher keeps going",
          "[fs][watcher]") {
  const backend_kind kind = each_backend();
  auto dir = std::make_unique<temp_dir>("watcher-delete");
  write_file(*dir / "pkg/sub/a.py", "x");
  write_file(*dir / "pkg/b.html", "x");
  temp_dir other("watcher-delete-other");
  options o = opts_for(*dir, kind);
  o.roots.push_back(other.path());
  harness h(std::move(o));

  fs::remove_all(*dir / "pkg");
  REQUIRE(h.wait_for("pkg/sub/a.py"));
  REQUIRE(h.wait_for("pkg/b.html"));

  // The whole root goes away; the other root is still watched.
  dir.reset();
  write_file(other / "still.py", "x");
  REQUIRE(h.wait_for("still.py"));
}

TEST_CASE("symlinked directories are not followed and symlink loops are harmless", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-symlink");
  temp_dir outside("watcher-symlink-target");
  write_file(outside / "lib.py", "x");
  fs::create_directory_symlink(outside.path(), dir / "linked");
  fs::create_directories(dir / "a");
  fs::create_directory_symlink(dir.path(), dir / "a/loop");  // a cycle if it were followed
  harness h(opts_for(dir, kind));

  write_file(outside / "lib.py", "y");
  write_file(dir / "sentinel.py", "x");
  REQUIRE(h.wait_for("sentinel.py"));
  CHECK_FALSE(h.saw("linked/lib.py"));
  // A new symlink is itself a change (a new entry in the tree).
  fs::create_symlink(outside / "lib.py", dir / "alias.py");
  REQUIRE(h.wait_for("alias.py"));
}

TEST_CASE("a kernel queue overflow gives one conservative batch flagged overflow - then watching goes on",
          "[fs][watcher]") {
  temp_dir dir("watcher-overflow");
  write_file(dir / "a.py", "x");
  write_file(dir / "b.py", "x");
  harness h(opts_for(dir, backend_kind::inotify));

  // A directory made while events are lost: only the rescan after the overflow can find and watch it.
  h.overflow_inotify_queue(dir / "a.py", dir / "b.py", [&] { write_file(dir / "made_meanwhile/first.py", "x"); });
  REQUIRE(wait_until([&] { return h.saw_overflow(); }));
  write_file(dir / "made_meanwhile/later.py", "x");
  REQUIRE(h.wait_for("made_meanwhile/later.py"));
  write_file(dir / "sentinel.py", "x");
  REQUIRE(h.wait_for("sentinel.py"));
  std::size_t overflows = 0;
  for (const auto& x : h.batches()) {
    if (!x.overflow) continue;
    ++overflows;
    CHECK(x.strongest == action::restart);
  }
  CHECK(overflows == 1);
}

TEST_CASE("directories beyond the inotify watch limit are polled instead", "[fs][watcher]") {
  temp_dir dir("watcher-enospc");
  for (int i = 0; i < 5; ++i) write_file(dir / ("d" + std::to_string(i)) / "x.py", "x");
  // Room for the root and two directories only (see the seam in inotify_backend.cpp).
  ::setenv("LIVEPROXY_TEST_MAX_INOTIFY_WATCHES", "3", 1);
  harness h(opts_for(dir, backend_kind::inotify));
  ::unsetenv("LIVEPROXY_TEST_MAX_INOTIFY_WATCHES");
  CHECK(h.backend() == "inotify, polling 3 directories");

  for (int i = 0; i < 5; ++i) write_file(dir / ("d" + std::to_string(i)) / "x.py", "y");
  for (int i = 0; i < 5; ++i) CHECK(h.wait_for("d" + std::to_string(i) + "/x.py"));
  // A directory created later cannot get a watch either: its files are found by polling.
  write_file(dir / "late/new.py", "x");
  CHECK(h.wait_for("late/new.py"));
  write_file(dir / "late/second.py", "x");
  CHECK(h.wait_for("late/second.py"));
}

TEST_CASE("a directory polled for lack of watches is polled once however many overflows - and no more once gone",
          "[fs][watcher]") {
  temp_dir dir("watcher-enospc-overflow");
  write_file(dir / "a.py", "x");
  write_file(dir / "b.py", "x");
  for (int i = 0; i < 5; ++i) write_file(dir / ("d" + std::to_string(i)) / "x.py", "x");
  ::setenv("LIVEPROXY_TEST_MAX_INOTIFY_WATCHES", "3", 1);
  harness h(opts_for(dir, backend_kind::inotify));
  ::unsetenv("LIVEPROXY_TEST_MAX_INOTIFY_WATCHES");
  // The root and two directories have watches.
  REQUIRE(h.backend() == "inotify, polling 3 directories");

  // Each overflow's rescan meets the watch limit again for the same directories.
  for (int round = 0; round < 2; ++round) {
    h.clear();
    h.overflow_inotify_queue(dir / "a.py", dir / "b.py");
    REQUIRE(wait_until([&] { return h.saw_overflow(); }));
    CHECK(h.backend() == "inotify, polling 3 directories");
  }
  h.clear();
  write_file(dir / "d4/x.py", "edited");
  CHECK(h.wait_for("d4/x.py"));

  // Deleted: their files are reported gone, polled or not, and nothing is polled any more.
  h.clear();
  for (int i = 0; i < 5; ++i) fs::remove_all(dir / ("d" + std::to_string(i)));
  for (int i = 0; i < 5; ++i) CHECK(h.wait_for("d" + std::to_string(i) + "/x.py"));
  CHECK(wait_until([&] { return h.backend() == "inotify"; }));
}

TEST_CASE("the inotify watch limit is named once with its current value and the polling fallback",
          "[fs][watcher]") {
  temp_dir dir("watcher-enospc-message");
  for (int i = 0; i < 6; ++i) write_file(dir / ("d" + std::to_string(i)) / "x.py", "x");
  ::setenv("LIVEPROXY_TEST_MAX_INOTIFY_WATCHES", "2", 1);
  harness h(opts_for(dir, backend_kind::inotify));
  ::unsetenv("LIVEPROXY_TEST_MAX_INOTIFY_WATCHES");
  // More directories that cannot get a watch, later: still no second notice.
  write_file(dir / "late/deeper/new.py", "x");
  REQUIRE(h.wait_for("late/deeper/new.py"));

  std::ifstream sysctl("/proc/sys/fs/inotify/max_user_watches");
  long current = 0;
  REQUIRE(sysctl >> current);
  const std::string expected = "inotify watch limit reached (fs.inotify.max_user_watches = " +
                               std::to_string(current) +
                               "): the directories that could not be watched are polled every 500 ms instead; "
                               "raise the limit with: sudo sysctl fs.inotify.max_user_watches=" +
                               std::to_string(std::max(524288L, 2 * current));
  const auto messages = h.messages();
  for (const auto& m : messages) UNSCOPED_INFO("notice: " << m);
  CHECK(std::count(messages.begin(), messages.end(), expected) == 1);
  CHECK(std::count_if(messages.begin(), messages.end(), [](const std::string& m) {
          return m.find("max_user_watches") != std::string::npos;
        }) == 1);
}
