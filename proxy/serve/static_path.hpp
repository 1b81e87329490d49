// Which file, if any, a request target names under the --serve root: the traversal and dotfile rules.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace liveproxy {

/// What --serve was asked to serve.
struct static_options {
  /// The directory served. Must be canonical (std::filesystem::canonical once at start-up): what a symlink
  /// leads to is checked to lie under it by prefix, so under a non-canonical root every link is refused.
  std::filesystem::path root;
  /// Unknown paths that look like pages get root/index.html (client-side routers).
  bool spa = false;
  /// Serve names starting with '.' (.env, .git/). /.well-known/ is served either way.
  bool dotfiles = false;
};

/// The answer for one request target.
struct static_target {
  enum class kind {
    file,         ///< send `file` (a regular file)
    listing,      ///< the directory `file` has no index.html: send a listing of it
    redirect,     ///< a directory named without its trailing slash: 301 to `location`
    not_found,    ///< 404 (also hidden dotfiles, so their existence does not show)
    forbidden,    ///< 403: a traversal attempt, an escaping symlink, a device or FIFO, no permission
    bad_request,  ///< 400: not an origin- or absolute-form target, or a broken %-escape
  };
  kind what = kind::not_found;
  /// file/listing: the real path, every symlink followed, inside the root.
  std::filesystem::path file;
  /// redirect: the normalized path, percent-encoded, with '/' added and the query kept ("/docs/?v=1").
  std::string location;
  /// The decoded, normalized request path ("/", "/docs/", "/a/b.css"): the listing's title, for logs.
  std::string url_path;
  /// file: what stat said of it while resolving (identity, size, times), so the caller need not ask again.
  struct stat st {};
};

/// Maps a request target to a file under `opt.root`, reading only the file system (lstat, realpath).
///
/// Accepts origin-form ("/a/b?q") and absolute-form ("http://host/a/b?q": scheme and authority dropped, Host
/// checks are the caller's); anything else is bad_request. The query and fragment are cut, then the path is
/// percent-decoded exactly once (so "%252e" is the name "%2e", never a dot segment). Refused (forbidden):
/// a raw or encoded NUL, a raw or encoded backslash, an encoded '/' (%2F: a separator the router would not
/// see), any ".." segment, overlong UTF-8 sequences (the %C0%AE family), and a real path outside the root
/// after following every symlink. A broken escape ("%zz", "%2") is bad_request. Empty and "." segments are
/// dropped ("//a/./b" is "/a/b").
///
/// A segment starting with '.' is not_found (with no SPA fallback) unless opt.dotfiles, except a first
/// segment ".well-known" (RFC 8615: security.txt, app links). The rule applies to the names in the request,
/// not to symlink targets: a link the developer made to a dot-directory is served through its own name.
///
/// Directories: no trailing slash -> redirect; else index.html if it is a file inside the root, else listing.
/// A file named with a trailing slash is not_found. Only regular files and directories are served (a FIFO
/// would block the server). With opt.spa, a missing path whose last segment has no extension or ends in
/// ".html"/".htm" gets root/index.html; an existing directory still gets its own index or listing.
///
/// Costs one lstat per path component below the root when no symlink is on the way; realpath(3) otherwise.
/// The path is checked, not held open: the caller should open `file` with O_NOFOLLOW and check fstat that it
/// is still a regular file (a dev server's tree belongs to its developer; swapping links in between is not
/// defended against further).
static_target resolve_static(const static_options& opt, std::string_view target);

}  // namespace liveproxy
