// resolve_static against a real tree: every traversal form, dotfiles, symlinks, directories and SPA fallback.
#include "proxy/serve/static_path.hpp"
#include "support/temp_dir.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using liveproxy::resolve_static;
using liveproxy::static_options;
using liveproxy::static_target;
using liveproxy::test::temp_dir;
using liveproxy::test::write_file;
using kind = static_target::kind;

namespace {

const char* name(kind k) {
  switch (k) {
    case kind::file: return "file";
    case kind::listing: return "listing";
    case kind::redirect: return "redirect";
    case kind::not_found: return "not_found";
    case kind::forbidden: return "forbidden";
    case kind::bad_request: return "bad_request";
  }
  return "?";
}

/// tmp/root is served; tmp/outside and tmp/root2 (a sibling whose name extends the root's) must stay out.
struct site {
  temp_dir tmp{"liveproxy-serve"};
  fs::path root = tmp / "root";

  site() {
    write_file(root / "index.html", "<h1>home</h1>");
    write_file(root / "app.js", "js");
    write_file(root / "docs/a.txt", "a");
    write_file(root / "blog/index.html", "blog");
    write_file(root / "sub dir/a b.txt", "space");
    write_file(root / "%2e%2e", "literal name");
    write_file(root / ".env", "SECRET=1");
    write_file(root / ".git/config", "[core]");
    write_file(root / ".well-known/security.txt", "Contact: x");
    write_file(root / ".well-known/.hidden", "no");
    write_file(tmp / "outside/secret.txt", "outside");
    write_file(tmp / "outside/secret.html", "outside");
    write_file(tmp / "root2/secret.txt", "sibling");
    fs::create_symlink(root / "docs/a.txt", root / "link_in");
    fs::create_directory_symlink("docs", root / "dirlink_in");
    fs::create_symlink(tmp / "outside/secret.txt", root / "link_out");
    fs::create_directory_symlink(tmp / "outside", root / "dirlink_out");
    fs::create_directory_symlink("../root2", root / "link_sibling");
    fs::create_symlink("../outside/secret.html", root / "link_out_relative");
    fs::create_directories(root / "evil");
    fs::create_symlink(tmp / "outside/secret.html", root / "evil/index.html");
    fs::create_directories(root / "mirror");
    fs::create_symlink("../index.html", root / "mirror/index.html");
    fs::create_directory_symlink(".git", root / "public");  // a link the developer made to a dot-directory
    fs::create_symlink(root / "nowhere", root / "dangling");
    REQUIRE(::mkfifo((root / "fifo").c_str(), 0600) == 0);
  }

  static_target get(std::string_view target, bool spa = false, bool dotfiles = false) const {
    return resolve_static(static_options{root, spa, dotfiles}, target);
  }
};

/// Checks a list of (target, expected kind) pairs, naming the target in failures.
void expect_all(const site& s, const std::vector<std::pair<std::string_view, kind>>& cases, bool spa = false,
                bool dotfiles = false) {
  for (const auto& [target, expected] : cases) {
    INFO("target: " << target);
    CHECK(name(s.get(target, spa, dotfiles).what) == std::string(name(expected)));
  }
}

}  // namespace

TEST_CASE("traversal attempts are refused in every spelling", "[unit][fs][serve]") {
  site s;
  using namespace std::string_view_literals;
  const std::vector<std::pair<std::string_view, kind>> cases{
      {"/../etc/passwd", kind::forbidden},
      {"/..", kind::forbidden},
      {"/docs/..", kind::forbidden},
      {"/docs/../index.html", kind::forbidden},  // stays inside, but no real link has one
      {"/a/../../x", kind::forbidden},
      {"/%2e%2e/", kind::forbidden},
      {"/%2E%2E/index.html", kind::forbidden},
      {"/.%2e/x", kind::forbidden},
      {"/a/%2e%2e/%2e%2e/x", kind::forbidden},
      {"/%2E%2E%2Fetc", kind::forbidden},
      {"/..%2f", kind::forbidden},
      {"/docs%2Fa.txt", kind::forbidden},
      {"/%c0%ae%c0%ae/", kind::forbidden},
      {"/%C0%AE%C0%AE%C0%AFetc", kind::forbidden},
      {"/%c1%9c", kind::forbidden},
      {"/%e0%80%ae%e0%80%ae/x", kind::forbidden},
      {"/%f0%80%80%ae", kind::forbidden},
      {"/%f8%80%80%80%ae", kind::forbidden},
      {"/..\\x", kind::forbidden},
      {"/docs\\a.txt", kind::forbidden},
      {"/%5c..%5cx", kind::forbidden},
      {"/%5C", kind::forbidden},
      {"/%00", kind::forbidden},
      {"/a%00.html", kind::forbidden},
      {"/index.html%00.txt", kind::forbidden},
      {"/a\0b"sv, kind::forbidden},
      {"/.env/../index.html", kind::forbidden},  // a dotfile first does not hide the attack
      {"http://example.com/../x", kind::forbidden},
      {"/docs/..?x=1", kind::forbidden},
  };
  expect_all(s, cases);
  expect_all(s, cases, true, true);  // neither SPA fallback nor dotfiles soften any of them
}

TEST_CASE("symlinks are followed, and refused when they lead outside the root", "[unit][fs][serve]") {
  site s;
  const auto in = s.get("/link_in");
  CHECK(in.what == kind::file);
  CHECK(in.file == s.root / "docs/a.txt");
  const auto dir_in = s.get("/dirlink_in/a.txt");
  CHECK(dir_in.what == kind::file);
  CHECK(dir_in.file == s.root / "docs/a.txt");
  CHECK(s.get("/dirlink_in/").what == kind::listing);
  CHECK(s.get("/dirlink_in/").file == s.root / "docs");

  CHECK(s.get("/link_out").what == kind::forbidden);
  CHECK(s.get("/dirlink_out/secret.txt").what == kind::forbidden);
  CHECK(s.get("/dirlink_out/").what == kind::forbidden);
  CHECK(s.get("/dirlink_out").what == kind::forbidden);  // no redirect that would confirm it exists
  // root2 starts with the root's name: a prefix test without the '/' would let it through.
  CHECK(s.get("/link_sibling/secret.txt").what == kind::forbidden);
  CHECK(s.get("/link_out_relative").what == kind::forbidden);
  const auto mirror = s.get("/mirror/");
  CHECK(mirror.what == kind::file);
  CHECK(mirror.file == s.root / "index.html");
  // A directory whose index.html leads outside is refused rather than listed.
  CHECK(s.get("/evil/").what == kind::forbidden);
  CHECK(s.get("/dangling").what == kind::not_found);
  CHECK(s.get("/dangling", true).what == kind::file);  // a missing page under --spa
  // Only the names in the request are dotfile-checked: the developer's own link to .git is served.
  CHECK(s.get("/public/config").what == kind::file);
}

TEST_CASE("decoding happens once and separators are normalized", "[unit][fs][serve]") {
  site s;
  // "%252e%252e" is the name "%2e%2e", which exists here as a plain file.
  const auto literal = s.get("/%252e%252e");
  CHECK(literal.what == kind::file);
  CHECK(literal.file == s.root / "%2e%2e");
  CHECK(s.get("/%252e%252e/x").what == kind::not_found);

  for (const auto target : {"//index.html", "/./index.html", "/%2e/index.html", "///index.html?x#y",
                            "/index.html#frag", "/%69ndex.html", "http://localhost:3000/index.html",
                            "HTTPS://example.com/index.html?q"}) {
    INFO("target: " << target);
    const auto t = s.get(target);
    CHECK(t.what == kind::file);
    CHECK(t.file == s.root / "index.html");
    CHECK(t.url_path == "/index.html");
  }
  const auto spaced = s.get("/sub%20dir/a%20b.txt");
  CHECK(spaced.what == kind::file);
  CHECK(spaced.file == s.root / "sub dir/a b.txt");
  CHECK(spaced.url_path == "/sub dir/a b.txt");
  // "//etc/passwd" is root/etc/passwd, never the system file.
  CHECK(s.get("//etc/passwd").what == kind::not_found);
}

TEST_CASE("targets that are not paths, and broken escapes, are bad requests", "[unit][serve]") {
  const static_options opt{"/nonexistent-root", false, false};
  for (const auto target : {"", "*", "index.html", "ftp://host/x", "http:/x", "/%", "/%2", "/%zz", "/a%g0",
                            "/%%32%65"}) {
    INFO("target: " << target);
    CHECK(resolve_static(opt, target).what == kind::bad_request);
  }
}

TEST_CASE("dotfiles are hidden unless asked for - /.well-known/ is served", "[unit][fs][serve]") {
  site s;
  expect_all(s, {{"/.env", kind::not_found},
                 {"/.git/config", kind::not_found},
                 {"/.git/", kind::not_found},
                 {"/.git", kind::not_found},
                 {"/%2egit/config", kind::not_found},
                 {"/docs/.env", kind::not_found},
                 {"/...", kind::not_found},
                 {"/.well-known/security.txt", kind::file},
                 {"/.well-known/", kind::listing},
                 {"/.well-known/.hidden", kind::not_found},
                 {"/docs/.well-known", kind::not_found}});
  // Hidden means 404, not the SPA page: the developer sees that it was not served.
  CHECK(s.get("/.env", true).what == kind::not_found);
  CHECK(s.get("/.git/config", true).what == kind::not_found);

  expect_all(s, {{"/.env", kind::file},
                 {"/.git/config", kind::file},
                 {"/.git/", kind::listing},
                 {"/.git", kind::redirect},
                 {"/.well-known/.hidden", kind::file}},
             false, true);
  CHECK(s.get("/.env", false, true).file == s.root / ".env");
}

TEST_CASE("directories: redirect without the slash, index.html, or a listing", "[unit][fs][serve]") {
  site s;
  const auto redirect = s.get("/docs?x=1&y=%2F");
  CHECK(redirect.what == kind::redirect);
  CHECK(redirect.location == "/docs/?x=1&y=%2F");
  CHECK(s.get("/blog").location == "/blog/");
  CHECK(s.get("/sub%20dir").location == "/sub%20dir/");
  CHECK(s.get("/dirlink_in").location == "/dirlink_in/");
  // Built from the normalized path: "//docs" must not become the protocol-relative "//docs/".
  CHECK(s.get("//docs").location == "/docs/");
  CHECK(s.get("/./docs//").what == kind::listing);
  CHECK(s.get("http://example.com/docs?q").location == "/docs/?q");

  const auto listing = s.get("/docs/");
  CHECK(listing.what == kind::listing);
  CHECK(listing.file == s.root / "docs");
  CHECK(listing.url_path == "/docs/");
  CHECK(s.get("/docs/.").what == kind::listing);

  for (const auto target : {"/", "/?v=1", "http://localhost:8080", "http://localhost:8080?x"}) {
    INFO("target: " << target);
    const auto home = s.get(target);
    CHECK(home.what == kind::file);
    CHECK(home.file == s.root / "index.html");
    CHECK(home.url_path == "/");
  }
  const auto blog = s.get("/blog/");
  CHECK(blog.what == kind::file);
  CHECK(blog.file == s.root / "blog/index.html");
  CHECK(blog.url_path == "/blog/");

  CHECK(s.get("/index.html/").what == kind::not_found);
  CHECK(s.get("/fifo").what == kind::forbidden);
  CHECK(s.get("/missing").what == kind::not_found);
  CHECK(s.get("/docs/a.txt/b").what == kind::not_found);
}

TEST_CASE("spa mode gives unknown pages index.html and keeps 404s for assets", "[unit][fs][serve]") {
  site s;
  for (const auto target : {"/users/42", "/users/42/", "/settings?tab=1", "/a/b/c.html", "/x.HTM",
                            "/docs/a.txt/more"}) {
    INFO("target: " << target);
    const auto t = s.get(target, true);
    CHECK(t.what == kind::file);
    CHECK(t.file == s.root / "index.html");
  }
  CHECK(s.get("/users/42", true).url_path == "/users/42");
  for (const auto target : {"/missing.js", "/img/logo.png", "/users/john.doe", "/.env"}) {
    INFO("target: " << target);
    CHECK(s.get(target, true).what == kind::not_found);
  }
  // Existing things are still themselves.
  CHECK(s.get("/docs/", true).what == kind::listing);
  CHECK(s.get("/docs", true).what == kind::redirect);
  CHECK(s.get("/app.js", true).file == s.root / "app.js");

  temp_dir bare{"liveproxy-serve-bare"};
  CHECK(resolve_static({bare.path(), true, false}, "/route").what == kind::not_found);
  CHECK(resolve_static({bare.path(), true, false}, "/").what == kind::listing);
}

TEST_CASE("under a root that is not canonical, links are refused rather than leaked", "[unit][fs][serve]") {
  site s;
  const static_options crooked{s.root / "docs/..", false, false};
  CHECK(resolve_static(crooked, "/link_in").what == kind::forbidden);
  CHECK(resolve_static(crooked, "/link_out").what == kind::forbidden);
  CHECK(resolve_static(crooked, "/index.html").what == kind::file);
}

TEST_CASE("the file system root can be served", "[unit][fs][serve]") {
  const static_options everything{"/", false, false};
  const auto passwd = resolve_static(everything, "/etc/passwd");
  CHECK(passwd.what == kind::file);
  CHECK(passwd.file == "/etc/passwd");
  const auto etc = resolve_static(everything, "/etc/");
  CHECK((etc.what == kind::listing || etc.what == kind::file));
  CHECK(etc.file.native().starts_with("/etc"));
  CHECK_FALSE(etc.file.native().starts_with("//"));
  CHECK(resolve_static(everything, "/").file == "/");
}
