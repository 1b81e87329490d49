// --open: shows the page in the user's browser once the app is ready.
#pragma once

#include <string>

namespace liveproxy {

/// Opens url with $BROWSER (as a command line: "firefox", "chromium --new-window"), else xdg-open, in the
/// background, its output discarded and not our child for long (no zombie, nothing to stop). Returns an
/// empty string, or why it could not (no opener found).
std::string open_browser(const std::string& url);

}  // namespace liveproxy
