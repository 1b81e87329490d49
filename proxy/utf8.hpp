// Telling valid UTF-8 from other bytes, for text that must be UTF-8 (JSON we read or write).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace liveproxy {

/// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one (overlong forms and surrogates included).
std::size_t utf8_length(std::string_view s, std::size_t i);

/// Outside text (a file name, a key, a host, a browser's message) made safe to print on a terminal: C0 controls,
/// DEL and C1 controls (U+0080 to U+009F) become \xNN, as do bytes that are not UTF-8; the rest is unchanged.
/// An ESC can then not move the cursor, set the window title or forge a line, and a NUL cannot cut a message.
std::string printable(std::string_view text);

}  // namespace liveproxy
