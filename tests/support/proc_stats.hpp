// What /proc says about a process: open descriptors, resident memory, CPU time.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace liveproxy::test {

/// A whole /proc file, or "" if it cannot be read. Plain read(2): a process that exits while its file is
/// read makes read fail with ESRCH, which libstdc++'s filebuf turns into an exception.
std::string read_proc_file(const std::string& path);

/// Entries in /proc/PID/fd (0 if the process is gone).
std::size_t open_fds(pid_t pid);
/// open_fds once it has not changed for 150 ms (a connection a test just closed is gone by then), at most 5 s.
std::size_t settled_open_fds(pid_t pid);
/// VmRSS in bytes (0 if the process is gone).
std::size_t rss_bytes(pid_t pid);
/// User plus system CPU time in seconds.
double cpu_seconds(pid_t pid);

}  // namespace liveproxy::test
