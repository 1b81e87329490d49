// Renames on real directories: both names of a file, directories moved within, out of and into the tree.
#include "fs_harness.hpp"

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using liveproxy::test::backend_kind;
using liveproxy::test::each_backend;
using liveproxy::test::opts_for;
using liveproxy::test::temp_dir;
using liveproxy::test::wait_until;
using liveproxy::test::write_file;
using harness = liveproxy::test::watcher_harness;

TEST_CASE("a file rename reports the old and the new name once each", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-rename-file");
  write_file(dir / "pkg/old_name.py", "x");
  harness h(opts_for(dir, kind));

  fs::rename(dir / "pkg/old_name.py", dir / "pkg/new_name.py");
  REQUIRE(h.wait_for("pkg/new_name.py"));
  // A sentinel written afterwards proves everything before it has been processed.
  write_file(dir / "sentinel.html", "x");
  REQUIRE(h.wait_for("sentinel.html"));
  CHECK(h.times_seen("pkg/old_name.py") == 1);
  CHECK(h.times_seen("pkg/new_name.py") == 1);
  CHECK(h.change_count() == 3);
}

TEST_CASE("a directory renamed within the tree is watched under its new name at every depth", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-rename-dir");
  write_file(dir / "pkg/deep/er/views.py", "x");
  write_file(dir / "pkg/other/models.py", "x");
  // Sorts between "pkg" and "pkg/" in a path index: must neither move along nor be lost.
  write_file(dir / "pkg-x/neighbour.py", "x");
  harness h(opts_for(dir, kind));

  fs::rename(dir / "pkg", dir / "app");
  REQUIRE(wait_until([&] { return h.saw_under("app") && h.saw_under("pkg"); }));
  write_file(dir / "sentinel.html", "x");
  REQUIRE(h.wait_for("sentinel.html"));
  if (kind == backend_kind::inotify) {
    // Watches were re-pathed in place: no rescan, so the directory's two names stand for its files.
    CHECK(h.times_seen("app") == 1);
    CHECK(h.times_seen("pkg") == 1);
    CHECK_FALSE(h.saw("app/deep/er/views.py"));
  }

  h.clear();
  write_file(dir / "app/deep/er/views.py", "edited");
  REQUIRE(h.wait_for("app/deep/er/views.py"));
  write_file(dir / "app/other/new.py", "x");
  REQUIRE(h.wait_for("app/other/new.py"));
  write_file(dir / "pkg-x/neighbour.py", "edited");
  REQUIRE(h.wait_for("pkg-x/neighbour.py"));
  CHECK_FALSE(h.saw_under("pkg"));

  // Renamed again, one level down, into a new parent: the same watches, re-pathed again.
  fs::create_directories(dir / "lib");
  fs::rename(dir / "app/deep", dir / "lib/shallow");
  REQUIRE(wait_until([&] { return h.saw_under("lib/shallow") && h.saw_under("app/deep"); }));
  h.clear();
  write_file(dir / "lib/shallow/er/views.py", "again");
  REQUIRE(h.wait_for("lib/shallow/er/views.py"));
  CHECK_FALSE(h.saw_under("app/deep"));
}

TEST_CASE("a directory renamed to an ignored name is no longer reported", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-rename-ignored");
  write_file(dir / "pkg/sub/a.py", "x");
  harness h(opts_for(dir, kind));

  fs::rename(dir / "pkg", dir / "node_modules");
  REQUIRE(wait_until([&] { return h.saw_under("pkg"); }));
  write_file(dir / "node_modules/sub/a.py", "edited");
  write_file(dir / "sentinel.py", "x");
  REQUIRE(h.wait_for("sentinel.py"));
  CHECK_FALSE(h.saw_under("node_modules"));
}

TEST_CASE("a directory moved out of the tree and back in under another name is scanned again", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-rename-out");
  temp_dir outside("watcher-rename-outside");
  write_file(dir / "pkg/sub/a.py", "x");
  harness h(opts_for(dir, kind));

  fs::rename(dir / "pkg", outside / "pkg");
  REQUIRE(wait_until([&] { return h.saw_under("pkg"); }));
  // Back in: nothing pairs it with the move out, so it is new and its files are reported.
  h.clear();
  fs::rename(outside / "pkg", dir / "back");
  REQUIRE(h.wait_for("back/sub/a.py"));
  h.clear();
  write_file(dir / "back/sub/a.py", "edited");
  REQUIRE(h.wait_for("back/sub/a.py"));
  write_file(dir / "back/sub/b.py", "x");
  REQUIRE(h.wait_for("back/sub/b.py"));
  CHECK_FALSE(h.saw_under("pkg"));
}

TEST_CASE("ignore rules follow a renamed directory", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir dir("watcher-rename-rules");
  // Its own .gitignore moves along; an anchored rule of the root applies at the new place only.
  write_file(dir / "pkg/.gitignore", "*.gen\n");
  write_file(dir / "pkg/build/out.py", "x");
  write_file(dir / "pkg/main.py", "x");
  write_file(dir / ".gitignore", "/app/build/\n");
  harness h(opts_for(dir, kind));

  fs::rename(dir / "pkg", dir / "app");
  REQUIRE(wait_until([&] { return h.saw_under("app") && h.saw_under("pkg"); }));
  write_file(dir / "app/x.gen", "x");
  write_file(dir / "app/build/out.py", "edited");
  write_file(dir / "app/kept.py", "x");
  REQUIRE(h.wait_for("app/kept.py"));
  write_file(dir / "sentinel.py", "x");
  REQUIRE(h.wait_for("sentinel.py"));
  CHECK_FALSE(h.saw("app/x.gen"));
  CHECK_FALSE(h.saw("app/build/out.py"));
}
