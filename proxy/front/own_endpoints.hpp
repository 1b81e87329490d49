// liveproxy's own endpoints under /__liveproxy/ (and LiveReload's well-known paths): the client script, the
// reload and status sockets, the status page, the restart button. Each checks Host; sockets and the restart
// also check Origin.
#pragma once

#include "proxy/front/client_connection.hpp"

namespace liveproxy {

/// Answers the request `parser` holds (its header read).
awaitable<next_step> serve_own(client_connection& s, request_parser& parser);

}  // namespace liveproxy
