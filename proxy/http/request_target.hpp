// The Host a request is for, and its target in origin-form: decided once, before anything reads either
// (RFC 9112 §3.2 and §3.2.2).
#pragma once

#include "proxy/base/net.hpp"

#include <string>

namespace liveproxy {

/// Checks the request's Host and target and brings them to one form, or says why the request is malformed
/// (answered 400):
/// - more than one Host field, or none in an HTTP/1.1 request;
/// - an absolute-form target ("GET http://host/path"): its authority becomes the Host (the Host field is then
///   ignored, as RFC 9112 says) and the target its path and query, so liveproxy's own Host checks and the app see
///   the host the request names; a scheme other than http or https is refused.
/// Returns the reason, or "" when the request may go on.
std::string normalize_request_target(http::request_header<>& req);

}  // namespace liveproxy
