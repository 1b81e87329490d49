// A watched root on a FUSE file system (bindfs, standing in for sshfs, virtiofs or a VM's shared folder):
// changes made on the other side of the mount never reach inotify, so liveproxy polls that root, says so,
// and still watches local roots with inotify.
#include "support/liveproxy_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <sys/mount.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// `bindfs from to` for the test's lifetime. mounted() is false when this machine cannot mount FUSE (no
/// /dev/fuse, not root); the reason is kept.
class bind_mount {
 public:
  bind_mount(const fs::path& from, const fs::path& to) : to_(to) {
    process p({"bindfs", "--no-allow-other", from.string(), to.string()});
    const auto status = p.wait_exit(20s);
    mounted_ = status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
    if (!mounted_) why_ = "bindfs: " + p.output();
  }
  ~bind_mount() {
    if (mounted_) ::umount2(to_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }

 private:
  fs::path to_;
  bool mounted_ = false;
  std::string why_;
};

bool bindfs_installed() {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin"})
    if (fs::exists(fs::path(dir) / "bindfs")) return true;
  return false;
}

}  // namespace

TEST_CASE("a root on a FUSE mount is polled, so edits made on the other side are seen - local roots keep inotify",
          "[integration][fs][net]") {
  REQUIRE(bindfs_installed());  // Debian package bindfs (tests/scripts/install-deps.sh --tests)
  temp_dir other_side("liveproxy-nfs-src");
  temp_dir mount_point("liveproxy-nfs-mnt");
  temp_dir local("liveproxy-local");
  write_file(other_side / "index.html", "<!doctype html><html><head></head><body>shared</body></html>\n");
  write_file(other_side / "site.css", "body { color: black; }\n");
  write_file(local / "notes.html", "<p>local</p>\n");
  bind_mount mnt(other_side.path(), mount_point.path());
  if (!mnt.mounted()) {
    // Containers without /dev/fuse or CAP_SYS_ADMIN cannot mount: nothing to test there.
    WARN("cannot mount FUSE here, test not run: " << mnt.why());
    return;
  }

  const auto served = fs::canonical(mount_point.path()).string();
  liveproxy_process proxy({"--port", "0", "--serve", served, "--watch", served, "--watch", local.path().string()});
  auto& out = proxy.proc();
  // "(fuse)" here; sshfs says "(fuse.sshfs)".
  REQUIRE(out.wait_for_output("polling " + served + " (fuse", 10s));
  CHECK(out.wait_for_output("(inotify; poll (500 ms) for " + served + " (fuse", 5s));

  ws_client tab(proxy.port());
  REQUIRE(tab.connected());
  REQUIRE(tab.read_json_message(5s));  // hello
  // Written on the other side of the mount, as another machine would: inotify on the mount sees nothing.
  write_file(other_side / "site.css", "body { color: navy; }\n");
  const auto css = tab.read_json_message(5s);
  INFO(out.output());
  REQUIRE(css);
  CHECK(css->at("type") == "css");
  CHECK(css->at("path") == "/site.css");

  // The local root is still watched by inotify: a change there arrives at once.
  write_file(local / "notes.html", "<p>local, edited</p>\n");
  const auto reload = tab.read_json_message(5s);
  REQUIRE(reload);
  CHECK(reload->at("type") == "reload");
}
