// A watch root that is deleted or moved away is reported, waited for, and watched again when it is back.
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

TEST_CASE("a deleted watch root is watched again when it comes back", "[fs][watcher]") {
  const backend_kind kind = each_backend();
  temp_dir outer("watcher-root");
  // The root's parent is part of what the inotify backend watches while the root is missing.
  const fs::path root = outer / "parent/proj";
  write_file(root / "a.py", "x");
  write_file(root / "pkg/b.py", "x");
  auto opts = opts_for(outer, kind);
  opts.roots = {root};
  harness h(std::move(opts));

  // watchman cancels the watch of a deleted root without listing its files: the watcher reports
  // that as lost events (a conservative restart).
  const auto deletion_seen = [&] {
    return kind == backend_kind::watchman ? wait_until([&] { return h.saw_overflow(); })
                                          : h.wait_for("a.py") && h.wait_for("pkg/b.py");
  };
  SECTION("deleted - its parent stays") {
    fs::remove_all(root);
    REQUIRE(deletion_seen());
  }
  SECTION("deleted with its parent") {
    fs::remove_all(outer / "parent");
    REQUIRE(deletion_seen());
  }
  SECTION("moved away and back") {
    fs::rename(root, outer / "elsewhere");
    REQUIRE(h.wait_for_message(root.string() + " is gone"));
    // Changes at the new place are not ours: the root is the path, not the inode.
    write_file(outer / "elsewhere/moved.py", "x");
    fs::rename(outer / "elsewhere", root);
  }
  REQUIRE(h.wait_for_message(root.string() + " is gone"));

  // It comes back with new content: what is in it is reported, and then watched; from here on no
  // batch may claim lost events.
  h.clear();
  write_file(root / "new/c.py", "x");
  REQUIRE(h.wait_for("new/c.py"));
  REQUIRE(h.wait_for_message(root.string() + " is back"));
  h.clear();
  write_file(root / "new/c.py", "edited");
  REQUIRE(h.wait_for("new/c.py"));
  write_file(root / "new/deeper/d.html", "x");
  REQUIRE(h.wait_for("new/deeper/d.html"));
  for (const auto& p : h.all_rel_paths()) CHECK_FALSE(p.starts_with("elsewhere"));
  // Coming back is not lost events: a second listing of the root (watchman answering a duplicate
  // subscribe) would arrive as an unexpected fresh instance. The sentinel comes after it.
  write_file(root / "sentinel.py", "x");
  REQUIRE(h.wait_for("sentinel.py"));
  CHECK_FALSE(h.saw_overflow());
}
