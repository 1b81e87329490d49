// LiveReload protocol 7, spoken at /livereload so livereload.js, editor plugins and static-site tools can connect.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace liveproxy::livereload {

/// The path of the LiveReload WebSocket and of the script LiveReload snippets load.
inline constexpr std::string_view socket_path = "/livereload";
inline constexpr std::string_view script_path = "/livereload.js";

/// True if the browser's message is a hello that offers protocol 7.
bool is_hello(std::string_view message);
/// Our answer to the hello.
std::string hello();
/// Our hub event as a LiveReload command; nothing for events it has no equivalent of (our hello).
std::optional<std::string> translate(std::string_view event);

}  // namespace liveproxy::livereload
