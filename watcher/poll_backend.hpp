// Polling backend: rescans the tree on a timer. Always built; the fallback when inotify cannot be used.
#pragma once

#include "watcher/backend.hpp"
#include "watcher/watch_tree.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>

namespace liveproxy::watcher {

/// Creates a backend that compares (mtime, size, inode) of every file each interval.
std::unique_ptr<backend> make_poll_backend(boost::asio::any_io_executor ex, std::shared_ptr<watch_tree> tree,
                                           event_sink& sink, std::chrono::milliseconds interval);

}  // namespace liveproxy::watcher
