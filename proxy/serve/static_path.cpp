// Target -> file: decode once, refuse every traversal form, then walk the tree (realpath(3) past symlinks).
#include "proxy/serve/static_path.hpp"

#include "proxy/serve/percent_encoding.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <optional>

namespace liveproxy {
namespace {

using kind = static_target::kind;

static_target answer(kind k) {
  static_target t;
  t.what = k;
  return t;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

/// Splits a target into its path and its query (with the '?'); false if it is neither origin- nor
/// absolute-form.
bool split_target(std::string_view target, std::string_view& path, std::string_view& query) {
  if (!target.starts_with('/')) {
    // Absolute-form (RFC 9112 §3.2.2: servers must accept it): drop "http://authority".
    const auto scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return false;
    const auto scheme = target.substr(0, scheme_end);
    if (!iequals(scheme, "http") && !iequals(scheme, "https")) return false;
    target.remove_prefix(scheme_end + 3);
    const auto path_start = target.find_first_of("/?#");
    target = path_start == std::string_view::npos ? std::string_view() : target.substr(path_start);
  }
  // A fragment never reaches a server from a browser; if one comes, it is not part of the name.
  target = target.substr(0, target.find('#'));
  const auto q = target.find('?');
  path = target.substr(0, q);
  query = q == std::string_view::npos ? std::string_view() : target.substr(q);
  if (path.empty()) path = "/";  // "http://host?q" names the root
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Decodes %XX once into `out`. Fails on a broken escape, a NUL or backslash in any form, and an encoded '/'.
std::optional<kind> decode_path(std::string_view raw, std::string& out) {
  out.clear();
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return kind::bad_request;
      const int hi = hex_digit(raw[i + 1]);
      const int lo = hex_digit(raw[i + 2]);
      if (hi < 0 || lo < 0) return kind::bad_request;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
      if (c == '/') return kind::forbidden;
    }
    if (c == '\0' || c == '\\') return kind::forbidden;
    out.push_back(c);
  }
  return std::nullopt;
}

/// True if `s` holds an overlong UTF-8 sequence: a lead byte followed by a continuation byte that together
/// encode a character in more bytes than needed (how "%C0%AE" smuggles a '.' past naive checks).
bool has_overlong_utf8(std::string_view s) {
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const auto next = static_cast<unsigned char>(s[i + 1]);
    if (lead < 0xC0) continue;
    const bool overlong = ((lead == 0xC0 || lead == 0xC1) && (next & 0xC0) == 0x80) ||
                          (lead == 0xE0 && next >= 0x80 && next <= 0x9F) ||
                          (lead == 0xF0 && next >= 0x80 && next <= 0x8F) ||
                          (lead == 0xF8 && next >= 0x80 && next <= 0x87) ||
                          (lead == 0xFC && next >= 0x80 && next <= 0x83);
    if (overlong) return true;
  }
  return false;
}

/// True if the last segment looks like a page a client-side router owns: no extension, or .html/.htm.
bool looks_like_page(std::string_view last_segment) {
  const auto dot = last_segment.find_last_of('.');
  if (dot == std::string_view::npos || dot == 0) return true;
  const auto ext = last_segment.substr(dot + 1);
  return iequals(ext, "html") || iequals(ext, "htm");
}

bool inside(std::string_view root, std::string_view real) {
  if (root == "/") return true;
  return real.starts_with(root) && (real.size() == root.size() || real[root.size()] == '/');
}

/// Where a path under the root leads.
struct located {
  int error = 0;         ///< errno when it leads nowhere
  bool outside = false;  ///< it exists, but a symlink took it out of the root
  std::string path;      ///< the real path
  struct stat st {};     ///< of the real path
};

/// The slow path, taken when a symlink is on the way: realpath(3) follows every link, then the result must
/// still be under the root.
located follow_links(std::string_view root, const std::string& path) {
  located at;
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) {
    at.error = errno;
    return at;
  }
  at.path = buf;
  if (!inside(root, at.path)) at.outside = true;
  else if (::stat(buf, &at.st) != 0) at.error = errno;  // removed meanwhile
  return at;
}

/// Resolves `rel` ("/a/b", normalized, no "." or ".." segments; empty for the root itself) under the
/// canonical `root`. Each component is lstat'ed: when none is a symlink, root + rel is already the real path,
/// which costs one syscall per component below the root instead of realpath's one per component from "/"
/// plus a stat (three to seven times slower on a typical project path).
located locate(const std::string& root, std::string_view rel) {
  located at;
  at.path.reserve(root.size() + rel.size() + sizeof "/index.html");
  if (root != "/") at.path.assign(root);  // rel brings the separators
  if (rel.empty()) {
    at.path = root;
    if (::stat(root.c_str(), &at.st) != 0) at.error = errno;
    return at;
  }
  std::size_t from = 0;
  while (from < rel.size()) {
    const auto to = std::min(rel.find('/', from + 1), rel.size());
    at.path.append(rel.substr(from, to - from));
    if (::lstat(at.path.c_str(), &at.st) != 0) {
      at.error = errno;
      return at;
    }
    if (S_ISLNK(at.st.st_mode)) return follow_links(root, root + std::string(rel));
    from = to;
  }
  return at;
}

/// dir/index.html (dir real and inside the root) for a directory or the SPA fallback: a regular file inside
/// the root, forbidden if a link takes it out, or nothing (then: a listing, or not_found).
std::optional<static_target> index_file(const std::string& root, std::string_view dir) {
  auto rel = root == "/" ? dir : dir.substr(root.size());
  if (rel == "/") rel = {};
  std::string index(rel);
  index += "/index.html";
  auto at = locate(root, index);
  if (at.outside) return answer(kind::forbidden);
  if (at.error != 0 || !S_ISREG(at.st.st_mode)) return std::nullopt;
  auto t = answer(kind::file);
  t.file = std::move(at.path);
  t.st = at.st;
  return t;
}

}  // namespace

static_target resolve_static(const static_options& opt, std::string_view target) {
  std::string_view raw_path;
  std::string_view query;
  if (!split_target(target, raw_path, query)) return answer(kind::bad_request);

  std::string decoded;
  if (const auto refused = decode_path(raw_path, decoded)) return answer(*refused);
  if (has_overlong_utf8(decoded)) return answer(kind::forbidden);

  std::string url_path;
  std::string_view last;
  bool hidden = false;
  std::string_view rest = decoded;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const auto segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (segment.empty() || segment == ".") continue;
    // Even a ".." that would stay inside the root is refused: no legitimate link has one after decoding.
    if (segment == "..") return answer(kind::forbidden);
    if (segment.starts_with('.') && !opt.dotfiles && !(url_path.empty() && segment == ".well-known")) hidden = true;
    url_path += '/';
    url_path += segment;
    last = segment;
  }
  // Judged after the whole path, so a ".." behind a dotfile is still reported as the attack it is.
  if (hidden) return answer(kind::not_found);
  const bool names_directory = url_path.empty() || decoded.ends_with('/') || decoded.ends_with("/.");

  const std::string& root = opt.root.native();
  auto at = locate(root, url_path);
  if (at.outside || at.error == EACCES || at.error == ELOOP) return answer(kind::forbidden);
  if (at.error != 0) {
    if (opt.spa && looks_like_page(last)) {
      if (auto index = index_file(root, root)) {
        index->url_path = url_path.empty() ? "/" : url_path;
        return *std::move(index);
      }
    }
    return answer(kind::not_found);
  }

  static_target t;
  const auto& st = at.st;
  if (S_ISDIR(st.st_mode)) {
    url_path += '/';
    if (!names_directory) {
      // Built from the normalized path, never the raw one: "//evil.example" must not become a Location.
      t.what = kind::redirect;
      t.location = percent_encode_path(url_path);
      t.location += query;
    } else if (auto index = index_file(root, at.path)) {
      t = *std::move(index);
    } else {
      t.what = kind::listing;
      t.file = std::move(at.path);
    }
  } else if (S_ISREG(st.st_mode) && !names_directory) {
    t.what = kind::file;
    t.file = std::move(at.path);
    t.st = st;
  } else {
    // A file asked for as a directory ("/a.txt/") does not exist; devices, FIFOs and sockets are not served.
    t.what = S_ISREG(st.st_mode) ? kind::not_found : kind::forbidden;
  }
  t.url_path = std::move(url_path);
  return t;
}

}  // namespace liveproxy
