// Percent-encoding of URL paths we write (redirect locations, listing links).
#pragma once

#include <string>
#include <string_view>

namespace liveproxy {

/// Encodes every byte of `path` except unreserved characters (RFC 3986 §2.3) and '/'. ':' is encoded too, so
/// a file name used as a relative link ("a:b") cannot read as a scheme, and nothing needs HTML escaping.
std::string percent_encode_path(std::string_view path);

}  // namespace liveproxy
