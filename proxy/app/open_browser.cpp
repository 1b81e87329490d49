// A shell starts the browser in the background and exits at once: the browser outlives liveproxy as it
// would if the user had opened it, and liveproxy only waits for the shell (milliseconds).
#include "proxy/app/open_browser.hpp"

#include "proxy/app/project_presets.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

extern char** environ;

namespace liveproxy {

std::string open_browser(const std::string& url) {
  const char* browser = std::getenv("BROWSER");
  std::string opener = browser != nullptr && *browser != '\0' ? browser : "xdg-open";
  const std::string program = opener.substr(0, opener.find(' '));
  if (find_program(program).empty())
    return browser != nullptr && *browser != '\0'
               ? "$BROWSER (" + opener + ") is not a program that can be found"
               : "no xdg-open (Debian package xdg-utils) and no $BROWSER set";
  // $BROWSER is a command line the user wrote; the URL is passed as an argument, never into the script.
  const std::string script = opener + " \"$1\" </dev/null >/dev/null 2>&1 &";
  std::vector<std::string> args{"sh", "-c", script, "sh", url};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The browser starts with default signal handling, whatever liveproxy blocks or catches.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, "/bin/sh", nullptr, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return "cannot start /bin/sh";
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return {};
}

}  // namespace liveproxy
