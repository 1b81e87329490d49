// The extension table: sorted at compile time, searched by binary search on a lower-cased stack copy.
#include "proxy/serve/mime_types.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

namespace liveproxy {
namespace {

using entry = std::pair<std::string_view, std::string_view>;

constexpr std::string_view utf8_html = "text/html; charset=utf-8";
constexpr std::string_view utf8_js = "text/javascript; charset=utf-8";

// Keep sorted (checked below). JavaScript is text/javascript per RFC 9239; modules need a JavaScript type to
// load at all, and wasm must be application/wasm for WebAssembly.instantiateStreaming.
constexpr std::array table{
    entry{"aac", "audio/aac"},
    entry{"apng", "image/apng"},
    entry{"avif", "image/avif"},
    entry{"bmp", "image/bmp"},
    entry{"cjs", utf8_js},
    entry{"css", "text/css; charset=utf-8"},
    entry{"csv", "text/csv; charset=utf-8"},
    entry{"eot", "application/vnd.ms-fontobject"},
    entry{"flac", "audio/flac"},
    entry{"gif", "image/gif"},
    entry{"glb", "model/gltf-binary"},
    entry{"gltf", "model/gltf+json"},
    entry{"gz", "application/gzip"},
    entry{"htm", utf8_html},
    entry{"html", utf8_html},
    entry{"ico", "image/x-icon"},
    entry{"jpeg", "image/jpeg"},
    entry{"jpg", "image/jpeg"},
    entry{"js", utf8_js},
    entry{"json", "application/json"},
    entry{"jsonld", "application/ld+json"},
    entry{"jxl", "image/jxl"},
    entry{"m4a", "audio/mp4"},
    entry{"map", "application/json"},
    entry{"md", "text/markdown; charset=utf-8"},
    entry{"mjs", utf8_js},
    entry{"mov", "video/quicktime"},
    entry{"mp3", "audio/mpeg"},
    entry{"mp4", "video/mp4"},
    entry{"oga", "audio/ogg"},
    entry{"ogg", "audio/ogg"},
    entry{"ogv", "video/ogg"},
    entry{"opus", "audio/ogg"},
    entry{"otf", "font/otf"},
    entry{"pdf", "application/pdf"},
    entry{"png", "image/png"},
    entry{"svg", "image/svg+xml"},
    entry{"tar", "application/x-tar"},
    entry{"tif", "image/tiff"},
    entry{"tiff", "image/tiff"},
    entry{"toml", "application/toml"},
    entry{"ttf", "font/ttf"},
    entry{"txt", "text/plain; charset=utf-8"},
    entry{"vtt", "text/vtt; charset=utf-8"},
    entry{"wasm", "application/wasm"},
    entry{"wav", "audio/wav"},
    entry{"webm", "video/webm"},
    entry{"webmanifest", "application/manifest+json"},
    entry{"webp", "image/webp"},
    entry{"woff", "font/woff"},
    entry{"woff2", "font/woff2"},
    entry{"xhtml", "application/xhtml+xml"},
    entry{"xml", "application/xml"},
    entry{"yaml", "application/yaml"},
    entry{"yml", "application/yaml"},
    entry{"zip", "application/zip"},
};

constexpr std::size_t longest_key = 11;  // "webmanifest": longer extensions are not looked up

constexpr bool keys_sorted_and_lower() {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (i > 0 && !(table[i - 1].first < table[i].first)) return false;
    if (table[i].first.size() > longest_key) return false;
    for (const char c : table[i].first)
      if (c >= 'A' && c <= 'Z') return false;
  }
  return true;
}
static_assert(keys_sorted_and_lower(), "mime table must be sorted, unique, lower-case and short");

}  // namespace

std::string_view mime_type(std::string_view filename) {
  const auto slash = filename.find_last_of('/');
  const auto name = slash == std::string_view::npos ? filename : filename.substr(slash + 1);
  const auto dot = name.find_last_of('.');
  if (dot == std::string_view::npos || dot == 0) return default_mime_type;
  const auto ext = name.substr(dot + 1);
  if (ext.empty() || ext.size() > longest_key) return default_mime_type;

  char lower[longest_key];
  for (std::size_t i = 0; i < ext.size(); ++i) {
    const char c = ext[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::string_view key(lower, ext.size());
  const auto it = std::lower_bound(table.begin(), table.end(), key,
                                   [](const entry& e, std::string_view k) { return e.first < k; });
  return it != table.end() && it->first == key ? it->second : default_mime_type;
}

}  // namespace liveproxy
