// Backend choice and the run-time fallback to polling: the only platform #if of the watcher.
#include "watcher/backend_factory.hpp"

#include "watcher/poll_backend.hpp"

#if defined(__linux__)
#include "watcher/inotify_backend.hpp"
#endif

#include <string>
#include <stdexcept>

namespace liveproxy::watcher {

std::unique_ptr<backend> make_backend(boost::asio::any_io_executor ex, const options& opts,
                                      std::shared_ptr<watch_tree> tree, event_sink& sink) {
  // Used when asked for, and when the native backend is unavailable.
  constexpr std::chrono::milliseconds fallback_interval{500};
  std::unique_ptr<backend> chosen;
  if (opts.poll_interval) {
    chosen = make_poll_backend(ex, tree, sink, std::max(*opts.poll_interval, std::chrono::milliseconds{1}));
  } else {
#if defined(__linux__)
    try {
      auto native = make_inotify_backend(ex, tree, sink, fallback_interval);
      native->start();
      return native;
    } catch (const std::runtime_error& e) {
      sink.on_message(std::string("inotify unavailable (") + e.what() + "); polling every " +
                      std::to_string(fallback_interval.count()) + " ms instead");
    }
#endif
    chosen = make_poll_backend(ex, tree, sink, fallback_interval);
  }
  chosen->start();
  return chosen;
}

}  // namespace liveproxy::watcher
