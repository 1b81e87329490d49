// The page a browser gets when the app cannot answer: what happened, the app's output, and our client.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

struct error_info {
  unsigned status = 502;
  std::string title;              ///< one line: "The app exited during start-up"
  std::string message;            ///< a few sentences of explanation
  std::string command;            ///< the app command line
  std::vector<std::string> output;  ///< recent app output lines (may hold ANSI colour codes)
  /// Set by the supervisor side when the app is known to be down (crash, never listened):
  /// these then replace title and message, which describe only what the request saw.
  std::string cause_title;
  std::string cause;
  /// Files named in the crash output, as "file:line" (they are watched too).
  std::vector<std::string> files;
  /// Seconds for a Retry-After header (0: none).
  unsigned retry_after = 0;
};

/// Escapes &, <, >, " and ' for HTML text and attributes.
std::string html_escape(std::string_view text);
/// HTML-escapes a line and turns its SGR colour codes (bold, dim, italic, underline, the 16 colours,
/// 256-colour and RGB approximations) into <span class="ansi-..."> elements; other escapes are dropped.
/// Every span opened in the line is closed at its end.
std::string ansi_to_html(std::string_view line);

/// The HTML page (from assets/error.html) with everything escaped and the script tag included.
std::string render_error_html(const error_info& info, std::string_view script_tag);
/// The same content as plain text, for curl and other non-browser clients.
std::string render_error_text(const error_info& info);

}  // namespace liveproxy
