// Backend choice and the run-time fallback to polling.
#include "watcher/backend_factory.hpp"

#include "watcher/inotify_backend.hpp"

#include <iostream>
#include <stdexcept>

namespace liveproxy::watcher {

std::unique_ptr<backend> make_backend(boost::asio::any_io_executor ex, const options& opts,
                                      std::shared_ptr<watch_tree> tree, event_sink& sink) {
#if defined(__linux__)
  auto native = make_inotify_backend(ex, tree, sink);
  native->start();
  return native;
#else
#error "no native file watching backend for this platform yet"
#endif
  (void)opts;
}

}  // namespace liveproxy::watcher
