// The MIME table: the types browsers are strict about, case-insensitivity, and what has no extension.
#include "proxy/serve/mime_types.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using liveproxy::default_mime_type;
using liveproxy::mime_type;

TEST_CASE("file extensions map to the types browsers need", "[unit][serve]") {
  const std::vector<std::pair<std::string_view, std::string_view>> cases{
      {"index.html", "text/html; charset=utf-8"},
      {"old.htm", "text/html; charset=utf-8"},
      {"style.css", "text/css; charset=utf-8"},
      {"app.js", "text/javascript; charset=utf-8"},
      {"module.mjs", "text/javascript; charset=utf-8"},
      {"common.cjs", "text/javascript; charset=utf-8"},
      {"data.json", "application/json"},
      {"app.js.map", "application/json"},
      {"notes.txt", "text/plain; charset=utf-8"},
      {"README.md", "text/markdown; charset=utf-8"},
      {"feed.xml", "application/xml"},
      {"logo.svg", "image/svg+xml"},
      {"a.png", "image/png"},
      {"a.jpg", "image/jpeg"},
      {"a.jpeg", "image/jpeg"},
      {"a.gif", "image/gif"},
      {"a.webp", "image/webp"},
      {"a.avif", "image/avif"},
      {"favicon.ico", "image/x-icon"},
      {"a.bmp", "image/bmp"},
      {"f.woff", "font/woff"},
      {"f.woff2", "font/woff2"},
      {"f.ttf", "font/ttf"},
      {"f.otf", "font/otf"},
      {"f.eot", "application/vnd.ms-fontobject"},
      {"main.wasm", "application/wasm"},
      {"v.mp4", "video/mp4"},
      {"v.webm", "video/webm"},
      {"a.ogg", "audio/ogg"},
      {"a.mp3", "audio/mpeg"},
      {"a.wav", "audio/wav"},
      {"doc.pdf", "application/pdf"},
      {"a.zip", "application/zip"},
      {"a.tar.gz", "application/gzip"},
      {"t.csv", "text/csv; charset=utf-8"},
      {"c.yaml", "application/yaml"},
      {"c.yml", "application/yaml"},
      {"c.toml", "application/toml"},
      {"site.webmanifest", "application/manifest+json"},
  };
  for (const auto& [file, type] : cases) {
    INFO("file: " << file);
    CHECK(mime_type(file) == type);
  }
}

TEST_CASE("extensions are matched case-insensitively, in the last path segment only", "[unit][serve]") {
  CHECK(mime_type("INDEX.HTML") == "text/html; charset=utf-8");
  CHECK(mime_type("Font.WOFF2") == "font/woff2");
  CHECK(mime_type("/srv/site/js/App.MJS") == "text/javascript; charset=utf-8");
  CHECK(mime_type("/a.d/file") == default_mime_type);  // the dot is in a directory name
  CHECK(mime_type("/a.html/") == default_mime_type);
}

TEST_CASE("unknown, missing and dotfile extensions are octet-stream", "[unit][serve]") {
  for (const auto file : {"", "Makefile", ".env", ".gitignore", "x.", "archive.unknownext", "a.webmanifestx",
                          "a.h", "a.htmlx", "a.averyveryverylongextension", "a.ht\xC3\xA9"}) {
    INFO("file: " << file);
    CHECK(mime_type(file) == default_mime_type);
  }
  CHECK(default_mime_type == "application/octet-stream");
}
