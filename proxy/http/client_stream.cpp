// The synchronous half of client_stream's WebSocket hooks (Beast declares both; ours closes only asynchronously).
#include "proxy/http/client_stream.hpp"

namespace liveproxy {

void teardown(beast::role_type role, client_stream& s, error_code& ec) {
  if (auto* t = s.tls()) beast::teardown(role, *t, ec);
  else beast::websocket::teardown(role, s.socket(), ec);
}

}  // namespace liveproxy
