// Every deadline and size limit of the proxy, named in one place.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace liveproxy::limits {

using namespace std::chrono_literals;

/// Largest request or response header block accepted (browsers send ~1-8 KB; cookies can grow).
inline constexpr std::size_t header_bytes = 64 * 1024;
/// Request bodies are streamed, so this only bounds a single upload's declared size.
inline constexpr std::uint64_t request_body_bytes = 4ull * 1024 * 1024 * 1024;
/// Chunk size of the streaming relay buffers.
inline constexpr std::size_t relay_buffer_bytes = 64 * 1024;
/// First read of an app response: header plus a small body in one read; a larger body is spliced after it.
inline constexpr std::size_t app_read_bytes = 16 * 1024;
/// Known-length bodies with at least this much left after the first read are spliced, not copied.
inline constexpr std::uint64_t splice_min_bytes = 16 * 1024;
/// Pipe size asked for splicing (a 100 KB asset in one round); the kernel may grant less.
inline constexpr std::size_t splice_pipe_bytes = 256 * 1024;
/// HTML is scanned for the injection point this far before headers are committed (then: chunked).
inline constexpr std::size_t inject_sniff_bytes = 256 * 1024;
/// A compressed page is decoded (to get our script) up to this size: a dev page is never larger, and a small
/// compressed body can inflate to gigabytes. Beyond it the page goes out as the app sent it, still compressed.
inline constexpr std::uint64_t inject_decoded_bytes = 8 * 1024 * 1024;
/// Decoding proceeds in steps of this many output bytes, each sent (and waited for) before the next.
inline constexpr std::size_t decode_step_bytes = 64 * 1024;

/// A client must send a complete request header within this time of its first byte (--header-timeout).
inline constexpr auto client_header_timeout = 30s;
/// An idle keep-alive connection from the browser is closed after this (--idle-timeout).
inline constexpr auto client_idle_timeout = 120s;
/// Quiet time while reading a request body from the browser.
inline constexpr auto client_body_timeout = 30s;
/// Browser connections open at once before accepting pauses (--max-connections); also at most half the
/// open-file limit, so app connections and splice pipes always find descriptors.
inline constexpr std::size_t max_connections = 10'000;
/// Writing to a browser that stopped reading.
inline constexpr auto client_write_timeout = 60s;
/// Connecting to the app once it is known to listen.
inline constexpr auto app_connect_timeout = 5s;
/// A connect to a loopback app with no answer after this had its SYN dropped: the app's accept queue was full
/// (held requests released at once after a restart; Django's runserver queues 10). A new SYN goes out then,
/// instead of the kernel's retransmission after 1 s, then 3 s.
inline constexpr auto app_connect_attempt = 200ms;
/// Connects to a loopback app under way at once; more wait their turn. Requests released together (after a
/// restart, or a page with many assets) would otherwise overflow a small accept queue, where the kernel drops
/// what does not fit.
inline constexpr std::size_t app_connects_at_once = 8;
/// Quiet time on an app response before giving up: long, because a developer may sit at a breakpoint.
inline constexpr auto app_idle_timeout = 600s;
/// Requests held at once while the app is not ready (--max-held): more get 503 with Retry-After. Each holds a
/// connection and its header (at most the header limit), so memory stays bounded whatever arrives.
inline constexpr std::size_t max_held_requests = 1'000;
/// Retry-After of that 503, in seconds.
inline constexpr unsigned held_full_retry_after = 2;
/// Before a restart, responses the app is still sending may finish for this long (the app is stopped after):
/// killing it mid-body would cut them. A stream (server-sent events) is cut after it.
inline constexpr auto restart_drain = 1s;
/// Idle upstream connections kept for reuse at most. The pool follows the load: connections no request
/// needed during a whole trim period are closed, so a burst of 1,000 browsers reuses its app connections
/// instead of reconnecting, and a quiet app is not left holding hundreds of idle threads or sockets.
inline constexpr std::size_t app_pool_size = 1024;
inline constexpr auto app_pool_trim_period = 5s;

/// Readiness probe interval while the app starts.
inline constexpr auto ready_probe_interval = 5ms;
/// SIGTERM to SIGKILL grace period when stopping the app.
inline constexpr auto app_stop_grace = 3s;
/// With --host 0.0.0.0: how often the machine's addresses are read again (a new network lets a phone in; with
/// --https the certificate is issued again to cover the new address).
inline constexpr std::chrono::seconds address_check_interval{30};
/// --https: how long a closing connection may take to send its close_notify (a browser that reads nothing).
inline constexpr std::chrono::seconds tls_close_timeout{1};
/// GET /__liveproxy/wait: how long it waits when not told (?timeout=S), and at the most.
inline constexpr std::chrono::seconds wait_default_timeout{30};
inline constexpr std::chrono::seconds wait_max_timeout{600};
/// Lines of app output kept for the error page.
inline constexpr std::size_t app_output_lines = 200;
/// ...each of them kept up to this long (a longer one is kept cut, and marked), and all of them up to this
/// much: the error page and the status page stay small whatever the app prints. The terminal gets everything.
inline constexpr std::size_t app_output_line_bytes = 8 * 1024;
inline constexpr std::size_t app_output_bytes = 1024 * 1024;
/// The status page shows the tail of the output up to this much (its snapshot goes to every open page).
inline constexpr std::size_t status_output_bytes = 64 * 1024;
/// A status socket's kernel send buffer (Linux doubles it): two snapshots, not the megabytes autotuning grows to.
inline constexpr int status_send_buffer = 128 * 1024;

/// Reload-hub WebSocket: messages queued for a slow client before it is dropped.
inline constexpr std::size_t ws_queue_messages = 256;
/// ...or messages of this many bytes in all (a status snapshot can be a few hundred KB).
inline constexpr std::size_t ws_queue_bytes = 4 * 1024 * 1024;
/// Largest message a browser may send us.
inline constexpr std::size_t ws_read_bytes = 16 * 1024;
/// Messages a tab may send per window (our client sends none, LiveReload's a hello and a few info messages):
/// a tab past this is closed rather than keeping the loop busy.
inline constexpr std::size_t ws_messages_per_window = 50;
inline constexpr auto ws_message_window = 10s;
/// Console messages a tab's socket parses in a second (our client sends at most 10): more are only counted (what
/// the terminal shows is bounded later, by console_relay::burst); the socket stays open.
inline constexpr std::size_t ws_console_per_second = 100;
/// Keys typed for the app not yet taken by its terminal (a paste into an app that does not read is cut here).
inline constexpr std::size_t typed_bytes = 64 * 1024;
/// The app's output ending in an unfinished line and quiet this long: it waits at a prompt ("(Pdb) ").
inline constexpr auto prompt_quiet = 150ms;
/// How often liveproxy looks whether the app waits at a prompt (while it has a terminal).
inline constexpr auto prompt_check_interval = 250ms;
/// Pause after a failed accept (EMFILE) so the loop cannot spin.
inline constexpr auto accept_backoff = 50ms;
/// At most one "accept failed" warning per this much time (the others are counted into the next one).
inline constexpr auto accept_warning_interval = 10s;

}  // namespace liveproxy::limits

namespace liveproxy::limits {
/// Idle time on a tunnelled upgrade (the app's own WebSockets) before it is closed.
inline constexpr auto tunnel_idle_timeout = std::chrono::seconds(3600);
/// Pause between connect attempts when the app is ready but refused a connection.
inline constexpr auto app_retry_pause = std::chrono::milliseconds(10);
}  // namespace liveproxy::limits
