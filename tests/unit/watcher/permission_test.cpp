// Unreadable subdirectories, for real: as root the watcher runs in a child that has dropped to nobody.
#include "fs_harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using liveproxy::test::backend_kind;
using liveproxy::test::opts_for;
using liveproxy::test::temp_dir;
using liveproxy::test::wait_until;
using liveproxy::test::write_file;
using harness = liveproxy::test::watcher_harness;

namespace {

// nobody:nogroup on Debian.
constexpr uid_t nobody_uid = 65534;
constexpr gid_t nobody_gid = 65534;

struct outcome {
  std::vector<std::string> messages;
  bool saw_readable_change = false;
  bool saw_hidden = false;
  std::string failure;  // set when the scenario could not run as intended
};

bool can_list(const fs::path& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return false;
  ::closedir(d);
  return true;
}

// The watcher on a tree with two unreadable directories: both named, a readable change still seen.
outcome run_scenario(const temp_dir& dir, backend_kind kind) {
  outcome out;
  if (can_list(dir / "secret")) {
    out.failure = "uid " + std::to_string(::geteuid()) + " can still read a mode 000 directory";
    return out;
  }
  harness h(opts_for(dir, kind));
  const bool named = h.wait_for_message((dir / "secret").string()) && h.wait_for_message((dir / "ok/locked").string());
  write_file(dir / "ok/b.py", "x");
  out.saw_readable_change = h.wait_for("ok/b.py");
  // More polling rounds have passed over the unreadable directories by now: still one notice each.
  write_file(dir / "ok/c.py", "x");
  h.wait_for("ok/c.py");
  out.saw_hidden = h.saw_under("secret") || h.saw_under("ok/locked");
  out.messages = h.messages();
  if (!named) out.failure = "no notice named both unreadable directories";
  return out;
}

// Runs the scenario in a child as nobody and reads its outcome back through a pipe, one field a line.
outcome run_as_nobody(const temp_dir& dir, backend_kind kind) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string report;
    if (::setgroups(0, nullptr) != 0 || ::setgid(nobody_gid) != 0 || ::setuid(nobody_uid) != 0) {
      report = std::string("failure\tcannot become nobody: ") + std::strerror(errno) + "\n";
    } else {
      try {
        const outcome o = run_scenario(dir, kind);
        for (const auto& m : o.messages) report += "message\t" + m + "\n";
        report += std::string("readable\t") + (o.saw_readable_change ? "1" : "0") + "\n";
        report += std::string("hidden\t") + (o.saw_hidden ? "1" : "0") + "\n";
        if (!o.failure.empty()) report += "failure\t" + o.failure + "\n";
      } catch (const std::exception& e) {
        report = std::string("failure\t") + e.what() + "\n";
      }
    }
    for (std::size_t off = 0; off < report.size();) {
      const ssize_t n = ::write(fds[1], report.data() + off, report.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    // No destructors or atexit handlers of the parent's state in the child.
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  char buf[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fds[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  if (!wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 5s)) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  outcome out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto tab = line.find('\t');
    const std::string key = line.substr(0, tab);
    const std::string value = tab == std::string::npos ? "" : line.substr(tab + 1);
    if (key == "message") out.messages.push_back(value);
    if (key == "readable") out.saw_readable_change = value == "1";
    if (key == "hidden") out.saw_hidden = value == "1";
    if (key == "failure") out.failure = value;
  }
  if (text.empty()) out.failure = "the child reported nothing (status " + std::to_string(status) + ")";
  return out;
}

std::size_t notices_naming(const std::vector<std::string>& messages, const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& m : messages)
    if (m.find(dir.string() + " ") != std::string::npos) ++n;
  return n;
}

}  // namespace

TEST_CASE("unreadable subdirectories are named once each with the reason and the rest is still watched",
          "[fs][watcher]") {
  // Both backends that read the tree themselves (watchman reads it as its own user).
  const backend_kind kind = GENERATE(backend_kind::inotify, backend_kind::poll);
  temp_dir dir("watcher-perm");
  write_file(dir / "ok/a.py", "x");
  write_file(dir / "ok/locked/inner.py", "x");
  write_file(dir / "secret/hidden.py", "x");
  const bool root = ::geteuid() == 0;
  if (root) {
    // Root reads everything whatever the mode: the tree goes to nobody, who will run the watcher.
    REQUIRE(::lchown(dir.path().c_str(), nobody_uid, nobody_gid) == 0);
    for (const auto& e : fs::recursive_directory_iterator(dir.path()))
      REQUIRE(::lchown(e.path().c_str(), nobody_uid, nobody_gid) == 0);
  }
  fs::permissions(dir / "secret", fs::perms::none);
  fs::permissions(dir / "ok/locked", fs::perms::none);
  if (!root && can_list(dir / "secret")) {
    WARN("SKIPPED: this non-root user can read a mode 000 directory (a capability such as CAP_DAC_OVERRIDE?)");
    return;
  }

  const outcome o = root ? run_as_nobody(dir, kind) : run_scenario(dir, kind);
  INFO("ran as " << (root ? "nobody in a child of root" : "this user"));
  for (const auto& m : o.messages) UNSCOPED_INFO("notice: " << m);
  REQUIRE(o.failure.empty());
  CHECK(o.saw_readable_change);
  CHECK_FALSE(o.saw_hidden);
  CHECK(notices_naming(o.messages, dir / "secret") == 1);
  CHECK(notices_naming(o.messages, dir / "ok/locked") == 1);
  const std::string expected = "cannot read directory " + (dir / "secret").string() + " (" + std::strerror(EACCES) +
                               "): changes in it are not seen; everything else is still watched";
  CHECK(std::count(o.messages.begin(), o.messages.end(), expected) == 1);
}
