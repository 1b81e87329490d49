// Content-Type of a served file, from its extension.
#pragma once

#include <string_view>

namespace liveproxy {

/// What files with an unknown extension (or none) are sent as: browsers then download rather than render them.
inline constexpr std::string_view default_mime_type = "application/octet-stream";

/// The Content-Type for `filename` (a name or a path), by its extension, case-insensitively; text types carry
/// "; charset=utf-8". A leading dot does not start an extension (".env" has none). No allocation.
std::string_view mime_type(std::string_view filename);

}  // namespace liveproxy
