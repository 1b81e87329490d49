// The page a browser gets when the app cannot answer: what happened, the app's output, and our client.
#pragma once

#include "proxy/app/app_failure.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// The error page's content: what the request saw, and (app_failure) what is known of the app.
struct error_info : app_failure {
  unsigned status = 502;
  std::string title;    ///< one line: "The app exited during start-up"
  std::string message;  ///< a few sentences of explanation
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
