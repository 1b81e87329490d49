// Linux inotify backend: one watch per directory, read on the io_context through a stream_descriptor.
#pragma once

#include "watcher/backend.hpp"
#include "watcher/watch_tree.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace liveproxy::watcher {

/// Creates the inotify backend. start() throws when inotify is unavailable.
std::unique_ptr<backend> make_inotify_backend(boost::asio::any_io_executor ex, std::shared_ptr<watch_tree> tree,
                                              event_sink& sink);

}  // namespace liveproxy::watcher
