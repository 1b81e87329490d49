// Linux inotify backend: one watch per directory, read on the io_context through a stream_descriptor.
#pragma once

#include "watcher/backend.hpp"
#include "watcher/watch_tree.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>

namespace liveproxy::watcher {

/// Creates the inotify backend. start() throws when inotify is unavailable. Directories that cannot
/// get a watch (the fs.inotify.max_user_watches limit) are polled every fallback_interval.
std::unique_ptr<backend> make_inotify_backend(boost::asio::any_io_executor ex, std::shared_ptr<watch_tree> tree,
                                              event_sink& sink, std::chrono::milliseconds fallback_interval);

}  // namespace liveproxy::watcher
