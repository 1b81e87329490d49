// Makes a page's Content-Security-Policy allow our client script and socket, changing as little as possible.
#pragma once

#include <string>
#include <string_view>

namespace liveproxy {

/// What to allow: our script's URL and socket's URLs, as host-source expressions with paths.
struct csp_targets {
  std::string script_source;  ///< e.g. "localhost:3000/__liveproxy/client.js" (scheme-less: the page's own)
  std::string socket_sources; ///< e.g. "ws://localhost:3000/__liveproxy/ws wss://localhost:3000/__liveproxy/ws"
};

/// Rewrites one Content-Security-Policy (or -Report-Only) header value.
/// `nonce` is in/out: if empty and a policy carries a nonce for scripts, it is set to that nonce; our
/// tag must then carry nonce="<nonce>". If the policy needs a nonce and none exists, `fresh_nonce` is used.
/// A directive that already allows our script or socket is left untouched; 'unsafe-inline' is never disabled
/// by an added nonce (a nonce is only added where nonces, hashes or 'strict-dynamic' already rule).
std::string allow_liveproxy(std::string_view header_value, const csp_targets& targets, std::string& nonce,
                            std::string_view fresh_nonce);

}  // namespace liveproxy
