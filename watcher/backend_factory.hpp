// Chooses the watching backend: the one place that knows which platforms have which.
#pragma once

#include "watcher/backend.hpp"
#include "watcher/watch_tree.hpp"
#include "watcher/watcher.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace liveproxy::watcher {

/// Polling when opts.poll_interval is set, else watchman when asked for, else the native backend,
/// started. Each fallback (watchman to native, native to polling) is said through the sink, with why.
std::unique_ptr<backend> make_backend(boost::asio::any_io_executor ex, const options& opts,
                                      std::shared_ptr<watch_tree> tree, event_sink& sink);

}  // namespace liveproxy::watcher
