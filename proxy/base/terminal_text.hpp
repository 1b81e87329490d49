// Text from outside (the app's output, file names, browsers) on its way to a terminal: its escape sequences
// recognised, removed, or made harmless.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace liveproxy {

/// Length of the escape sequence starting at line[i] == ESC: a CSI (colours, cursor moves), an OSC (window
/// titles, hyperlinks; up to BEL or ESC \\), or a two-byte escape.
std::size_t ansi_escape_length(std::string_view line, std::size_t i);

/// Removes ANSI escape sequences (colours, cursor moves, OSC titles and links) from a line.
std::string strip_ansi(std::string_view line);

/// A line of the app's output for a page: its colours (SGR sequences) kept, every other escape sequence (cursor
/// moves, window titles, hyperlinks) removed, and other control characters escaped as printable() does.
std::string keep_colours(std::string_view line);

/// Outside text (a file name, a key, a host, a browser's message) made safe to print on a terminal: C0 controls,
/// DEL and C1 controls (U+0080 to U+009F) become \xNN, as do bytes that are not UTF-8; the rest is unchanged.
/// An ESC can then not move the cursor, set the window title or forge a line, and a NUL cannot cut a message.
std::string printable(std::string_view text);

}  // namespace liveproxy
