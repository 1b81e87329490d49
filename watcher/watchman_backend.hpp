// watchman backend: subscriptions over watchman's JSON socket protocol, one per watch root.
#pragma once

#include "watcher/backend.hpp"
#include "watcher/watch_tree.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace liveproxy::watcher {

/// Makes and starts a backend of this platform's native kind for a tree (given by the factory, the
/// one place that knows the platforms). The watchman backend uses it for extra files, which may lie
/// anywhere, and to carry on if the connection to watchman is lost.
using native_backend_fn = std::function<std::unique_ptr<backend>(std::shared_ptr<watch_tree>)>;

/// Creates the watchman backend. socket: watchman's socket, or "" to ask $WATCHMAN_SOCK and then
/// `watchman get-sockname`. start() throws std::runtime_error saying why watchman cannot be used
/// (binary missing, no socket, too old, a root it refuses).
std::unique_ptr<backend> make_watchman_backend(boost::asio::any_io_executor ex, std::shared_ptr<watch_tree> tree,
                                               event_sink& sink, std::string socket, native_backend_fn native,
                                               std::chrono::milliseconds recheck_interval);

}  // namespace liveproxy::watcher
