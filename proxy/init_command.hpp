// `liveproxy init`: a starting liveproxy.json for the project in the current directory, and its schema beside it.
#pragma once

#include <filesystem>

namespace liveproxy {

/// Writes dir/liveproxy.json (never over an existing one) and dir/liveproxy.schema.json; returns the exit
/// status, having said what it did or why not.
int run_init(const std::filesystem::path& dir);

}  // namespace liveproxy
