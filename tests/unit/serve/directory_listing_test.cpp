// The directory listing page: order, escaping, links, dotfiles, sizes and dates.
#include "proxy/serve/directory_listing.hpp"
#include "support/temp_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using liveproxy::directory_listing_html;
using liveproxy::test::temp_dir;
using liveproxy::test::write_file;

namespace {

void set_mtime(const fs::path& p, std::time_t t) {
  const timespec times[2] = {{t, 0}, {t, 0}};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

/// Offset of `needle` in `page`, failing the test if it is missing.
std::size_t at(const std::string& page, const std::string& needle) {
  const auto pos = page.find(needle);
  INFO("looking for: " << needle);
  REQUIRE(pos != std::string::npos);
  return pos;
}

}  // namespace

TEST_CASE("the listing shows directories first, then files, sorted, with escaped names", "[unit][fs][serve]") {
  temp_dir dir{"liveproxy-listing"};
  write_file(dir / "b.txt", "abc");
  write_file(dir / "A.txt", "");
  write_file(dir / "<script>&.txt", "x");
  write_file(dir / "a:b.txt", "x");
  write_file(dir / "\xC3\xA9t\xC3\xA9.txt", "x");
  write_file(dir / "sub/x", "x");
  write_file(dir / "z dir/x", "x");
  write_file(dir / ".env", "secret");
  write_file(dir / ".git/config", "x");
  fs::create_directory_symlink("sub", dir / "linked");
  fs::create_symlink(dir / "nowhere", dir / "dangling");
  set_mtime(dir / "b.txt", 784111777);

  const auto page = directory_listing_html(dir.path(), "/x/<y>/", false);
  CHECK(page.starts_with("<!doctype html>"));
  CHECK(page.find("<title>Index of /x/&lt;y&gt;/</title>") != std::string::npos);
  CHECK(page.find("<h1>Index of /x/&lt;y&gt;/</h1>") != std::string::npos);
  CHECK(page.find("<meta charset=\"utf-8\">") != std::string::npos);
  CHECK(page.ends_with("</body></html>\n"));

  const auto parent = at(page, "<a href=\"../\">../</a>");
  const auto linked = at(page, "<a href=\"linked/\">linked/</a>");  // a link to a directory is one
  const auto sub = at(page, "<a href=\"sub/\">sub/</a>");
  const auto zdir = at(page, "<a href=\"z%20dir/\">z dir/</a>");
  const auto script = at(page, "<a href=\"%3Cscript%3E%26.txt\">&lt;script&gt;&amp;.txt</a>");
  const auto upper_a = at(page, "<a href=\"A.txt\">A.txt</a>");
  const auto colon = at(page, "<a href=\"a%3Ab.txt\">a:b.txt</a>");
  const auto b = at(page, "<a href=\"b.txt\">b.txt</a>");
  const auto accented = at(page, "<a href=\"%C3%A9t%C3%A9.txt\">\xC3\xA9t\xC3\xA9.txt</a>");
  CHECK(parent < linked);
  CHECK(linked < sub);
  CHECK(sub < zdir);
  CHECK(zdir < script);  // '<' sorts before letters
  CHECK(script < upper_a);
  CHECK(upper_a < colon);  // "A.txt" before "a:b.txt": case folded, then '.' < ':'
  CHECK(colon < b);
  CHECK(b < accented);  // UTF-8 bytes sort after ASCII

  CHECK(page.find("<a href=\"b.txt\">b.txt</a></td><td class=\"n\">3</td><td>1994-11-06 08:49</td>") !=
        std::string::npos);
  CHECK(page.find("<a href=\"sub/\">sub/</a></td><td class=\"n\">-</td>") != std::string::npos);
  CHECK(page.find("dangling") == std::string::npos);
  CHECK(page.find(".env") == std::string::npos);
  CHECK(page.find(".git") == std::string::npos);
  CHECK(page.find("<script>") == std::string::npos);
}

TEST_CASE("the listing shows dotfiles when asked and has no parent link at the root", "[unit][fs][serve]") {
  temp_dir dir{"liveproxy-listing"};
  write_file(dir / ".env", "secret");
  write_file(dir / ".git/config", "x");
  write_file(dir / "index.txt", "x");
  const auto page = directory_listing_html(dir.path(), "/", true);
  CHECK(page.find("<title>Index of /</title>") != std::string::npos);
  CHECK(page.find("href=\"../\"") == std::string::npos);
  CHECK(at(page, "<a href=\".git/\">.git/</a>") < at(page, "<a href=\".env\">.env</a>"));
  CHECK(at(page, "<a href=\".env\">.env</a>") < at(page, "<a href=\"index.txt\">index.txt</a>"));
}

TEST_CASE("an empty or vanished directory still gives a valid page", "[unit][fs][serve]") {
  temp_dir dir{"liveproxy-listing"};
  const auto empty = directory_listing_html(dir.path(), "/empty/", false);
  CHECK(empty.find("<a href=\"../\">../</a>") != std::string::npos);
  CHECK(empty.ends_with("</table>\n</body></html>\n"));
  const auto gone = directory_listing_html(dir / "gone", "/gone/", false);
  CHECK(gone.find("<title>Index of /gone/</title>") != std::string::npos);
}
