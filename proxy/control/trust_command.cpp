// `liveproxy trust`: the tools that own each store do the work (update-ca-certificates, certutil); we say what
// changed. Nothing is run through a shell.
#include "proxy/control/trust_command.hpp"

#include "proxy/tls/local_ca.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>

namespace liveproxy {
namespace {

namespace fs = std::filesystem;

/// Runs argv (found on PATH), its output kept; the exit status, or -1 when it could not be started.
int run_tool(const std::vector<std::string>& argv, std::string& output) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  char buf[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) output.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t from = 0; from <= dirs.size();) {
    const auto colon = dirs.find(':', from);
    const auto dir = dirs.substr(from, colon == std::string::npos ? std::string::npos : colon - from);
    if (!dir.empty() && ::access((fs::path(dir) / program).c_str(), X_OK) == 0) return true;
    if (colon == std::string::npos) break;
    from = colon + 1;
  }
  return false;
}

std::string safe_name(std::string s) {
  for (auto& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '-';
  return s;
}

/// Says a tool's failure with what it printed.
void tool_failed(const std::string& what, int status, const std::string& output) {
  std::cerr << "liveproxy trust: " << what << " failed"
            << (status < 0 ? std::string(" (could not run it)") : " (exit status " + std::to_string(status) + ")")
            << (output.empty() ? "" : ":\n" + output) << "\n";
}

}  // namespace

trust_places find_trust_places(const fs::path& home, const std::string& owner) {
  trust_places p;
  p.system_file = fs::path("/usr/local/share/ca-certificates") / ("liveproxy-" + safe_name(owner) + ".crt");
  p.nss_databases.push_back(home / ".pki/nssdb");  // Chromium's (and Chrome's): made if missing
  std::error_code ec;
  for (const auto& root : {home / ".mozilla/firefox", home / "snap/firefox/common/.mozilla/firefox"}) {
    if (!fs::is_directory(root, ec)) continue;
    for (const auto& profile : fs::directory_iterator(root, ec))
      if (fs::exists(profile.path() / "cert9.db", ec)) p.nss_databases.push_back(profile.path());
  }
  return p;
}

int run_trust_command(int argc, char** argv, const std::string& owner) {
  bool remove = false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--remove") {
      remove = true;
    } else {
      std::cerr << "usage: liveproxy trust [--remove]   add liveproxy's local certificate authority to this machine's\n"
                   "                                    stores (the system's, Chromium's and Firefox's), or take it out\n";
      return a == "-h" || a == "--help" ? 0 : 2;
    }
  }
  const auto dir = local_ca::default_dir();
  std::optional<local_ca> ca;
  if (!remove || fs::exists(dir / "ca.pem")) {
    try {
      ca.emplace(local_ca::load_or_create(dir, owner));
    } catch (const std::exception& e) {
      std::cerr << "liveproxy trust: " << e.what() << "\n";
      return 1;
    }
    if (ca->created()) std::cout << "made liveproxy's local certificate authority: " << ca->cert_path().string() << "\n";
  }
  const std::string name = ca ? ca->name() : "liveproxy development CA (" + owner + ")";
  const char* home = std::getenv("HOME");
  const auto places = find_trust_places(home && *home ? home : "/root", owner);
  bool failed = false;

  // The system store: root's to change.
  std::error_code ec;
  if (::geteuid() != 0) {
    std::cout << "the system store needs root: "
              << (remove ? "sudo rm -f " + places.system_file.string() + " && sudo update-ca-certificates --fresh"
                         : "sudo cp " + (ca ? ca->cert_path().string() : std::string("ca.pem")) + " " +
                               places.system_file.string() + " && sudo update-ca-certificates")
              << "\n";
  } else if (!on_path("update-ca-certificates")) {
    std::cout << "no update-ca-certificates here (Debian's ca-certificates package): the system store is left as it is\n";
  } else if (remove ? fs::exists(places.system_file, ec) : true) {
    if (remove) {
      fs::remove(places.system_file, ec);
    } else {
      fs::create_directories(places.system_file.parent_path(), ec);
      std::ofstream(places.system_file, std::ios::binary | std::ios::trunc) << ca->cert_pem();
    }
    std::string out;
    // --fresh on removal: the hash link of a removed certificate is not always dropped otherwise.
    const int status = run_tool(remove ? std::vector<std::string>{"update-ca-certificates", "--fresh"}
                                       : std::vector<std::string>{"update-ca-certificates"},
                                out);
    if (status != 0) {
      tool_failed("update-ca-certificates", status, out);
      failed = true;
    } else {
      std::cout << (remove ? "removed from the system store: " : "added to the system store: ")
                << places.system_file.string() << " (update-ca-certificates: /etc/ssl/certs)\n";
    }
  } else {
    std::cout << "not in the system store (" << places.system_file.string() << " is not there)\n";
  }

  // The browsers' NSS databases.
  if (!on_path("certutil")) {
    std::cout << "no certutil here (Debian's libnss3-tools): Chromium's and Firefox's databases are left as they "
                 "are; import "
              << (ca ? ca->cert_path().string() : std::string("ca.pem")) << " in their settings as an authority\n";
  } else {
    for (const auto& db : places.nss_databases) {
      const std::string where = "sql:" + db.string();
      std::string out;
      if (!fs::exists(db / "cert9.db", ec)) {
        if (remove) continue;
        fs::create_directories(db, ec);
        if (run_tool({"certutil", "-N", "--empty-password", "-d", where}, out) != 0) {
          tool_failed("certutil -N -d " + where, -1, out);
          failed = true;
          continue;
        }
      }
      out.clear();
      const bool present = run_tool({"certutil", "-L", "-d", where, "-n", name}, out) == 0;
      out.clear();
      if (remove && !present) {
        std::cout << "not in " << db.string() << "\n";
        continue;
      }
      if (!remove && present) run_tool({"certutil", "-D", "-d", where, "-n", name}, out);  // replaced, not doubled
      out.clear();
      const int status = remove ? run_tool({"certutil", "-D", "-d", where, "-n", name}, out)
                                : run_tool({"certutil", "-A", "-d", where, "-t", "C,,", "-n", name, "-i",
                                            ca->cert_path().string()},
                                           out);
      if (status != 0) {
        tool_failed("certutil on " + db.string(), status, out);
        failed = true;
      } else {
        std::cout << (remove ? "removed from " : "added to ") << db.string() << " (\"" << name << "\")\n";
      }
    }
  }
  if (!remove && ca)
    std::cout << "browsers started from now on trust https://localhost with liveproxy --https (a running browser may "
                 "need a restart); SHA-256 "
              << ca->fingerprint() << "\n";
  return failed ? 1 : 0;
}

}  // namespace liveproxy
