// Starts the app under a guard process that outlives liveproxy just long enough to stop the app's whole tree.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace liveproxy {

/// What to run.
struct spawn_spec {
  std::vector<std::string> argv;     ///< looked up on PATH if argv[0] has no '/'
  std::vector<std::string> env_add;  ///< "NAME=value" entries added to (or replacing in) our environment
  int listen_fd = -1;                ///< --fd mode: passed to the app as fd 3
  /// With listen_fd: also set LISTEN_FDS=1, LISTEN_PID, LISTEN_FDNAMES (systemd socket activation).
  bool listen_env = true;
  /// --preload: the read end of the pipe a warm interpreter waits on before it runs the app, passed as go_fd_number.
  int go_fd = -1;
  /// The app's pseudo-terminal (slave side): the app runs in a session of its own with it as its controlling
  /// terminal, on stdin, stdout and stderr; output_fd is then -1 (the caller reads the master). -1: stdin is
  /// /dev/null and the output goes through a pipe.
  int pty_slave = -1;
  /// The directory the app runs in; empty: liveproxy's.
  std::string cwd = {};
};

/// The descriptor number a warm interpreter finds its go pipe on (after the listening socket's 3).
inline constexpr int go_fd_number = 4;

/// The descriptors of one guarded run; all are O_CLOEXEC in liveproxy and owned by the caller.
struct guarded_run {
  pid_t guard = -1;     ///< the guard (our child)
  pid_t app = -1;       ///< the app (the guard's child), leader of its own process group
  int guard_pidfd = -1; ///< readable when the guard has exited: the app's whole tree is gone
  int status_fd = -1;   ///< 4 bytes arrive when the app (group leader) exits: its raw wait status
  int output_fd = -1;   ///< the app's stdout+stderr
  int control_fd = -1;  ///< write 'k' to have the guard SIGKILL the tree now; closing it (or our death) = stop
};

/// Forks the guard, which becomes a child subreaper, forks the app into a new process group and
/// execs it. The guard then waits for the app to exit, or for liveproxy to die (EOF on its control
/// pipe, however liveproxy died, even by SIGKILL), and ends only when no descendant is left:
/// the group and every process reparented to it (e.g. ones that called setsid()) get SIGTERM,
/// then SIGKILL after a grace period. The app is forked with every signal blocked and execs with them
/// unblocked and with the default action for those liveproxy and the guard handle or ignore, so a SIGTERM to
/// its group is never lost, even one sent the moment this returns (before exec, it ends the app there); if
/// liveproxy dies before the app is forked, the guard starts none. Throws std::system_error if a pipe or fork fails.
guarded_run spawn_guarded(const spawn_spec& spec);

}  // namespace liveproxy
