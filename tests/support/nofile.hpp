// The open-file limit for tests that hold thousands of sockets (in this process and in the liveproxy it starts).
#pragma once

#include <sys/resource.h>

#include <algorithm>

namespace liveproxy::test {

/// Sets this process's soft open-file limit (children started meanwhile inherit it), at most the hard limit
/// (CI's soft limit may be 1024); restores it when done.
class scoped_nofile {
 public:
  explicit scoped_nofile(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit want = saved_;
    want.rlim_cur = std::min(soft, saved_.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &want);
  }
  ~scoped_nofile() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  scoped_nofile(const scoped_nofile&) = delete;
  scoped_nofile& operator=(const scoped_nofile&) = delete;
  static rlim_t hard() {
    rlimit r{};
    ::getrlimit(RLIMIT_NOFILE, &r);
    return r.rlim_max;
  }

 private:
  rlimit saved_{};
};

}  // namespace liveproxy::test
