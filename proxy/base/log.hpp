// Terminal output of liveproxy itself: one prefixed line per message, flushed at once, coloured only on a
// terminal (and never under NO_COLOR), as much of it as --quiet or --verbose asks for.
#pragma once

#include <cstddef>
#include <string_view>

namespace liveproxy::log {

enum class verbosity { quiet, normal, verbose };

/// Sets how much is said and whether in colour. Until called: normal, colour when stdout is a terminal
/// and NO_COLOR is unset or empty (https://no-color.org) and TERM is not "dumb".
void configure(verbosity v);
bool verbose();
bool colour();

/// "liveproxy: <msg>" on stdout (not under --quiet).
void info(std::string_view msg);
/// Only under --verbose: the details behind a one-line summary (run numbers, PIDs, stop times).
void detail(std::string_view msg);
/// Lines drawn by liveproxy itself (a QR code), written as they are: escapes and all.
void picture(std::string_view drawing);
/// "liveproxy: 12:01:03 <msg>" on stdout (not under --quiet): what was done about a change.
void action(std::string_view msg);
/// "liveproxy: <msg>" in bold on stdout, even under --quiet: the line to act on (the URL to open).
void highlight(std::string_view msg);
/// "liveproxy: warning: <msg>" on stderr.
void warn(std::string_view msg);
/// "liveproxy: error: <msg>" on stderr.
void error(std::string_view msg);

/// A message from the page's console (an uncaught error, console.error/warn) as "browser | <msg>" on stdout,
/// red for an error and yellow for a warning on a terminal (not under --quiet).
void browser(std::string_view msg, bool is_error);

/// The app's own output, passed through to stdout as it comes, "  app | " before each of its lines. A line of
/// liveproxy's that comes while the app's line is unfinished (a prompt, "(Pdb) ") starts on a line of its own.
///
/// Every message above is written with control characters escaped (printable()), the newlines of a message of
/// several lines excepted: outside text in it (a file name, a Host) cannot move the cursor or set the title.
/// Callers escape outside text that could hold a newline themselves, so that it cannot forge a line.
/// `name` is the app's where several run ("apps"): its lines are prefixed "name | " in a colour of its own.
void app_output(std::string_view bytes, std::string_view name = "app");
/// "  app | (start-up output as before: N lines)", dim: a restart's banner that repeats the last one.
void app_collapsed(std::size_t lines, std::string_view name = "app");
/// A new run begins: an unfinished line of the last one (a prompt, an echoed `rs`) is ended first.
void end_app_line();

}  // namespace liveproxy::log
