// The browser side of the proxy: request loop, hold while the app restarts, streamed relay with injection.
#include "proxy/front/http_session.hpp"

#include "proxy/browser/livereload_protocol.hpp"
#include "proxy/front/own_endpoints.hpp"
#include "proxy/front/client_connection.hpp"
#include "proxy/http/http_util.hpp"
#include "proxy/http/request_framing.hpp"
#include "proxy/http/request_target.hpp"
#include "proxy/front/response_relay.hpp"
#include "proxy/http/tunnel.hpp"
#include "proxy/base/limits.hpp"
#include "proxy/front/static_handler.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <array>
#include <optional>
#include <vector>

namespace liveproxy {

std::string describe(const client_connection& s, const error_code& ec) {
  if (ec == net::error::operation_aborted && s.deadline.fired()) return "timed out";
  return ec.message();
}

awaitable<next_step> send_simple(client_connection& s, http::status status, std::string_view content_type, std::string body,
                                 bool keep_alive, unsigned version, unsigned retry_after) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::server, "liveproxy");
  if (retry_after != 0) res.set(http::field::retry_after, std::to_string(retry_after));
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  res.keep_alive(keep_alive);
  s.deadline.expires_after(limits::client_write_timeout, s.client);
  auto [ec, n] = co_await http::async_write(s.client, res, use_tuple);
  co_return ec || !keep_alive ? next_step::close : next_step::keep_alive;
}

error_info app_error(client_connection& s, unsigned status, std::string title, std::string message) {
  error_info info;
  static_cast<app_failure&>(info) = s.ctx->app_failure();
  info.status = status;
  info.title = std::move(title);
  info.message = std::move(message);
  return info;
}

error_info visible_error(const client_connection& s, std::string_view host, error_info info) {
  if (s.ctx->hosts.host_allowed(host)) return info;
  // A page on another (perhaps rebinding) domain could read this: nothing of the app, its output or command.
  error_info bare;
  bare.status = info.status;
  bare.title = "The app is not answering";
  bare.message = "The app behind this address could not answer the request (HTTP " + std::to_string(info.status) +
                 "). Details are shown only to localhost addresses and allowed Hosts. " + how_to_allow_host(host);
  return bare;
}

void client_connection::go_idle() {
  buf.release();
  front.buffers.give_read(client_buf);
  front.buffers.give_pipe(pipe);
  // A large page or header leaves a large capacity behind: not worth keeping per idle connection.
  if (head.capacity() > 4096) std::string().swap(head);
  if (out.capacity() > 16 * 1024) std::string().swap(out);
}

namespace {


/// Counts (or uncounts) the connection's request among those the app is answering.
void set_in_flight(client_connection& s, bool on) {
  if (s.in_flight == on) return;
  s.in_flight = on;
  if (on) {
    ++s.ctx->responses_in_flight;
  } else if (--s.ctx->responses_in_flight == 0 && s.ctx->on_drained) {
    std::exchange(s.ctx->on_drained, nullptr)();
  }
}

bool is_http_error(const error_code& ec) { return ec.category() == make_error_code(http::error::bad_target).category(); }

bool accepts_html(const http::request_header<>& req) {
  const auto accept = req[http::field::accept];
  return accept.find("text/html") != std::string_view::npos;
}

/// Answers with an error page: HTML (with our client, so the tab recovers) or plain text. Only an allowed
/// Host sees the app's output and command line, and gets our client.
awaitable<next_step> send_error(client_connection& s, const http::request_header<>& req, std::string_view host,
                                error_info info, bool keep_alive) {
  const auto status = static_cast<http::status>(info.status);
  const bool allowed = s.ctx->hosts.host_allowed(host);
  info = visible_error(s, host, std::move(info));
  const auto retry_after = info.retry_after;
  if (accepts_html(req))
    co_return co_await send_simple(s, status, "text/html; charset=utf-8",
                                   render_error_html(info, allowed ? std::string_view(s.ctx->script_tag) : ""),
                                   keep_alive, 11, retry_after);
  co_return co_await send_simple(s, status, "text/plain; charset=utf-8", render_error_text(info), keep_alive, 11,
                                 retry_after);
}

/// The request was dropped because the browser left: nobody to answer.
error_info client_left() {
  error_info gone;
  gone.status = 0;
  return gone;
}

/// Rewrites the browser's request header for the app; the body's framing fields are ours.
void prepare_upstream_request(client_connection& s, http::request<http::buffer_body>& req, bool upgrade,
                              const request_framing& framing) {
  const std::string host(req[http::field::host]);
  strip_hop_by_hop(req.base(), upgrade);
  write_request_framing(req.base(), framing);
  if (!s.ctx->upstream_host.empty()) req.set(http::field::host, s.ctx->upstream_host);
  req.version(11);
  if (upgrade) req.set(http::field::connection, "upgrade");
  if (auto xff = req["X-Forwarded-For"]; !xff.empty())
    req.set("X-Forwarded-For", std::string(xff) + ", " + s.client_ip);
  else
    req.set("X-Forwarded-For", s.client_ip);
  // The Host the browser asked for, liveproxy's to say: a client's own X-Forwarded-Host is replaced, not passed on.
  if (!host.empty()) req.set("X-Forwarded-Host", host);
  else req.erase("X-Forwarded-Host");
  if (s.client.is_tls()) req.set("X-Forwarded-Proto", "https");
  else if (req.find("X-Forwarded-Proto") == req.end()) req.set("X-Forwarded-Proto", "http");
  // An unencoded body is what we can inject into; on loopback compression buys nothing.
  if (!upgrade) req.set(http::field::accept_encoding, "identity");
}

/// What came of connecting to the app.
struct connect_result {
  error_code ec;
  /// A refusal (or timeout) may end when the app comes up; a failed TLS handshake will not.
  bool retryable = true;
  std::unique_ptr<app_connection> conn;
};

/// A new connection to the app: each of its addresses in turn, each within the connect timeout (the deadline
/// closes the app's socket, never the browser's, and notices meanwhile if the browser leaves); then the TLS
/// handshake for an https upstream.
awaitable<connect_result> connect_app(client_connection& s) {
  const auto& target = s.ctx->pool.target();
  connect_result r;
  for (const auto& endpoint : target.endpoints) {
    auto c = s.ctx->pool.fresh();
    s.deadline.expires_after(limits::app_connect_timeout, c->socket);
    error_code cec;
    if (endpoint.address().is_loopback()) {
      using namespace net::experimental::awaitable_operators;
      const auto give_up = std::chrono::steady_clock::now() + limits::app_connect_timeout;
      steady_timer turn(c->socket.get_executor());
      while (s.ctx->app_connects >= limits::app_connects_at_once && !s.deadline.client_gone() &&
             std::chrono::steady_clock::now() < give_up) {
        turn.expires_after(std::chrono::milliseconds(1));
        co_await turn.async_wait(use_tuple);
      }
      struct counted {
        std::size_t& n;
        explicit counted(std::size_t& count) : n(count) { ++n; }
        ~counted() { --n; }
        counted(const counted&) = delete;
        counted& operator=(const counted&) = delete;
      } connecting(s.ctx->app_connects);
      for (;;) {
        steady_timer attempt(c->socket.get_executor());
        attempt.expires_after(limits::app_connect_attempt);
        auto first = co_await (c->socket.async_connect(endpoint, use_tuple) || attempt.async_wait(use_tuple));
        if (first.index() == 0) {
          cec = std::get<0>(std::get<0>(first));
          break;
        }
        if (s.deadline.client_gone() || std::chrono::steady_clock::now() >= give_up) {
          cec = net::error::timed_out;
          break;
        }
        c = s.ctx->pool.fresh();  // the dropped SYN's socket goes; a new one asks again now
        s.deadline.expires_after(give_up - std::chrono::steady_clock::now(), c->socket);
      }
    } else {
      std::tie(cec) = co_await c->socket.async_connect(endpoint, use_tuple);
    }
    if (cec) {
      // The socket dies with c: nothing may point at it while the caller waits.
      r.ec = s.deadline.fired() ? error_code(net::error::timed_out) : cec;
      s.deadline.expires_never();
      if (s.deadline.client_gone()) co_return r;
      continue;
    }
    error_code ec;
    c->socket.set_option(tcp::no_delay(true), ec);
    c->socket.native_non_blocking(true, ec);  // for splice(2), which bypasses Asio
    if (target.tls) {
      c->tls = std::make_unique<app_connection::tls_stream>(c->socket, *target.tls);
      if (error_code addr_ec; (net::ip::make_address(target.tls_host, addr_ec), addr_ec))
        ::SSL_set_tlsext_host_name(c->tls->native_handle(), target.tls_host.c_str());  // SNI: names only
      c->tls->set_verify_callback(net::ssl::host_name_verification(target.tls_host));
      auto [hec] = co_await c->tls->async_handshake(net::ssl::stream_base::client, use_tuple);
      if (hec) {
        r.ec = s.deadline.fired() ? error_code(net::error::timed_out) : hec;
        r.retryable = false;
        s.deadline.expires_never();
        co_return r;
      }
    }
    r.ec = {};
    r.conn = std::move(c);
    co_return r;
  }
  co_return r;
}

/// "certificate verify failed (...)": OpenSSL's reason, and what to do about a self-signed certificate.
std::string tls_failure(const error_code& ec) {
  std::string why = ec.message();
  if (why.find("certificate") != std::string::npos)
    why += " (for a self-signed local certificate, start liveproxy with --upstream-insecure)";
  return why;
}

/// Waits for the app, sends the request (streaming its body) and reads the response header.
/// Retries, without the browser noticing, whatever is safe to retry: the app restarting, a stale pooled socket.
/// Returns nothing on success (ex holds the app connection and its parsed response header).
awaitable<std::optional<error_info>> exchange(client_connection& s, request_parser& parser, bool upgrade, upstream_exchange& ex) {
  auto& req = parser.get();
  const bool has_body = !parser.is_done();
  const auto deadline = std::chrono::steady_clock::now() + s.ctx->hold_timeout;
  bool fresh_only = false;
  // Sent again when the app went away before answering: idempotent (RFC 9110 §9.2.2) and without a body (which
  // has gone to the app as it came, and is not kept).
  const auto method = req.method();
  const bool send_again = !has_body && !upgrade &&
                         (method == http::verb::get || method == http::verb::head || method == http::verb::options ||
                          method == http::verb::put || method == http::verb::delete_ || method == http::verb::trace);
  // An app that closes every connection unanswered while it stays up is not going away: a few tries, not the
  // whole hold timeout. Waits at a closed gate (the app is restarting) do not count.
  int tries_left = 3;
  // Tells whoever follows the app that it is going away, then waits a moment (the gate may close meanwhile).
  auto pause_before_retry = [&]() -> awaitable<void> {
    --tries_left;
    set_in_flight(s, false);
    if (s.ctx->app_refused) s.ctx->app_refused();
    steady_timer pause(s.client.get_executor());
    pause.expires_after(limits::app_retry_pause);
    s.deadline.hold(pause);
    co_await pause.async_wait(use_tuple);
    s.deadline.expires_never();
  };
  for (;;) {
    if (s.deadline.client_gone()) co_return client_left();
    if (!s.ctx->gate.is_open() && !s.ctx->gate.is_failed() && s.ctx->gate.waiting() >= s.ctx->max_held) {
      // Enough are waiting already: a client that sends thousands must not take the memory of them all.
      error_info busy;
      busy.status = 503;
      busy.retry_after = limits::held_full_retry_after;
      busy.title = "Too many requests are waiting for the app";
      busy.message = std::to_string(s.ctx->max_held) + " requests are already held while the app (re)starts "
                     "(--max-held); retry in a moment.";
      co_return busy;
    }
    if (!s.ctx->gate.is_open()) {
      tries_left = 3;           // the app is indeed restarting: once back, it has its tries again
      set_in_flight(s, false);  // a restart waiting for it would wait for itself
      // The hold timeout rules this wait; the watchdog ends it early if the browser leaves.
      steady_timer held(s.client.get_executor());
      s.deadline.hold(held);
      const auto now = std::chrono::steady_clock::now();
      const auto r = co_await s.ctx->gate.wait(held, deadline > now ? deadline - now : std::chrono::milliseconds(0));
      s.deadline.expires_never();
      if (s.deadline.client_gone()) co_return client_left();
      if (r == app_gate::result::failed)
        co_return app_error(s, 502, "The app is not running",
                            "The app ended and liveproxy is waiting for a change to restart it.");
      if (r == app_gate::result::timed_out)
        co_return app_error(s, 504, "The app did not come up in time",
                            "liveproxy held this request for " +
                                std::to_string(s.ctx->hold_timeout.count() / 1000.0).substr(0, 4) +
                                " s waiting for the app to listen on " + s.ctx->pool.target().name + ".");
    }

    set_in_flight(s, true);
    ex.parser.reset();
    ex.conn = fresh_only ? nullptr : s.ctx->pool.take_idle();
    if (!ex.conn) {
      auto [cec, connect_again, conn] = co_await connect_app(s);
      if (cec) {
        if (s.deadline.client_gone()) co_return client_left();
        if (!connect_again)
          co_return app_error(s, 502, "The TLS handshake with the app failed",
                              "Connecting to " + s.ctx->pool.target().name + " failed: " + tls_failure(cec) + ".");
        if (s.ctx->app_refused) s.ctx->app_refused();
        // Not listening (a moment ago it was, or it never did): it is restarting, starting or crashed.
        // Retry until the deadline.
        if (std::chrono::steady_clock::now() >= deadline)
          co_return app_error(s, 502, "Nothing answers at " + s.ctx->pool.target().name,
                              "liveproxy tried for " + std::to_string(s.ctx->hold_timeout.count() / 1000.0).substr(0, 4) +
                                  " s; connecting to " + s.ctx->pool.target().name + " failed: " + cec.message() +
                                  ".");
        steady_timer pause(s.client.get_executor());
        pause.expires_after(limits::app_retry_pause);
        s.deadline.hold(pause);
        co_await pause.async_wait(use_tuple);
        s.deadline.expires_never();
        continue;
      }
      ex.conn = std::move(conn);
    }
    auto& app = *ex.conn;
    http::request_serializer<http::buffer_body> sr{req};
    error_code hec;
    if (!has_body) {
      // The whole request is its header: one write, no serializer.
      s.head.clear();
      serialize_header(req.base(), s.head);
      s.deadline.expires_after(limits::app_idle_timeout, app.socket);
      std::tie(hec, std::ignore) = co_await net::async_write(app, net::buffer(s.head), use_tuple);
    } else {
      s.deadline.expires_after(limits::app_idle_timeout, app.socket);
      std::tie(hec, std::ignore) = co_await http::async_write_header(app, sr, use_tuple);
    }
    if (hec) {
      if (s.deadline.client_gone()) co_return client_left();
      if (ex.conn->reused) {
        fresh_only = true;
        continue;
      }
      if (send_again && tries_left > 0 && std::chrono::steady_clock::now() < deadline) {
        co_await pause_before_retry();  // the app is going away as we send: as above
        if (s.deadline.client_gone()) co_return client_left();
        continue;
      }
      co_return app_error(s, 502, "Sending the request to the app failed", describe(s, hec));
    }
    // Stream the request body: browser -> app.
    while (has_body && !sr.is_done()) {
      std::size_t n = 0;
      if (!parser.is_done()) {
        auto [rec, got] = co_await read_body(s, s.client, s.client_buf, parser, limits::client_body_timeout);
        if (rec) co_return client_left();  // the browser went away mid-upload
        n = got;
      }
      auto wec = co_await write_body(s, app, sr, req, s.buf.data(), n, parser.is_done(), limits::app_idle_timeout);
      if (wec) {
        if (s.deadline.client_gone()) co_return client_left();
        co_return app_error(s, 502, "The app stopped reading the request", describe(s, wec));
      }
    }
    // Response header; 1xx interim responses other than 101 are dropped (we answered Expect ourselves).
    for (;;) {
      ex.parser.emplace();
      ex.parser->header_limit(limits::header_bytes);
      ex.parser->body_limit(boost::none);
      if (req.method() == http::verb::head) ex.parser->skip(true);
      s.deadline.expires_after(limits::app_idle_timeout, app.socket);
      const auto rec = co_await read_header(app, ex.buf(), *ex.parser);
      if (rec) {
        if (s.deadline.client_gone()) co_return client_left();
        // The app closed (or reset) the connection before its header was complete: nothing has gone to the browser,
        // so for a request that may go again this is the same as no answer at all. Runserver's reloader stops the
        // old process between the status line and the headers it writes separately. (A header that does not parse
        // is the app's answer, and is reported.)
        const bool nothing_came = ex.buf().size() == 0 && !ex.parser->got_some();
        const bool cut_short = rec == http::error::partial_message || rec == net::error::eof ||
                               rec == net::error::connection_reset || rec == http::error::end_of_stream;
        if ((nothing_came || cut_short) && send_again && !s.deadline.fired() && (tries_left > 0 || ex.conn->reused)) {
          if (ex.conn->reused) {
            fresh_only = true;  // a stale keep-alive socket: at once, on a new one
            break;
          }
          // The app closed (or reset) a new connection without a whole answer header: it is going away (its own
          // reloader, a crash, a stop). The request is held and sent again once it is back, as nginx's
          // proxy_next_upstream does; whoever follows the app is told.
          if (std::chrono::steady_clock::now() < deadline) {
            co_await pause_before_retry();
            if (s.deadline.client_gone()) co_return client_left();
            break;
          }
        }
        co_return app_error(s, 502, "The app closed the connection without a complete response",
                            "Reading the response header failed: " + describe(s, rec) + ".");
      }
      const auto status = ex.parser->get().result_int();
      if (status >= 100 && status < 200 && !(status == 101 && upgrade)) continue;
      // A body of known length whose first bytes have not come with the header: wait for them before anything
      // goes to the browser. An app that dies between its header and its body (stopped, or its reloader) has
      // then sent nothing the browser saw, and the request can go again like one it never answered.
      if (send_again && !ex.parser->is_done() && ex.parser->content_length() && ex.buf().size() == 0) {
        ack_now(app);  // the body may be a small second write that Nagle holds until our ACK
        s.deadline.expires_after(limits::app_idle_timeout, app.socket);
        auto [bec, got] = co_await app.async_read_some(ex.buf().prepare(limits::app_read_bytes), use_tuple);
        ex.buf().commit(got);
        if (bec && got == 0) {
          if (s.deadline.client_gone()) co_return client_left();
          if (!s.deadline.fired() && tries_left > 0 && std::chrono::steady_clock::now() < deadline) {
            fresh_only = true;
            co_await pause_before_retry();
            break;
          }
          co_return app_error(s, 502, "The app closed the connection without a complete response",
                              "Reading the response body failed: " + describe(s, bec) + ".");
        }
      }
      co_return std::nullopt;
    }
  }
}

awaitable<next_step> forward(client_connection& s, request_parser& parser, const request_framing& framing) {
  auto& req = parser.get();
  const auto method = req.method();
  const unsigned version = req.version();
  const bool upgrade = req.find(http::field::upgrade) != req.end() &&
                       header_has_token(req[http::field::connection], "upgrade");
  bool client_keep = req.keep_alive();
  const std::string host(req[http::field::host]);
  if (beast::iequals(req[http::field::expect], "100-continue")) {
    // Answer it here: the body then flows straight to the app as it arrives.
    req.erase(http::field::expect);
    static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
    s.deadline.expires_after(limits::client_write_timeout, s.client);
    auto [ec, n] = co_await net::async_write(s.client, net::buffer(cont), use_tuple);
    if (ec) co_return next_step::close;
  }
  prepare_upstream_request(s, req, upgrade, framing);

  // From the moment it goes to the app until its response is relayed, the request is counted: a restart lets
  // it finish before stopping the app (exchange() uncounts it while it waits at the gate).
  struct uncount_at_end {
    client_connection& s;
    ~uncount_at_end() { set_in_flight(s, false); }
  } uncount{s};
  upstream_exchange ex;
  if (auto err = co_await exchange(s, parser, upgrade, ex)) {
    if (err->status == 0) co_return next_step::close;
    // An unread request body would be taken for the next request: close instead.
    co_return co_await send_error(s, req, host, std::move(*err), client_keep && parser.is_done());
  }
  if (upgrade && ex.parser->get().result_int() == 101) {
    auto& res = ex.parser->get();
    http::response<http::empty_body> head{std::move(res.base())};
    s.deadline.expires_after(limits::client_write_timeout, s.client);
    auto [ec, n] = co_await http::async_write(s.client, head, use_tuple);
    s.deadline.expires_never();  // the tunnel times itself
    set_in_flight(s, false);     // a tunnel lives as long as the page: a restart does not wait for it
    if (!ec) co_await run_tunnel(s.client, s.client_buf, *ex.conn, ex.buf());
    co_return next_step::close;
  }
  co_return co_await relay_response(s, ex, method, client_keep && parser.is_done(), version, host);
}

/// Picks who answers the request. Not a coroutine: it returns the chosen handler's awaitable.
awaitable<next_step> handle(client_connection& s, request_parser& parser, const request_framing& framing) {
  const auto target = parser.get().target();
  const auto path = path_of(target);
  s.ctx = &s.front;
  // LiveReload's well-known paths are ours too: its script, and its socket (only as an upgrade).
  if (target.starts_with("/__liveproxy/") || path == livereload::script_path ||
      (path == livereload::socket_path && websocket::is_upgrade(parser.get())))
    return serve_own(s, parser);
  // Of several apps, the one this path is routed to: its gate holds the request, its pool connects.
  if (s.front.route) {
    s.ctx = &s.front.route(path);
    s.deadline.set_pause_flag(&s.ctx->app_paused);
  }
  if (parser.get().method() == http::verb::connect)
    return send_simple(s, http::status::method_not_allowed, "text/plain; charset=utf-8",
                       "liveproxy is a reverse proxy for your app, not a forward proxy: CONNECT is not supported.\n",
                       false);
  if (s.ctx->serve) return serve_static(s, parser);
  return forward(s, parser, framing);
}

/// The request loop of one browser connection.
awaitable<void> serve(client_connection& s) {
  for (;;) {
    request_parser parser;
    parser.header_limit(limits::header_bytes);
    parser.body_limit(limits::request_body_bytes);
    if (s.client_buf.size() == 0) {
      // Idle until the next request's first byte, holding no buffer: the idle timeout rules this wait.
      s.go_idle();
      s.deadline.expires_after(s.ctx->idle_timeout, s.client);
      auto [rec0, n] = co_await s.client.async_read_some(net::buffer(s.first_bytes), use_tuple);
      if (rec0) break;  // closed while idle (or the idle timeout)
      s.go_busy();
      s.client_buf.commit(net::buffer_copy(s.client_buf.prepare(n), net::buffer(s.first_bytes.data(), n)));
    }
    // From its first byte on, the whole header must come within the header timeout: a client trickling
    // a header cannot hold its connection for the idle timeout.
    s.deadline.expires_after(s.ctx->header_timeout, s.client);
    const auto rec = co_await read_header(s.client, s.client_buf, parser);
    if (rec) {
      if (rec == http::error::header_limit) {
        co_await send_simple(s, http::status::request_header_fields_too_large, "text/plain; charset=utf-8",
                             "liveproxy: request header larger than " + std::to_string(limits::header_bytes / 1024) +
                                 " KiB\n",
                             false);
      } else if (is_http_error(rec) && rec != http::error::end_of_stream && rec != http::error::partial_message) {
        co_await send_simple(s, http::status::bad_request, "text/plain; charset=utf-8",
                             "liveproxy: malformed request: " + rec.message() + "\n", false);
      }
      break;
    }
    if (const auto wrong = normalize_request_target(parser.get()); !wrong.empty()) {
      co_await send_simple(s, http::status::bad_request, "text/plain; charset=utf-8",
                           "liveproxy: malformed request: " + wrong + "\n", false);
      break;
    }
    const auto framing = decide_request_framing(parser.get(), parser.chunked(),
                                                parser.content_length() ? std::optional(*parser.content_length())
                                                                        : std::nullopt);
    if (framing.reject_status) {
      // What the body is cannot be told for sure: the connection cannot carry another request either.
      const std::string what =
          framing.reject_status == 400 ? "liveproxy: malformed request: " : "liveproxy: cannot forward this request: ";
      co_await send_simple(s, static_cast<http::status>(framing.reject_status), "text/plain; charset=utf-8",
                           what + framing.why + "\n", false);
      break;
    }
    const auto step = co_await handle(s, parser, framing);
    if (step == next_step::handed_over) co_return;
    if (step == next_step::close) break;
  }
  if (s.client.is_tls()) {
    // close_notify first: without it a response that ends at the close cannot be told from a cut one (OpenSSL 3
    // clients report "unexpected eof").
    s.deadline.expires_after(limits::tls_close_timeout, s.client);
    [[maybe_unused]] auto [sec] = co_await s.client.async_shutdown(use_tuple);
  }
  error_code ec;
  s.client.socket().shutdown(tcp::socket::shutdown_send, ec);
  s.client.close();
}

}  // namespace

awaitable<void> run_http_session(client_stream stream, proxy_context& ctx) {
  using namespace net::experimental::awaitable_operators;
  error_code ec;
  auto& socket = stream.socket();
  socket.set_option(tcp::no_delay(true), ec);
  socket.native_non_blocking(true, ec);  // for splice(2), which bypasses Asio
  const auto remote = socket.remote_endpoint(ec);
  client_connection s(std::move(stream), ctx, ec ? std::string("127.0.0.1") : remote.address().to_string());
  s.deadline.expires_after(ctx.idle_timeout, s.client);
  co_await (serve(s) || s.deadline.watch());
}

}  // namespace liveproxy
