// The JSON messages of the reload hub's WebSocket protocol (server -> browser).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace liveproxy::event_json {

/// Sent on connect: the browser reloads when instance or generation differ from what it saw before.
std::string hello(std::string_view instance, std::uint64_t generation);
/// The page changed: the client morphs it in place (morph), or reloads it. `generation`: the app's run now (a
/// tab that stays open through a restart by morphing knows it, as a reloaded one learns it from the hello).
std::string reload(bool morph = false, std::uint64_t generation = 0);
/// Swap the stylesheet or image at this URL path in place.
std::string css(std::string_view path);

/// Appends s to out as a JSON string literal (quotes included); bytes that are not UTF-8 become U+FFFD.
void append_string(std::string& out, std::string_view s);

}  // namespace liveproxy::event_json
