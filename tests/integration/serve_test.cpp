// --serve DIR through the real binary: pages with the script, types, validators and ranges, directories,
// dotfiles and --spa, no way out of the folder, large files whole, and live reload of the folder's files.
#include "support/http_client.hpp"
#include "support/script_tag.hpp"
#include "support/liveproxy_process.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {


/// A served folder next to a secret that must never be reachable.
struct site {
  temp_dir outer{"liveproxy-serve"};
  fs::path root = outer / "site";
  std::string secret = "TOP-SECRET-OUTSIDE-THE-ROOT";

  site() {
    write_file(outer / "secret.txt", secret);
    write_file(root / "index.html", "<!doctype html><html><head><title>Home</title></head><body>home page</body></html>\n");
    write_file(root / "about.html", "<html><head></head><body>about</body></html>\n");
    write_file(root / "static/site.css", "h1 { color: red; }\n");
    write_file(root / "app.mjs", "export const x = 1;\n");
    write_file(root / "mod.wasm", std::string("\0asm\1\0\0\0", 8));
    write_file(root / "logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
    write_file(root / "photo.webp", "RIFF");
    write_file(root / "photo.avif", "avif");
    write_file(root / "font.woff2", "wOF2");
    write_file(root / "docs/guide.txt", "a guide\n");
    write_file(root / ".env", "DB_PASSWORD=hunter2\n");
    write_file(root / ".git/config", "[core]\n");
    fs::create_symlink(outer / "secret.txt", root / "escape.txt");
    fs::create_symlink(root / "about.html", root / "alias.html");
  }
  std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"--port", "0", "--serve", root.string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

}  // namespace

TEST_CASE("serve mode: pages get the script, files their type, directories their index", "[integration][net][serve]") {
  site s;
  liveproxy_process proxy(s.args());
  http_client browser(proxy.port());

  const auto home = browser.get("/");
  REQUIRE(home.status == 200);
  CHECK(count_injected(home.body) == 1);
  CHECK(home.header("Content-Length") == std::to_string(home.body.size()));
  CHECK(home.header("Content-Type") == "text/html; charset=utf-8");
  CHECK(home.body.find("home page") != std::string::npos);

  struct typed {
    const char* path;
    const char* type;
  };
  for (const auto& [path, type] : {typed{"/static/site.css", "text/css"}, typed{"/app.mjs", "text/javascript"},
                                   typed{"/mod.wasm", "application/wasm"}, typed{"/logo.svg", "image/svg+xml"},
                                   typed{"/photo.webp", "image/webp"}, typed{"/photo.avif", "image/avif"},
                                   typed{"/font.woff2", "font/woff2"}}) {
    const auto res = browser.get(path);
    INFO(path);
    CHECK(res.status == 200);
    CHECK(res.header("Content-Type").rfind(type, 0) == 0);
    CHECK(res.body.find("/__liveproxy/") == std::string::npos);
  }
  const auto redirect = browser.get("/docs?x=1");
  CHECK(redirect.status == 301);
  CHECK(redirect.header("Location") == "/docs/?x=1");
  const auto listing = browser.get("/docs/");
  CHECK(listing.status == 200);
  CHECK(listing.body.find("guide.txt") != std::string::npos);
  CHECK(count_injected(listing.body) == 1);
  const auto missing = browser.get("/nope.html");
  CHECK(missing.status == 404);
  CHECK(count_injected(missing.body) == 1);  // the tab reloads by itself once the file exists
  CHECK(browser.get("/alias.html").status == 200);  // a link inside the folder is fine
  CHECK(browser.request(boost::beast::http::verb::post, "/index.html").status == 405);
}

TEST_CASE("serve mode: validators give 304, ranges 206 and 416, HEAD no body", "[integration][net][serve]") {
  site s;
  std::string big(300'000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7) % 251);
  write_file(s.root / "big.bin", big);
  liveproxy_process proxy(s.args());
  http_client browser(proxy.port());

  const auto whole = browser.get("/big.bin");
  REQUIRE(whole.status == 200);
  CHECK(whole.body == big);  // sent by sendfile
  const auto etag = whole.header("ETag");
  const auto modified = whole.header("Last-Modified");
  REQUIRE_FALSE(etag.empty());
  CHECK(browser.get("/big.bin", {{"If-None-Match", etag}}).status == 304);
  CHECK(browser.get("/big.bin", {{"If-Modified-Since", modified}}).status == 304);
  CHECK(browser.get("/big.bin", {{"If-None-Match", "\"other\""}}).status == 200);
  const auto page = browser.get("/");
  CHECK(browser.get("/", {{"If-None-Match", page.header("ETag")}}).status == 304);

  const auto part = browser.get("/big.bin", {{"Range", "bytes=100-199"}});
  CHECK(part.status == 206);
  CHECK(part.header("Content-Range") == "bytes 100-199/300000");
  CHECK(part.body == big.substr(100, 100));
  const auto tail = browser.get("/big.bin", {{"Range", "bytes=-10"}});
  CHECK(tail.status == 206);
  CHECK(tail.body == big.substr(big.size() - 10));
  const auto beyond = browser.get("/big.bin", {{"Range", "bytes=400000-"}});
  CHECK(beyond.status == 416);
  CHECK(beyond.header("Content-Range") == "bytes */300000");
  // An outdated If-Range gets the whole file.
  CHECK(browser.get("/big.bin", {{"Range", "bytes=0-9"}, {"If-Range", "\"stale\""}}).status == 200);

  const auto head = browser.request(boost::beast::http::verb::head, "/big.bin");
  CHECK(head.status == 200);
  CHECK(head.header("Content-Length") == "300000");
  CHECK(head.body.empty());
  CHECK(browser.get("/static/site.css").status == 200);  // the connection still works after all that
}

TEST_CASE("serve mode: nothing outside the folder, and no dotfiles unless asked", "[integration][net][serve]") {
  site s;
  const bool dotfiles = GENERATE(false, true);
  liveproxy_process proxy(s.args(dotfiles ? std::vector<std::string>{"--dotfiles"} : std::vector<std::string>{}));
  for (const std::string target :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/..%2fsecret.txt", "/%c0%ae%c0%ae/secret.txt",
        "/docs/../../secret.txt", "/docs/%2e%2e/%2e%2e/secret.txt", "/..\\secret.txt", "/%5c..%5csecret.txt",
        "/escape.txt", "/index.html%00.txt", "/%00", "/docs/..%252fsecret.txt"}) {
    raw_client c(proxy.port());
    REQUIRE(c.send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
    c.wait_closed(5s);
    INFO(target << "\n" << c.received());
    CHECK(c.received().find(s.secret) == std::string::npos);
    CHECK((c.received().rfind("HTTP/1.1 400", 0) == 0 || c.received().rfind("HTTP/1.1 403", 0) == 0 ||
           c.received().rfind("HTTP/1.1 404", 0) == 0));
  }
  const auto env = http_get(proxy.port(), "/.env");
  const auto git = http_get(proxy.port(), "/.git/config");
  CHECK(env.status == (dotfiles ? 200 : 404));
  CHECK(git.status == (dotfiles ? 200 : 404));
  CHECK((env.body.find("hunter2") != std::string::npos) == dotfiles);
  // A page on a rebinding domain cannot read the folder either.
  CHECK(http_get(proxy.port(), "/index.html", {{"Host", "evil.example"}}).status == 403);
}

TEST_CASE("serve mode with --spa: unknown page paths get index.html, missing assets stay 404", "[integration][net][serve]") {
  site s;
  liveproxy_process proxy(s.args({"--spa"}));
  const auto route = http_get(proxy.port(), "/users/42/settings");
  CHECK(route.status == 200);
  CHECK(route.body.find("home page") != std::string::npos);
  CHECK(http_get(proxy.port(), "/missing.js").status == 404);
}

TEST_CASE("serve mode: editing the folder's files swaps CSS and reloads pages", "[integration][fs][net][serve]") {
  site s;
  liveproxy_process proxy(s.args());
  ws_client ws(proxy.port());
  REQUIRE(ws.connected());
  REQUIRE(ws.read_json_message(5s));  // hello
  write_file(s.root / "static/site.css", "h1 { color: blue; }\n");
  auto msg = ws.read_json_message(10s);
  REQUIRE(msg);
  CHECK(msg->at("type") == "css");
  CHECK(msg->at("path") == "/static/site.css");
  write_file(s.root / "about.html", "<html><head></head><body>about, edited</body></html>\n");
  msg = ws.read_json_message(10s);
  REQUIRE(msg);
  CHECK(msg->at("type") == "reload");
  write_file(s.root / "app.mjs", "export const x = 2;\n");
  msg = ws.read_json_message(10s);
  REQUIRE(msg);
  CHECK(msg->at("type") == "reload");
  CHECK(http_get(proxy.port(), "/about.html").body.find("about, edited") != std::string::npos);
}
