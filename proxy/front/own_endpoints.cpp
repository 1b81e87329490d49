// Our endpoints answer from memory (embedded assets, the status snapshot); none of them reaches the app.
#include "proxy/front/own_endpoints.hpp"

#include "proxy/base/assets.hpp"
#include "proxy/browser/host_check.hpp"
#include "proxy/browser/livereload_protocol.hpp"
#include "proxy/browser/reload_hub.hpp"
#include "proxy/browser/ws_session.hpp"
#include "proxy/front/tls_front.hpp"
#include "proxy/status/qr_code.hpp"
#include "proxy/http/http_util.hpp"
#include "proxy/base/limits.hpp"
#include "proxy/base/terminal_text.hpp"

#include <charconv>
#include <functional>
#include <string_view>

namespace liveproxy {
namespace {

/// The client, with idiomorph (which it morphs changed pages with) in a scope of its own: `Idiomorph` is the
/// client's, never a global that could meet the page's own copy of another version.
std::string client_script() {
  static const std::string script = "(() => {\n" + std::string(assets::idiomorph_min_js) + "\n" +
                                    std::string(assets::client_js) + "\n})();\n";
  return script;
}

/// Who may load a file of ours (Cross-Origin-Resource-Policy): only our own origin, except /livereload.js,
/// which LiveReload's snippet loads into pages of other origins (other ports) by design; it holds no secret.
constexpr std::string_view corp_same_origin = "same-origin";
constexpr std::string_view corp_any = "cross-origin";

/// Names a version of a file of ours: it changes when its bytes do (a new liveproxy), so the browser can ask
/// "has it changed?" (If-None-Match) and get a 304 instead of the script again at every page load.
std::string entity_tag(std::string_view body) {
  char hex[17];
  const auto [end, ec] = std::to_chars(hex, hex + 16, std::hash<std::string_view>{}(body), 16);
  return "\"" + std::string(hex, end) + "-" + std::to_string(body.size()) + "\"";
}

/// If-None-Match names this version (or any: "*").
bool client_has(const http::request_header<>& req, std::string_view etag) {
  const auto wanted = req[http::field::if_none_match];
  return wanted == "*" || (!wanted.empty() && wanted.find(etag) != std::string_view::npos);
}

/// One of our files. `no-store` for what shows the app's state; scripts may be cached but revalidated (their
/// ETag: the client script is loaded synchronously at the top of every page, and a reload need not fetch it).
awaitable<next_step> send_own(client_connection& s, const http::request_header<>& req, std::string_view type,
                              std::string body, bool keep, bool page, std::string_view corp = corp_same_origin) {
  const std::string etag = page ? std::string() : entity_tag(body);
  const bool unchanged = !page && client_has(req, etag);
  http::response<http::string_body> res{unchanged ? http::status::not_modified : http::status::ok, 11};
  if (!etag.empty()) res.set(http::field::etag, etag);
  res.set(http::field::server, "liveproxy");
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, page ? "no-store" : "no-cache");
  res.set("X-Content-Type-Options", "nosniff");
  // Another site's page can neither frame the status page (a click on its restart button) nor load our files.
  res.set("Cross-Origin-Resource-Policy", corp);
  if (page) {
    res.set("Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    res.set("Referrer-Policy", "no-referrer");
  }
  if (!unchanged) {
    res.body() = std::move(body);
    res.prepare_payload();
  }
  if (req.method() == http::verb::head) res.body().clear();
  set_keep_alive(res, keep, req.version());
  s.deadline.expires_after(limits::client_write_timeout, s.client);
  auto [ec, n] = co_await http::async_write(s.client, res, use_tuple);
  co_return ec || !keep ? next_step::close : next_step::keep_alive;
}

/// The value of `name` in the target's query string, or empty.
std::string_view query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') return pair.substr(name.size() + 1);
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

/// Compares in time that does not depend on where the strings differ.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

/// The reload socket, LiveReload's, or the status page's: Origin (and for a browser, our token) checked, then
/// the connection is handed over.
awaitable<next_step> open_socket(client_connection& s, request_parser& parser, ws_session::protocol proto) {
  auto& req = parser.get();
  const auto host = req[http::field::host];
  const auto origin = req[http::field::origin];
  if (!s.ctx->hosts.origin_allowed(origin, host))
    co_return co_await send_simple(s, http::status::forbidden, "text/plain; charset=utf-8",
                                   "liveproxy: Origin '" + std::string(origin) + "' may not open this socket.\n",
                                   false);
  // A browser always sends Origin. Our pages carry the token; a page from elsewhere (another local server, a
  // site let in by a broad --allowed-host) does not, and gets nothing. LiveReload's socket keeps its protocol,
  // which has no token, and the Host and Origin rules.
  const auto token = query_param(req.target(), "token");
  if (proto != ws_session::protocol::livereload && !origin.empty() && !same_secret(token, s.ctx->socket_token)) {
    // No token: not a page of ours. A token of another run: a tab left open across a restart of liveproxy,
    // told to reload (and so get this run's token); it learns nothing else.
    if (proto != ws_session::protocol::native || token.size() != s.ctx->socket_token.size())
      co_return co_await send_simple(s, http::status::forbidden, "text/plain; charset=utf-8",
                                     "liveproxy: this socket is for pages served through liveproxy (their script "
                                     "carries this run's token).\n",
                                     false);
    proto = ws_session::protocol::stale;
  }
  s.deadline.expires_never();
  if (proto == ws_session::protocol::status) {
    // A status page needs only the newest snapshot (the session keeps one): without this, the kernel grows the
    // send buffer of a page that does not read to megabytes, each filled with old snapshots, for every tab.
    error_code ec;
    s.client.socket().set_option(net::socket_base::send_buffer_size(limits::status_send_buffer), ec);
  }
  auto ws = std::make_shared<ws_session>(std::move(s.client), s.ctx->hub, proto);
  co_await ws_session::run(ws, parser.release());
  co_return next_step::handed_over;
}

/// A state-changing POST may come from our own origin exactly (not another local port, whose page could be
/// anyone's), from a page of ours that shows the token, or from a client that is no browser (no Origin); never
/// cross-site.
bool own_request(client_connection& s, const http::request_header<>& req) {
  const auto site = req["Sec-Fetch-Site"];
  const auto origin = req[http::field::origin];
  const auto scheme_end = origin.find("://");
  const bool own_origin = scheme_end != std::string_view::npos &&
                          beast::iequals(origin.substr(scheme_end + 3), req[http::field::host]);
  return (site.empty() || site == "same-origin" || site == "none") &&
         (origin.empty() || own_origin || same_secret(req["X-Liveproxy-Token"], s.ctx->socket_token));
}

/// POST /__liveproxy/open?frame=N: the error page's link to a file:line of the crash. The page names a frame of
/// the crash liveproxy read itself, never a path; and the token is required, so only a page of ours can ask.
awaitable<next_step> open_in_editor(client_connection& s, const http::request_header<>& req, bool keep) {
  if (req.method() != http::verb::post)
    return send_simple(s, http::status::method_not_allowed, "text/plain; charset=utf-8",
                       "liveproxy: POST to open a file of the crash in the editor.\n", keep);
  if (!own_request(s, req) || !same_secret(req["X-Liveproxy-Token"], s.ctx->socket_token))
    return send_simple(s, http::status::forbidden, "text/plain; charset=utf-8",
                       "liveproxy: only liveproxy's own error page may open files.\n", false);
  const std::string_view target(req.target().data(), req.target().size());
  const auto at = target.find("frame=");
  std::size_t frame = 0;
  const auto digits = at == std::string_view::npos ? std::string_view{} : target.substr(at + 6);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), frame);
  if (ec != std::errc{} || ptr == digits.data())
    return send_simple(s, http::status::bad_request, "text/plain; charset=utf-8", "liveproxy: frame=N\n", keep);
  if (s.ctx->open_frame) s.ctx->open_frame(frame);
  // The same answer whatever the frame held: nothing to learn about files from it.
  return send_simple(s, http::status::accepted, "text/plain; charset=utf-8", "liveproxy: opening.\n", keep);
}

awaitable<next_step> restart_app(client_connection& s, const http::request_header<>& req, bool keep) {
  const bool same_origin = own_request(s, req);
  if (req.method() != http::verb::post)
    return send_simple(s, http::status::method_not_allowed, "text/plain; charset=utf-8",
                       "liveproxy: POST to restart the app.\n", keep);
  if (!same_origin)
    return send_simple(s, http::status::forbidden, "text/plain; charset=utf-8",
                       "liveproxy: cross-site requests may not restart the app.\n", false);
  const std::string app(query_param(std::string_view(req.target().data(), req.target().size()), "app"));
  if (!s.ctx->restart_app(app))
    return send_simple(s, http::status::not_found, "text/plain; charset=utf-8",
                       app.empty() ? std::string("liveproxy: there is no app liveproxy runs to restart (it proxies "
                                                 "an upstream or serves a folder).\n")
                                   : "liveproxy: no app named \"" + printable(app) + "\" that liveproxy runs.\n",
                       keep);
  return send_simple(s, http::status::accepted, "text/plain; charset=utf-8",
                     "liveproxy: restarting " + (app.empty() ? std::string("the app") : printable(app)) + ".\n", keep);
}

/// GET /__liveproxy/wait?timeout=S: answered once every change seen so far is live (see live_waits), with the
/// status snapshot and what happened. For scripts and editors; a browser page must show the token, as a socket.
awaitable<next_step> wait_live(client_connection& s, const http::request_header<>& req, bool keep) {
  const std::string_view target(req.target().data(), req.target().size());
  const auto origin = req[http::field::origin];
  if (!origin.empty()) {
    const auto token = query_param(target, "token");
    const auto header = req["X-Liveproxy-Token"];
    if (!s.ctx->hosts.origin_allowed(origin, req[http::field::host]) ||
        !(same_secret(token, s.ctx->socket_token) || same_secret(header, s.ctx->socket_token)))
      co_return co_await send_simple(s, http::status::forbidden, "text/plain; charset=utf-8",
                                     "liveproxy: a page may wait only with this run's token (a script or editor "
                                     "sends no Origin and needs none).\n",
                                     false);
  }
  double seconds = limits::wait_default_timeout.count();
  if (const auto given = query_param(target, "timeout"); !given.empty()) {
    const auto [end, ec] = std::from_chars(given.data(), given.data() + given.size(), seconds);
    if (ec != std::errc{} || end != given.data() + given.size() || !(seconds >= 0) ||
        seconds > static_cast<double>(limits::wait_max_timeout.count()))
      co_return co_await send_simple(s, http::status::bad_request, "text/plain; charset=utf-8",
                                     "liveproxy: timeout=S takes seconds from 0 to " +
                                         std::to_string(limits::wait_max_timeout.count()) + " (got \"" +
                                         std::string(given) + "\").\n",
                                     keep);
  }
  struct pending {
    explicit pending(net::any_io_executor ex) : woken(ex) {}
    steady_timer woken;
    std::optional<std::string> body;
  };
  auto p = std::make_shared<pending>(s.client.get_executor());
  p->woken.expires_at(steady_timer::time_point::max());
  const auto which = s.ctx->wait_live(std::chrono::milliseconds(static_cast<long long>(seconds * 1000)),
                                      [p](std::string body) {
                                        p->body = std::move(body);
                                        p->woken.cancel();
                                      });
  if (!which)
    co_return co_await send_simple(s, http::status::service_unavailable, "text/plain; charset=utf-8",
                                   "liveproxy: too many clients are waiting already; try again.\n", false);
  // Nothing is read or written meanwhile; the wait's own timeout bounds it.
  s.deadline.expires_never();
  if (!p->body) co_await p->woken.async_wait(use_tuple);
  if (!p->body) {
    s.ctx->cancel_wait(*which);
    co_return next_step::close;
  }
  co_return co_await send_own(s, req, "application/json", std::move(*p->body), keep, true);
}

}  // namespace

/// Not a coroutine: it returns the chosen answer's awaitable (one small coroutine each).
awaitable<next_step> serve_own(client_connection& s, request_parser& parser) {
  auto& req = parser.get();
  const bool keep = req.keep_alive() && parser.is_done();
  const auto host = req[http::field::host];
  if (!s.ctx->hosts.host_allowed(host))
    return send_simple(s, http::status::forbidden, "text/plain; charset=utf-8",
                       "liveproxy: this Host may not use /__liveproxy/ endpoints: only localhost, loopback "
                       "addresses and allowed Hosts can (protection against DNS rebinding). " +
                           how_to_allow_host(host) + "\n",
                       keep);
  const auto path = path_of(req.target());
  const bool livereload_socket = path == livereload::socket_path;
  const bool status_socket = path == "/__liveproxy/status";
  if (path == "/__liveproxy/ws" || livereload_socket || status_socket) {
    if (!websocket::is_upgrade(req))
      return send_simple(s, http::status::upgrade_required, "text/plain; charset=utf-8",
                         "liveproxy: this is a WebSocket; connect with a WebSocket client.\n", keep);
    return open_socket(s, parser,
                       livereload_socket ? ws_session::protocol::livereload
                       : status_socket   ? ws_session::protocol::status
                                         : ws_session::protocol::native);
  }
  const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
  if ((path == "/__liveproxy/client.js" || path == livereload::script_path) && get)
    return send_own(s, req, "text/javascript; charset=utf-8", client_script(), keep, false,
                    path == livereload::script_path ? corp_any : corp_same_origin);
  if (path == "/__liveproxy/" && get) {
    std::string page(assets::status_html);
    page.replace(page.find("{{token}}"), 9, s.ctx->socket_token);
    return send_own(s, req, "text/html; charset=utf-8", std::move(page), keep, true);
  }
  if (path == "/__liveproxy/status.js" && get)
    return send_own(s, req, "text/javascript; charset=utf-8", std::string(assets::status_js), keep, false);
  if (path == "/__liveproxy/status.css" && get)
    return send_own(s, req, "text/css; charset=utf-8", std::string(assets::status_css), keep, false);
  if (path == "/__liveproxy/status.json" && get)
    return send_own(s, req, "application/json", *s.ctx->hub.status(true), keep, true);
  if (path == "/__liveproxy/restart" && s.ctx->restart_app) return restart_app(s, req, keep);
  if (path == "/__liveproxy/open") return open_in_editor(s, req, keep);
  if (path == "/__liveproxy/wait" && get && s.ctx->wait_live) return wait_live(s, req, keep);
  if (path == "/__liveproxy/qr.svg" && get) {
    const auto qr = s.ctx->network_url.empty() ? std::nullopt : make_qr(s.ctx->network_url);
    if (!qr)
      return send_simple(s, http::status::not_found, "text/plain; charset=utf-8",
                         "liveproxy: no Network URL to draw: start liveproxy with --host 0.0.0.0 for a phone.\n", keep);
    return send_own(s, req, "image/svg+xml", qr_svg(*qr), keep, true);
  }
  // The authority's certificate (never its key), for a phone to trust: PEM, and DER as Android and iOS take it.
  if ((path == "/__liveproxy/ca.pem" || path == "/__liveproxy/ca.crt") && get) {
    if (!s.ctx->tls)
      return send_simple(s, http::status::not_found, "text/plain; charset=utf-8",
                         "liveproxy: start liveproxy with --https to have a certificate authority to trust.\n", keep);
    const bool der = path.ends_with(".crt");
    return send_own(s, req, der ? "application/x-x509-ca-cert" : "application/x-pem-file",
                    der ? s.ctx->tls->ca().cert_der() : s.ctx->tls->ca().cert_pem(), keep, false);
  }
  return send_simple(s, http::status::not_found, "text/plain; charset=utf-8",
                     "liveproxy: no such endpoint " + std::string(path) + "\n", keep);
}

}  // namespace liveproxy
