// Validators (ETag, Last-Modified), conditional requests and byte ranges for served files: pure functions.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace liveproxy {

/// A strong ETag, "<inode>-<size>-<mtime in ns>" in hex, quoted. Strong, so If-Range can use it: the three
/// change together with the content in practice (the inode catches editors that save by rename; size and
/// nanosecond mtime catch writes in place, except two same-size writes within one kernel clock tick).
std::string make_etag(const struct stat& st);

/// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") in UTC; thread-safe and independent of the locale.
std::string http_date(std::time_t t);

/// Parses an HTTP-date: IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients must accept
/// (RFC 9110 §5.6.7). The weekday name must be valid but is not checked against the date.
std::optional<std::time_t> parse_http_date(std::string_view text);

/// True if a GET/HEAD should be answered 304 (RFC 9110 §13.2.2): If-None-Match, when present, decides alone
/// ("*" or any listed tag equal to `etag` by weak comparison); otherwise If-Modified-Since, when it is a
/// valid date, matches if the file is not newer. Empty strings mean the header is absent. The caller applies
/// this to GET and HEAD only.
bool not_modified(std::string_view if_none_match, std::string_view if_modified_since, std::string_view etag,
                  std::time_t mtime);

/// Inclusive byte offsets of one range: [first, last].
struct byte_range {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

/// What to do with a Range header.
enum class range_result {
  none,           ///< send the whole file, 200 (no Range, not bytes, invalid, several ranges, empty file)
  single,         ///< send `out`, 206 with Content-Range
  unsatisfiable,  ///< 416 with "Content-Range: bytes */size"
};

/// Parses Range against a file of `size` bytes (RFC 9110 §14.2): "bytes=a-b", "bytes=a-", "bytes=-n", with
/// optional whitespace around '=' and ','. A syntactically invalid header (including "a-b" with b < a) is
/// ignored, as the RFC says. Several ranges are answered with the whole file unless none is satisfiable:
/// multipart/byteranges is not worth it for a dev server, and 200 is always a valid answer. An empty file
/// is always sent whole: no range of it can be expressed, and a media element's "bytes=0-" should not fail.
range_result parse_range(std::string_view range_header, std::uint64_t size, byte_range& out);

/// True if Range may be honoured under If-Range (RFC 9110 §13.1.5): no If-Range; or an entity tag that
/// equals `etag` by strong comparison (a weak tag never matches); or an HTTP-date equal to `mtime`.
bool if_range_allows(std::string_view if_range, std::string_view etag, std::time_t mtime);

}  // namespace liveproxy
