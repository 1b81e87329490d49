// What every browser connection needs from the rest of liveproxy, in one place.
#pragma once

#include "proxy/browser/error_page.hpp"
#include "proxy/browser/host_check.hpp"
#include "proxy/browser/reload_hub.hpp"
#include "proxy/http/app_gate.hpp"
#include "proxy/http/app_pool.hpp"
#include "proxy/http/buffer_pool.hpp"
#include "proxy/http/location_rewrite.hpp"
#include "proxy/base/limits.hpp"
#include "proxy/serve/file_cache.hpp"
#include "proxy/serve/static_path.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace liveproxy {

class tls_front;

struct proxy_context {
  app_gate& gate;
  app_pool& pool;
  reload_hub& hub;
  const host_check& hosts;
  buffer_pool& buffers;
  std::chrono::milliseconds hold_timeout;
  /// A browser connection may sit idle between requests this long.
  std::chrono::milliseconds idle_timeout;
  /// Once the first byte of a request has come, its whole header must come within this.
  std::chrono::milliseconds header_timeout;
  /// The tag put into HTML pages.
  std::string script_tag;
  /// Describes why the app cannot answer right now (crash, never listened, ...).
  std::function<liveproxy::app_failure()> app_failure;
  /// Restarts the app named (POST /__liveproxy/restart?app=NAME; "" the main one); false: no app of that name
  /// that liveproxy runs. Empty: the endpoint is off.
  std::function<bool(std::string_view app)> restart_app;
  /// A connection to the app was refused (or timed out): for an upstream we do not run, the sign it is down.
  std::function<void()> app_refused;
  /// --upstream-host: the Host header the app gets (the upstream's own authority); empty: the browser's.
  std::string upstream_host;
  /// The app's own origin: redirects to it are rewritten to the browser's.
  app_origin origin;
  /// --serve DIR: requests are answered from this folder instead of an app.
  const static_options* serve = nullptr;
  /// --serve: small files and pages kept in memory while unchanged.
  file_cache* files = nullptr;
  /// Random at each start, carried by the injected tag (and the status page): a browser socket (one with an
  /// Origin) must show it, so a page that did not come through liveproxy cannot listen in.
  std::string socket_token = {};
  /// Opens frame N of the crash the error page shows in the editor (POST /__liveproxy/open?frame=N).
  std::function<void(std::size_t frame)> open_frame = {};
  /// Requests with the app now, sent or being answered (a restart lets them finish first).
  std::size_t responses_in_flight = 0;
  /// Called once when responses_in_flight next drops to 0 (a restart waiting for them), then cleared.
  std::function<void()> on_drained = {};
  /// Connects to a loopback app under way (at most limits::app_connects_at_once).
  std::size_t app_connects = 0;
  /// --max-held: requests held at once while the app is not ready.
  std::size_t max_held = limits::max_held_requests;
  /// The app is stopped at a debugger prompt: waits on its answers do not time out meanwhile.
  bool app_paused = false;
  /// Several apps behind the front ("apps", --route): the context of the app a path goes to (this one for the
  /// main app). Empty: one app.
  std::function<proxy_context&(std::string_view path)> route = {};
  /// GET /__liveproxy/wait: `done` gets the JSON answer once every change seen so far is live (or at `timeout`).
  /// Returns what cancel_wait takes, or nullopt when too many wait already. Empty: the endpoint is off.
  std::function<std::optional<std::uint64_t>(std::chrono::milliseconds timeout, std::function<void(std::string)> done)>
      wait_live = {};
  /// The client of a wait went away before its answer.
  std::function<void(std::uint64_t)> cancel_wait = {};
  /// --https: the front answers TLS too (the first byte tells); null: plain HTTP only.
  tls_front* tls = nullptr;
  /// The first Network URL (with --host 0.0.0.0): /__liveproxy/qr.svg draws it. Empty: none.
  std::string network_url = {};
};

}  // namespace liveproxy
