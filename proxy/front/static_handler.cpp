// One request: resolve the path, open and fstat the file, decide 200/206/304/416, then one write of the header
// (with the page, or the start of a small file) and sendfile for the rest.
#include "proxy/front/static_handler.hpp"

#include "proxy/browser/error_page.hpp"
#include "proxy/browser/html_injector.hpp"
#include "proxy/http/http_util.hpp"
#include "proxy/serve/conditional.hpp"
#include "proxy/serve/directory_listing.hpp"
#include "proxy/serve/file_cache.hpp"
#include "proxy/serve/mime_types.hpp"
#include "proxy/serve/sendfile_relay.hpp"
#include "proxy/serve/static_path.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <ctime>

namespace liveproxy {
namespace {

/// Files up to this size go out in the same write as their header; larger ones by sendfile(2).
constexpr std::size_t inline_file_bytes = 16 * 1024;

/// Closes the file however the request ends.
struct file_handle {
  int fd = -1;
  explicit file_handle(int f) : fd(f) {}
  file_handle(const file_handle&) = delete;
  file_handle& operator=(const file_handle&) = delete;
  ~file_handle() {
    if (fd >= 0) ::close(fd);
  }
};

bool is_html(std::string_view type) { return type.starts_with("text/html"); }

/// Reads a whole (small) file from `offset`; false on a read error or a file that shrank.
bool read_all(int fd, std::string& out, std::size_t size) {
  out.resize(size);
  std::size_t got = 0;
  while (got < size) {
    const auto n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

/// Now as an HTTP date, made once a second (an origin server with a clock sends Date, RFC 9110 §6.6.1).
const std::string& current_date() {
  static std::time_t made_for = 0;
  static std::string text;
  const std::time_t now = std::time(nullptr);
  if (now != made_for) {
    made_for = now;
    text = http_date(now);
  }
  return text;
}

/// The response header every answer of ours starts from.
http::response_header<> base_header(http::status status, unsigned version, bool keep) {
  http::response_header<> h;
  h.result(status);
  h.version(version >= 11 ? 11 : 10);
  h.set(http::field::server, "liveproxy");
  h.set(http::field::date, current_date());
  if (!keep) h.set(http::field::connection, "close");
  else if (version < 11) h.set(http::field::connection, "keep-alive");
  return h;
}

/// Writes the header and `body` in one write.
awaitable<next_step> send(client_connection& s, http::response_header<>& h, std::string_view body, bool keep) {
  s.head.clear();
  serialize_header(h, s.head);
  const std::array<net::const_buffer, 2> pieces{net::buffer(s.head), net::buffer(body.data(), body.size())};
  s.deadline.expires_after(limits::client_write_timeout, s.client);
  auto [ec, n] = co_await net::async_write(s.client, pieces, use_tuple);
  co_return ec || !keep ? next_step::close : next_step::keep_alive;
}

/// Over TLS a file's bytes must pass through us to be encrypted: s.head, then [offset, offset + length) of the
/// file, read into the relay buffer piece by piece (the header goes out with the first piece).
awaitable<bool> copy_file(client_connection& s, int fd, std::uint64_t offset, std::uint64_t length) {
  std::string_view head = s.head;
  while (length > 0) {
    const auto n = ::pread(fd, s.buf.data(), std::min<std::uint64_t>(s.buf.size(), length),
                           static_cast<off_t>(offset));
    if (n <= 0) co_return false;  // shorter than when the header was written: only closing can say so
    const std::array<net::const_buffer, 2> pieces{net::buffer(head), net::buffer(s.buf.data(), std::size_t(n))};
    s.deadline.expires_after(limits::client_write_timeout, s.client);
    auto [ec, written] = co_await net::async_write(s.client, pieces, use_tuple);
    if (ec || written != head.size() + static_cast<std::size_t>(n)) co_return false;
    head = {};
    offset += static_cast<std::uint64_t>(n);
    length -= static_cast<std::uint64_t>(n);
  }
  co_return true;
}

/// A small page of ours (404, 403, listing) with our script, so the tab reloads when the file appears.
awaitable<next_step> send_page(client_connection& s, http::status status, unsigned version, bool keep, bool head,
                               std::string html) {
  html_injector injector(s.ctx->script_tag);
  s.out.clear();
  injector.feed(html, s.out);
  injector.finish(s.out);
  auto h = base_header(status, version, keep);
  h.set(http::field::content_type, "text/html; charset=utf-8");
  h.set(http::field::cache_control, "no-store");
  h.set(http::field::content_length, std::to_string(s.out.size()));
  co_return co_await send(s, h, head ? std::string_view() : std::string_view(s.out), keep);
}

awaitable<next_step> send_not_allowed(client_connection& s, unsigned version, bool keep) {
  auto h = base_header(http::status::method_not_allowed, version, keep);
  h.set(http::field::allow, "GET, HEAD");
  h.set(http::field::content_type, "text/plain; charset=utf-8");
  static constexpr std::string_view body = "liveproxy --serve answers GET and HEAD only.\n";
  h.set(http::field::content_length, std::to_string(body.size()));
  co_return co_await send(s, h, body, keep);
}

awaitable<next_step> send_redirect(client_connection& s, unsigned version, bool keep, std::string location) {
  auto h = base_header(http::status::moved_permanently, version, keep);
  h.set(http::field::location, location);
  h.set(http::field::content_length, "0");
  co_return co_await send(s, h, {}, keep);
}

std::string simple_page(std::string_view title, std::string_view text) {
  return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + html_escape(title) + "</title></head><body><h1>" +
         html_escape(title) + "</h1><p>" + html_escape(text) + "</p></body></html>\n";
}


/// The whole body of a page (with our script) or a small file: from the cache while the file is unchanged,
/// else read (and kept; the copy sent is s.out). False when the file cannot be read whole.
bool whole_body(client_connection& s, const std::string& path, const struct stat& st, bool inject,
                std::string_view& body) {
  auto& cache = *s.ctx->files;
  if (const auto* cached = cache.find(path, st, inject)) {
    body = *cached;
    return true;
  }
  file_handle file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  struct stat now {};
  std::string raw;
  if (file.fd < 0 || ::fstat(file.fd, &now) != 0 || !S_ISREG(now.st_mode) ||
      !read_all(file.fd, raw, static_cast<std::size_t>(now.st_size)))
    return false;
  s.out.clear();
  if (inject) {
    html_injector injector(s.ctx->script_tag);
    injector.feed(raw, s.out);
    injector.finish(s.out);
  } else {
    s.out = std::move(raw);
  }
  cache.put(path, now, inject, s.out);
  body = s.out;
  return true;
}

/// GET or HEAD of a regular file, described by the stat taken while resolving its path.
awaitable<next_step> serve_file(client_connection& s, request_parser& parser, std::string path, struct stat st,
                                std::string url_path) {
  auto& req = parser.get();
  const unsigned version = req.version();
  const bool keep = req.keep_alive() && parser.is_done();
  const bool head = req.method() == http::verb::head;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const auto etag = make_etag(st);
  const std::time_t mtime = st.st_mtim.tv_sec;
  const auto slash = path.rfind('/');
  const auto type = mime_type(slash == std::string::npos ? std::string_view(path) : std::string_view(path).substr(slash + 1));
  const bool inject = is_html(type);

  auto h = base_header(http::status::ok, version, keep);
  h.set(http::field::content_type, type);
  h.set(http::field::etag, etag);
  h.set(http::field::last_modified, http_date(mtime));
  // Always revalidate: an edited file must show at the next load, and an unchanged one costs a 304.
  h.set(http::field::cache_control, "no-cache");
  if (!inject) h.set(http::field::accept_ranges, "bytes");
  if (not_modified(req[http::field::if_none_match], req[http::field::if_modified_since], etag, mtime)) {
    h.result(http::status::not_modified);
    co_return co_await send(s, h, {}, keep);
  }

  std::uint64_t first = 0;
  std::uint64_t length = size;
  auto ranged = range_result::none;
  byte_range range;
  if (!inject) {
    const auto range_header = req[http::field::range];
    if (!range_header.empty() && if_range_allows(req[http::field::if_range], etag, mtime))
      ranged = parse_range(range_header, size, range);
  }
  if (ranged == range_result::unsatisfiable) {
    h.result(http::status::range_not_satisfiable);
    h.set(http::field::content_range, "bytes */" + std::to_string(size));
    h.set(http::field::content_length, "0");
    co_return co_await send(s, h, {}, keep);
  }
  if (ranged == range_result::single) {
    first = range.first;
    length = range.last - range.first + 1;
    h.result(http::status::partial_content);
    h.set(http::field::content_range,
          "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" + std::to_string(size));
  }

  if (inject || size <= inline_file_bytes) {
    // Pages (their length known once the tag is placed) and small files: header and body in one write.
    std::string_view part;
    if (!whole_body(s, path, st, inject, part))
      co_return co_await send_page(s, http::status::not_found, version, keep, head,
                                   simple_page("404 Not Found", "No file " + url_path + " in the served folder."));
    if (ranged == range_result::single) part = part.substr(first, length);
    h.set(http::field::content_length, std::to_string(part.size()));
    co_return co_await send(s, h, head ? std::string_view() : part, keep);
  }

  h.set(http::field::content_length, std::to_string(length));
  if (head || length == 0) co_return co_await send(s, h, {}, keep);
  file_handle file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (file.fd < 0) co_return next_step::close;  // removed since: the header is not sent yet, but nothing to say
  s.head.clear();
  serialize_header(h, s.head);
  if (s.client.is_tls()) {
    if (!co_await copy_file(s, file.fd, first, length)) co_return next_step::close;
    co_return keep ? next_step::keep_alive : next_step::close;
  }
  // The header (MSG_MORE: it leaves in the same packet as the file's first bytes), then the file straight from
  // the page cache to the socket.
  auto& socket = s.client.socket();
  s.deadline.expires_after(limits::client_write_timeout, socket);
  for (std::size_t sent = 0; sent < s.head.size();) {
    auto [hec, n] = co_await socket.async_send(net::buffer(s.head.data() + sent, s.head.size() - sent),
                                               tcp::socket::message_flags(MSG_MORE), use_tuple);
    if (hec) co_return next_step::close;
    sent += n;
  }
  if (co_await sendfile_body(file.fd, first, length, socket, s.deadline)) co_return next_step::close;
  co_return keep ? next_step::keep_alive : next_step::close;
}

}  // namespace

awaitable<next_step> serve_static(client_connection& s, request_parser& parser) {
  auto& req = parser.get();
  const unsigned version = req.version();
  const bool keep = req.keep_alive() && parser.is_done();
  const bool head = req.method() == http::verb::head;
  // We are the server here, reading the developer's files: a page on a rebinding domain must not.
  if (!s.ctx->hosts.host_allowed(req[http::field::host]))
    return send_page(s, http::status::forbidden, version, false, head,
                     simple_page("403 Forbidden", "liveproxy --serve answers only requests for localhost and loopback "
                                                  "addresses (Host '" + std::string(req[http::field::host]) +
                                                  "'), as protection against DNS rebinding."));
  if (req.method() != http::verb::get && !head) return send_not_allowed(s, version, keep);
  auto target = resolve_static(*s.ctx->serve, req.target());
  using kind = static_target::kind;
  switch (target.what) {
    case kind::bad_request:
      return send_page(s, http::status::bad_request, version, false, head,
                       simple_page("400 Bad Request", "The request target is not a path liveproxy can serve."));
    case kind::forbidden:
      return send_page(s, http::status::forbidden, version, keep, head,
                       simple_page("403 Forbidden", "This path lies outside the served folder."));
    case kind::not_found:
      return send_page(s, http::status::not_found, version, keep, head,
                       simple_page("404 Not Found", "No file " + target.url_path +
                                                        " in the served folder (this page reloads when it appears)."));
    case kind::redirect:
      return send_redirect(s, version, keep, std::move(target.location));
    case kind::listing:
      return send_page(s, http::status::ok, version, keep, head,
                       directory_listing_html(target.file, target.url_path, s.ctx->serve->dotfiles));
    case kind::file:
      break;
  }
  return serve_file(s, parser, target.file.native(), target.st, std::move(target.url_path));
}

}  // namespace liveproxy
