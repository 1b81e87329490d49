// The mapping is documented in exit_status.hpp and in the README.
#include "proxy/app/exit_status.hpp"

#include "proxy/app/supervisor.hpp"

namespace liveproxy {

int exit_status_for(const std::optional<app_exit>& unrecovered) {
  if (!unrecovered) return 0;
  if (unrecovered->signaled) return 128 + unrecovered->code;
  // 126/127 (cannot execute / not found) pass through: they mean the same as in a shell.
  return unrecovered->code & 0xff;
}

}  // namespace liveproxy
