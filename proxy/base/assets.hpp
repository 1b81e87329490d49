// The files of assets/, embedded at build time by cmake/embed_assets.cmake.
#pragma once

#include <string_view>

namespace liveproxy::assets {

extern const std::string_view client_js;   ///< assets/client.js
extern const std::string_view error_html;  ///< assets/error.html
extern const std::string_view status_html;  ///< assets/status.html: the status page at /__liveproxy/
extern const std::string_view status_js;    ///< assets/status.js
extern const std::string_view status_css;   ///< assets/status.css
/// assets/python_preload.py: the warm interpreter's script (--preload).
extern const std::string_view python_preload_py;
/// idiomorph's dist/idiomorph.min.js (from npm, cmake/idiomorph.cmake): served inside the client script.
extern const std::string_view idiomorph_min_js;

}  // namespace liveproxy::assets
