// Names for actions, for logs and the browser protocol.
#include "watcher/change.hpp"

namespace liveproxy::watcher {

const char* to_string(action a) noexcept {
  switch (a) {
    case action::ignore: return "ignore";
    case action::css: return "css";
    case action::reload: return "reload";
    case action::restart: return "restart";
  }
  return "restart";
}

}  // namespace liveproxy::watcher
