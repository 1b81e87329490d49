// What /proc says about a process: open descriptors, resident memory, CPU time.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace liveproxy::test {

/// Entries in /proc/PID/fd (0 if the process is gone).
std::size_t open_fds(pid_t pid);
/// VmRSS in bytes (0 if the process is gone).
std::size_t rss_bytes(pid_t pid);
/// User plus system CPU time in seconds.
double cpu_seconds(pid_t pid);

}  // namespace liveproxy::test
