// Roots on a network file system polled, the others watched natively: one backend made of two.
#pragma once

#include "watcher/backend.hpp"

#include <memory>

namespace liveproxy::watcher {

/// Both parts come started (as make_backend returns them); either may be null.
std::unique_ptr<backend> make_split_backend(std::unique_ptr<backend> native, std::unique_ptr<backend> polled,
                                            std::string polled_roots);

}  // namespace liveproxy::watcher
