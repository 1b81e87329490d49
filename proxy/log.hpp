// Terminal output of liveproxy itself: one prefixed line per message, flushed at once.
#pragma once

#include <string_view>

namespace liveproxy::log {

/// "liveproxy: <msg>" on stdout.
void info(std::string_view msg);
/// "liveproxy: warning: <msg>" on stderr.
void warn(std::string_view msg);
/// "liveproxy: error: <msg>" on stderr.
void error(std::string_view msg);

}  // namespace liveproxy::log
