// Response relays: one coroutine per way of sending, chosen before any byte goes out.
#include "proxy/front/response_relay.hpp"

#include "proxy/browser/content_decoder.hpp"
#include "proxy/browser/csp_policy.hpp"
#include "proxy/browser/html_injector.hpp"
#include "proxy/http/http_util.hpp"
#include "proxy/http/location_rewrite.hpp"
#include "proxy/http/request_framing.hpp"
#include "proxy/base/limits.hpp"
#include "proxy/base/log.hpp"

#include <array>

namespace liveproxy {
namespace {

/// Our tag for a page answering this method: a page that answered a POST (a form's result) says so, and the
/// client reloads it instead of fetching its URL again to morph it, which would be a GET of another page.
std::string tag_for(const client_connection& s, http::verb method) {
  if (method == http::verb::get || method == http::verb::head) return s.ctx->script_tag;
  std::string tag = s.ctx->script_tag;
  tag.insert(tag.find("></script>"), " data-method=\"" + std::string(http::to_string(method)) + "\"");
  return tag;
}

/// Lets our script and socket through the page's CSP headers; returns the tag to inject (with a nonce if needed).
std::string adjust_csp(client_connection& s, http::response_header<>& res, std::string_view host, http::verb method) {
  // Most pages have no CSP: build nothing for them (this runs on every HTML response).
  if (res.find("Content-Security-Policy") == res.end() && res.find("Content-Security-Policy-Report-Only") == res.end())
    return tag_for(s, method);
  std::string nonce;
  const csp_targets targets{std::string(host) + "/__liveproxy/client.js",
                            "ws://" + std::string(host) + "/__liveproxy/ws wss://" + std::string(host) + "/__liveproxy/ws"};
  const std::string fresh = make_instance_id();
  for (const std::string_view field : {"Content-Security-Policy", "Content-Security-Policy-Report-Only"}) {
    std::vector<std::string> values;
    for (auto it = res.find(field); it != res.end() && beast::iequals(it->name_string(), field); ++it)
      values.push_back(allow_liveproxy(it->value(), targets, nonce, fresh));
    if (values.empty()) continue;
    res.erase(field);
    for (const auto& v : values) res.insert(field, v);
  }
  std::string tag = tag_for(s, method);
  if (nonce.empty()) return tag;
  // Our tag is fixed text ending in "></script>"; the nonce goes into its start tag.
  tag.insert(tag.find("></script>"), " nonce=\"" + html_escape(nonce) + "\"");
  return tag;
}

/// How a response goes back to the browser; decided before any byte is sent.
struct response_plan {
  bool app_keep = false;  ///< the app connection can go back to the pool afterwards
  bool keep = false;      ///< the browser connection stays open
  unsigned client_version = 11;
};

/// A body of unknown length (close-delimited) is re-framed as chunked so the browser can keep the connection.
void frame_unknown_length(http::response<http::buffer_body>& msg, response_plan& plan) {
  msg.erase(http::field::content_length);
  if (plan.client_version >= 11) msg.chunked(true);
  else plan.keep = false;
}

void release_app(client_connection& s, upstream_exchange& ex, const response_plan& plan) {
  if (plan.app_keep && ex.buf().size() == 0) s.ctx->pool.release(std::move(ex.conn));
}

/// Known length, not rewritten: the header and the bytes read with it in one write, then the rest
/// straight from the socket (spliced when large).
awaitable<next_step> relay_plain(client_connection& s, upstream_exchange& ex, response_plan plan) {
  auto& rp = *ex.parser;
  auto& app = *ex.conn;
  auto& res = rp.get();
  set_keep_alive(res, plan.keep, plan.client_version);
  std::uint64_t remaining = rp.is_done() ? 0 : *rp.content_length();
  const auto first = std::min<std::uint64_t>(ex.buf().size(), remaining);
  s.head.clear();
  serialize_header(res.base(), s.head);
  const std::array<net::const_buffer, 2> pieces{net::buffer(s.head), net::buffer(ex.buf().data().data(), first)};
  s.deadline.expires_after(limits::client_write_timeout, s.client);
  auto [wec, wn] = co_await net::async_write(s.client, pieces, use_tuple);
  if (wec) co_return next_step::close;
  ex.buf().consume(first);
  remaining -= first;
  // splice(2) moves raw socket bytes: not for TLS on either side, whose bytes need decrypting or encrypting.
  if (remaining >= limits::splice_min_bytes && !app.tls && !s.client.is_tls() && s.splice_ready()) {
    if (co_await splice_body(app.socket, s.client.socket(), remaining, s.pipe, s.deadline)) co_return next_step::close;
    remaining = 0;
  }
  if (remaining > 0) ack_now(app);  // the rest may be a small second write held back by Nagle
  while (remaining > 0) {
    s.deadline.expires_after(limits::app_idle_timeout, app.socket);
    auto [rec, n] = co_await app.async_read_some(
        net::buffer(s.buf.data(), std::min<std::uint64_t>(s.buf.size(), remaining)), use_tuple);
    if (rec) co_return next_step::close;  // mid-body failure: only closing tells the browser
    s.deadline.expires_after(limits::client_write_timeout, s.client);
    auto [ec2, m] = co_await net::async_write(s.client, net::buffer(s.buf.data(), n), use_tuple);
    if (ec2) co_return next_step::close;
    remaining -= n;
  }
  release_app(s, ex, plan);
  co_return plan.keep ? next_step::keep_alive : next_step::close;
}

/// Chunked or close-delimited, not rewritten: streamed through Beast's serializer as it arrives.
awaitable<next_step> relay_framed(client_connection& s, upstream_exchange& ex, response_plan plan) {
  auto& rp = *ex.parser;
  auto& app = *ex.conn;
  auto& res = rp.get();
  set_keep_alive(res, plan.keep, plan.client_version);
  http::response_serializer<http::buffer_body> sr{res};
  s.deadline.expires_after(limits::client_write_timeout, s.client);
  auto [hec, hn] = co_await http::async_write_header(s.client, sr, use_tuple);
  if (hec) co_return next_step::close;
  while (!sr.is_done()) {
    std::size_t n = 0;
    if (!rp.is_done()) {
      auto [rec, got] = co_await read_body(s, app, ex.buf(), rp, limits::app_idle_timeout);
      if (rec) co_return next_step::close;  // mid-body failure: only closing tells the browser
      n = got;
    }
    if (co_await write_body(s, s.client, sr, res, s.buf.data(), n, rp.is_done(), limits::client_write_timeout))
      co_return next_step::close;
  }
  release_app(s, ex, plan);
  co_return plan.keep ? next_step::keep_alive : next_step::close;
}

/// Lets other coroutines on the loop run: between decoding steps, so a large page never holds it for long.
awaitable<void> yield_to_loop(client_connection& s) {
  co_await net::post(s.client.get_executor(), use_tuple);
}

/// The app's page decodes to more than limits::inject_decoded_bytes: said once per run of liveproxy.
void warn_too_large(std::string_view host, bool passed_on) {
  static bool said = false;
  if (std::exchange(said, true)) return;
  log::warn("a compressed page from the app decodes to more than " +
            std::to_string(limits::inject_decoded_bytes / (1024 * 1024)) + " MB (http://" + std::string(host) +
            "): " +
            (passed_on ? "passed on as the app sent it, still compressed and without liveproxy's script"
                       : "its header had gone out: the connection was closed") +
            " (said once)");
}

/// A compressed page too large to decode: sent as the app sent it, from the encoded bytes read so far on.
awaitable<next_step> relay_encoded(client_connection& s, upstream_exchange& ex, response_plan plan,
                                   http::response_header<>&& header, const std::string& read_so_far) {
  auto& rp = *ex.parser;
  auto& app = *ex.conn;
  http::response<http::buffer_body> msg{std::move(header)};
  if (!msg.has_content_length() && !msg.chunked()) frame_unknown_length(msg, plan);
  set_keep_alive(msg, plan.keep, plan.client_version);
  http::response_serializer<http::buffer_body> sr{msg};
  s.deadline.expires_after(limits::client_write_timeout, s.client);
  auto [hec, hn] = co_await http::async_write_header(s.client, sr, use_tuple);
  if (hec) co_return next_step::close;
  if (co_await write_body(s, s.client, sr, msg, read_so_far.data(), read_so_far.size(), rp.is_done(),
                          limits::client_write_timeout))
    co_return next_step::close;
  while (!sr.is_done()) {
    std::size_t n = 0;
    if (!rp.is_done()) {
      auto [rec, got] = co_await read_body(s, app, ex.buf(), rp, limits::app_idle_timeout);
      if (rec) co_return next_step::close;
      n = got;
    }
    if (co_await write_body(s, s.client, sr, msg, s.buf.data(), n, rp.is_done(), limits::client_write_timeout))
      co_return next_step::close;
  }
  release_app(s, ex, plan);
  co_return plan.keep ? next_step::keep_alive : next_step::close;
}

/// HTML with a body: decoded if compressed, our tag inserted, the length stated when it can be known.
///
/// A compressed body is decoded in bounded steps (limits::decode_step_bytes), each sent before the next, so a
/// few KB that inflate to gigabytes cost neither memory nor the loop's time. Before the header goes out,
/// everything already read is decoded (up to limits::inject_decoded_bytes): a page that would exceed it is
/// passed on as the app sent it, still compressed, without our script.
awaitable<next_step> relay_injected(client_connection& s, upstream_exchange& ex, response_plan plan, std::string_view host,
                                    http::verb method) {
  auto& rp = *ex.parser;
  auto& app = *ex.conn;
  auto& res = rp.get();
  const auto upstream_length = rp.content_length();
  std::unique_ptr<content_decoder> decoder;
  std::string encoding;
  if (!is_identity_encoded(res)) {
    std::string why;
    encoding = std::string(res[http::field::content_encoding]);
    decoder = content_decoder::create(encoding, why);
  }
  // The header as the app sent it, for a page passed on untouched.
  http::response_header<> untouched = decoder ? res.base() : http::response_header<>{};
  if (decoder) res.erase(http::field::content_encoding);
  html_injector injector(adjust_csp(s, res, host, method));
  std::string& out = s.out;
  out.clear();
  std::string decoded;
  std::string read_so_far;  ///< encoded bytes read before the header goes out
  std::uint64_t decoded_total = 0;
  // Decodes what was pushed, step by step, through the injector into out: everything available (up to the
  // limit), or one step. False on corrupt data.
  auto decode = [&](bool one_step) -> awaitable<bool> {
    while (decoder->pending() && decoded_total <= limits::inject_decoded_bytes) {
      decoded.clear();
      if (!decoder->pull(decoded, limits::decode_step_bytes)) co_return false;
      if (decoded.empty()) break;
      decoded_total += decoded.size();
      injector.feed(decoded, out);
      if (one_step) break;
      co_await yield_to_loop(s);
    }
    co_return true;
  };
  auto too_large = [&] { return decoded_total > limits::inject_decoded_bytes; };
  // Look ahead until the injection point is known, so the length can be stated up front.
  bool ok = true;
  while (ok && !rp.is_done() && !injector.decided() && out.size() < limits::inject_sniff_bytes && !too_large()) {
    auto [rec, got] = co_await read_body(s, app, ex.buf(), rp, limits::app_idle_timeout);
    if (rec) co_return next_step::close;
    const std::string_view raw(s.buf.data(), got);
    if (!decoder) {
      injector.feed(raw, out);
      continue;
    }
    read_so_far.append(raw);
    decoder->push(raw);
    ok = co_await decode(false);
  }
  if (ok && decoder && !too_large()) ok = co_await decode(false);  // all that was read, before anything is sent
  if (ok && too_large()) {
    warn_too_large(host, true);
    co_return co_await relay_encoded(s, ex, plan, std::move(untouched), read_so_far);
  }
  const bool complete = rp.is_done() && (!decoder || !decoder->pending());
  if (ok && complete && decoder) ok = decoder->finish();
  if (!ok) {
    error_info info = app_error(s, 502, "The app sent a corrupt compressed page", decoder->error() + ".");
    co_return co_await send_simple(s, http::status::bad_gateway, "text/plain; charset=utf-8",
                                   render_error_text(visible_error(s, host, std::move(info))), false);
  }
  if (complete) injector.finish(out);
  read_so_far = std::string();
  http::response<http::buffer_body> msg{std::move(res.base())};
  if (complete) {
    msg.chunked(false);
    msg.content_length(out.size());
  } else if (injector.decided() && upstream_length && !decoder) {
    msg.content_length(*upstream_length + injector.added_bytes());
  } else {
    frame_unknown_length(msg, plan);
  }
  // The body differs from what the app's strong validator names.
  if (auto etag = msg[http::field::etag]; !etag.empty() && !etag.starts_with("W/")) msg.erase(http::field::etag);
  set_keep_alive(msg, plan.keep, plan.client_version);
  if (complete) {
    s.head.clear();
    serialize_header(msg.base(), s.head);
    const std::array<net::const_buffer, 2> pieces{net::buffer(s.head), net::buffer(out)};
    s.deadline.expires_after(limits::client_write_timeout, s.client);
    auto [wec, wn] = co_await net::async_write(s.client, pieces, use_tuple);
    if (wec) co_return next_step::close;
    release_app(s, ex, plan);
    co_return plan.keep ? next_step::keep_alive : next_step::close;
  }
  http::response_serializer<http::buffer_body> sr{msg};
  s.deadline.expires_after(limits::client_write_timeout, s.client);
  auto [hec, hn] = co_await http::async_write_header(s.client, sr, use_tuple);
  if (hec) co_return next_step::close;
  if (co_await write_body(s, s.client, sr, msg, out.data(), out.size(), false, limits::client_write_timeout))
    co_return next_step::close;
  // The rest: one step of decoded output (or one read of a plain body) at a time, each written before the next.
  while (!sr.is_done()) {
    out.clear();
    if (decoder && decoder->pending()) {
      if (!co_await decode(true)) co_return next_step::close;
      if (too_large()) {
        warn_too_large(host, false);
        co_return next_step::close;
      }
    } else if (!rp.is_done()) {
      auto [rec, got] = co_await read_body(s, app, ex.buf(), rp, limits::app_idle_timeout);
      // Mid-body failure after the header went out: only closing tells the browser.
      if (rec) co_return next_step::close;
      const std::string_view raw(s.buf.data(), got);
      if (decoder) {
        decoder->push(raw);
        if (!co_await decode(true)) co_return next_step::close;
      } else {
        injector.feed(raw, out);
      }
    }
    const bool last = rp.is_done() && (!decoder || !decoder->pending());
    if (last) {
      // Corrupt or cut-short compressed data after the header went out: only closing tells the browser.
      if (decoder && !decoder->finish()) co_return next_step::close;
      injector.finish(out);
    }
    if (co_await write_body(s, s.client, sr, msg, out.data(), out.size(), last, limits::client_write_timeout))
      co_return next_step::close;
  }
  release_app(s, ex, plan);
  co_return plan.keep ? next_step::keep_alive : next_step::close;
}

}  // namespace

/// Picks the relay for the app's response. Not a coroutine: it returns the chosen one's awaitable.
awaitable<next_step> relay_response(client_connection& s, upstream_exchange& ex, http::verb method, bool client_keep,
                                    unsigned client_version, std::string_view host) {
  auto& rp = *ex.parser;
  auto& res = rp.get();
  // After a HEAD, a naive app may still send a body: the connection is not trusted with another request.
  response_plan plan{rp.keep_alive() && method != http::verb::head, client_keep, client_version};
  if (const auto codings = transfer_codings(res);
      !codings.empty() && (codings.size() > 1 || !beast::iequals(codings.front(), "chunked"))) {
    std::string list;
    for (const auto c : codings) list += (list.empty() ? "" : ", ") + std::string(c);
    error_info info = app_error(s, 502, "The app sent a response liveproxy cannot pass on",
                                "Its Transfer-Encoding is '" + list + "'; browsers understand only chunked.");
    return send_simple(s, http::status::bad_gateway, "text/plain; charset=utf-8",
                       render_error_text(visible_error(s, host, std::move(info))), false);
  }
  const bool inject = wants_injection(res, method) && can_decode(res[http::field::content_encoding]);
  strip_hop_by_hop(res.base());
  res.version(11);
  // An answer that says nothing of caching is revalidated at each use, not kept fresh by the browser's heuristic
  // (a tenth of its age since Last-Modified): a reload after an edit must never run the script from before it.
  // What the app says about caching it keeps.
  if (res.find(http::field::cache_control) == res.end() && res.find(http::field::expires) == res.end())
    res.set(http::field::cache_control, "no-cache");
  // Redirects the app built from its own private address would take the browser past liveproxy.
  if (!host.empty() && (res.find(http::field::location) != res.end() ||
                        res.find(http::field::content_location) != res.end() ||
                        res.find("Refresh") != res.end()))
    rewrite_app_urls(res.base(), s.ctx->origin, (s.client.is_tls() ? "https://" : "http://") + std::string(host));
  // The framing fields say what our parser read, and nothing else: the browser must see the same body ends.
  const bool chunked = rp.chunked();
  const auto length = rp.content_length();
  res.erase(http::field::transfer_encoding);
  res.erase(http::field::content_length);
  if (chunked) res.set(http::field::transfer_encoding, "chunked");
  else if (length) res.content_length(*length);
  const bool body_follows = !rp.is_done() || rp.content_length().value_or(0) > 0;
  if (!rp.is_done() && !res.has_content_length() && !res.chunked()) frame_unknown_length(res, plan);
  if (!inject && (rp.is_done() || (rp.content_length() && !res.chunked()))) return relay_plain(s, ex, plan);
  if (!inject || !body_follows) return relay_framed(s, ex, plan);
  return relay_injected(s, ex, plan, host, method);
}

}  // namespace liveproxy
