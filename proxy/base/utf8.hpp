// Telling valid UTF-8 from other bytes, for text that must be UTF-8 (JSON we read or write).
#pragma once

#include <cstddef>
#include <string_view>

namespace liveproxy {

/// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one (overlong forms and surrogates included).
std::size_t utf8_length(std::string_view s, std::size_t i);

}  // namespace liveproxy
