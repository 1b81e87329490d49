// Backend choice and the run-time fallbacks: the only platform #if of the watcher.
#include "watcher/backend_factory.hpp"
#include "watcher/watcher.hpp"

#include "watcher/poll_backend.hpp"
#include "watcher/remote_fs.hpp"
#include "watcher/split_backend.hpp"
#include "watcher/watchman_backend.hpp"

#if defined(__linux__)
#include "watcher/inotify_backend.hpp"
#endif

#include <stdexcept>
#include <string>

namespace liveproxy::watcher {
namespace {

// Used when the native backend is unavailable.
constexpr std::chrono::milliseconds fallback_interval = default_poll_interval;

#if defined(__linux__)
constexpr const char* native_name = "inotify";
#else
constexpr const char* native_name = "polling";
#endif

// The native backend for a tree, started; polling when there is none or it cannot start.
std::unique_ptr<backend> make_native(boost::asio::any_io_executor ex, std::shared_ptr<watch_tree> tree,
                                     event_sink& sink) {
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
  auto polling = make_poll_backend(ex, std::move(tree), sink, fallback_interval);
  polling->start();
  return polling;
}

/// watchman when asked for (falling back to the native backend), else the native backend.
std::unique_ptr<backend> make_event_backend(boost::asio::any_io_executor ex, const options& opts,
                                            std::shared_ptr<watch_tree> tree, event_sink& sink) {
  if (opts.use_watchman) {
    try {
      auto chosen = make_watchman_backend(
          ex, tree, sink, opts.watchman_socket,
          [ex, &sink](std::shared_ptr<watch_tree> t) { return make_native(ex, std::move(t), sink); },
          fallback_interval);
      chosen->start();
      return chosen;
    } catch (const std::runtime_error& e) {
      sink.on_message(std::string("--watchman: cannot use watchman (") + e.what() + "); watching with " +
                      native_name + " instead");
    }
  }
  return make_native(ex, std::move(tree), sink);
}

}  // namespace

std::unique_ptr<backend> make_backend(boost::asio::any_io_executor ex, const options& opts,
                                      std::shared_ptr<watch_tree> tree, event_sink& sink) {
  if (opts.poll_interval) {
    auto chosen = make_poll_backend(ex, tree, sink, std::max(*opts.poll_interval, std::chrono::milliseconds{1}));
    chosen->start();
    return chosen;
  }
  // Roots on a network or virtual file system are polled: there inotify (and watchman, which uses it) sees
  // only the changes made through this machine's mount, and an editor on the other side goes unnoticed.
  std::vector<std::filesystem::path> local, remote;
  std::string described;
  for (std::size_t i = 0; i < tree->size(); ++i) {
    if (const auto type = remote_filesystem(tree->root(i))) {
      remote.emplace_back(tree->root(i));
      described += (described.empty() ? "" : ", ") + tree->root(i) + " (" + *type + ")";
    } else {
      local.emplace_back(tree->root(i));
    }
  }
  if (remote.empty()) return make_event_backend(ex, opts, std::move(tree), sink);
  sink.on_message("polling " + described + " every " + std::to_string(fallback_interval.count()) +
                  " ms: on a network or virtual file system, inotify does not see changes made on the other side "
                  "(another machine, the VM's or the container's host)");
  const auto notice = [&sink](const std::string& text) { sink.on_message(text); };
  auto polled = make_poll_backend(
      ex, local.empty() ? tree : std::make_shared<watch_tree>(remote, tree->extra_ignores(), notice), sink,
      fallback_interval);
  polled->start();
  if (local.empty()) return polled;
  auto native = make_event_backend(ex, opts, std::make_shared<watch_tree>(local, tree->extra_ignores(), notice), sink);
  return make_split_backend(std::move(native), std::move(polled), described);
}

}  // namespace liveproxy::watcher
