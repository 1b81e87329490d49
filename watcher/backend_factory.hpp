// Chooses the watching backend: the one place that knows which platforms have which.
#pragma once

#include "watcher/backend.hpp"
#include "watcher/watch_tree.hpp"
#include "watcher/watcher.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace liveproxy::watcher {

/// Polling when opts.poll_interval is set, else the native backend, started; falls back to polling
/// (saying why through the sink) when the native one cannot start.
std::unique_ptr<backend> make_backend(boost::asio::any_io_executor ex, const options& opts,
                                      std::shared_ptr<watch_tree> tree, event_sink& sink);

}  // namespace liveproxy::watcher
