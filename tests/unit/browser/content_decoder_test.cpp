// Compressed HTML must come out byte-exact, whatever the coding, stacking and chunking.
#include "proxy/browser/content_decoder.hpp"

#include <catch2/catch.hpp>

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>

using liveproxy::content_decoder;

namespace {

std::string sample_page() {
  std::string page = "<!doctype html><html><head><title>t</title></head><body>";
  std::mt19937 rng(42);
  for (int i = 0; i < 5000; ++i) page += "<p>row " + std::to_string(rng() % 1000) + "</p>\n";
  return page + "</body></html>";
}

std::string zlib_encode(const std::string& in, int window_bits) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string encode(const std::string& coding, const std::string& in) {
  if (coding == "gzip") return zlib_encode(in, 15 + 16);
  if (coding == "deflate") return zlib_encode(in, 15);
  if (coding == "raw-deflate") return zlib_encode(in, -15);
  if (coding == "br") {
    std::size_t n = BrotliEncoderMaxCompressedSize(in.size());
    std::string out(n, '\0');
    BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, in.size(),
                          reinterpret_cast<const uint8_t*>(in.data()), &n, reinterpret_cast<uint8_t*>(out.data()));
    out.resize(n);
    return out;
  }
  if (coding == "zstd") {
    std::string out(ZSTD_compressBound(in.size()), '\0');
    out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
    return out;
  }
  FAIL("unknown coding " << coding);
  return {};
}

std::string decode_in_chunks(const std::string& header, const std::string& body, std::size_t chunk, bool* ok) {
  std::string error;
  auto d = content_decoder::create(header, error);
  REQUIRE(d);
  std::string out;
  *ok = true;
  for (std::size_t i = 0; i < body.size() && *ok; i += chunk) *ok = d->feed(std::string_view(body).substr(i, chunk), out);
  *ok = *ok && d->finish();
  return out;
}

}  // namespace

TEST_CASE("each coding decodes byte-exact in any chunking", "[unit][decode]") {
  const auto page = sample_page();
  const std::string coding = GENERATE("gzip", "deflate", "br", "zstd");
  const auto body = encode(coding, page);
  const std::size_t chunk = GENERATE(1u, 7u, 1024u, 1u << 20);
  INFO(coding << " in chunks of " << chunk);
  bool ok = false;
  CHECK(decode_in_chunks(coding, body, chunk, &ok) == page);
  CHECK(ok);
}

TEST_CASE("raw deflate (what some servers send as 'deflate') is accepted", "[unit][decode]") {
  const auto page = sample_page();
  bool ok = false;
  CHECK(decode_in_chunks("deflate", encode("raw-deflate", page), 100, &ok) == page);
  CHECK(ok);
}

TEST_CASE("stacked codings are undone last-applied first", "[unit][decode]") {
  const auto page = sample_page();
  // "Content-Encoding: gzip, br" means gzip was applied first, then br.
  const auto body = encode("br", encode("gzip", page));
  bool ok = false;
  CHECK(decode_in_chunks("gzip, identity, br", body, 333, &ok) == page);
  CHECK(ok);
}

TEST_CASE("corrupt and truncated data are reported - unknown codings refused", "[unit][decode]") {
  const auto page = sample_page();
  auto body = encode("gzip", page);
  bool ok = true;
  decode_in_chunks("gzip", body.substr(0, body.size() / 2), 64, &ok);
  CHECK_FALSE(ok);
  body[20] = static_cast<char>(body[20] ^ 0x55);
  body[21] = static_cast<char>(body[21] ^ 0x55);
  std::string error;
  auto d = content_decoder::create("gzip", error);
  std::string out;
  CHECK_FALSE((d->feed(body, out) && d->finish()));
  CHECK_FALSE(d->error().empty());
  CHECK_FALSE(content_decoder::create("gzip, compress", error));
  CHECK(error.find("compress") != std::string::npos);
  CHECK(liveproxy::can_decode("GZIP, br"));
  CHECK_FALSE(liveproxy::can_decode("sdch"));
}

// Found by tests/fuzz/content_decoder_fuzz.cpp: the verdict depended on how the body was cut into reads.
TEST_CASE("an empty read after a finished zstd frame does not reopen it", "[unit][decode]") {
  const std::string page = "<p>short page</p>";
  std::string error, out;
  auto d = content_decoder::create("zstd", error);
  REQUIRE(d);
  CHECK(d->feed(encode("zstd", page), out));
  // A chunked body's last read (its 0-size chunk) brings no bytes; stacked codings pass such reads on too.
  CHECK(d->feed("", out));
  CHECK(d->finish());
  CHECK(out == page);
  bool ok = false;
  CHECK(decode_in_chunks("zstd, zstd", encode("zstd", encode("zstd", page)), 1, &ok) == page);
  CHECK(ok);
}

TEST_CASE("a zstd frame whose output fills the decode buffer exactly ends there", "[unit][decode]") {
  const std::string page(64 * 1024, 'x');
  bool ok = false;
  CHECK(decode_in_chunks("zstd", encode("zstd", page), 1u << 20, &ok) == page);
  CHECK(ok);
}

TEST_CASE("bytes after the end of a deflate stream are ignored whichever read brings them", "[unit][decode]") {
  const std::string page = "<p>a page</p>";
  // What a browser does with them too; before, they failed the body only when they came in a later read.
  const std::string body = encode("raw-deflate", page) + "trailing junk";
  for (const std::size_t chunk : {1u, 5u, 4096u}) {
    INFO("chunks of " << chunk);
    bool ok = false;
    CHECK(decode_in_chunks("deflate", body, chunk, &ok) == page);
    CHECK(ok);
    CHECK(decode_in_chunks("gzip", encode("gzip", page) + "\n", chunk, &ok) == page);
    CHECK(ok);
  }
}

TEST_CASE("a legacy zstd frame (before v0.8) is refused in any chunking", "[unit][decode]") {
  // Found by tests/fuzz/content_decoder_fuzz.cpp: a v0.6 frame header, taken when its magic came in one read.
  const std::string legacy("\x26\xb5\x2f\xfd\x04\xf2\xff\x71", 8);
  for (const std::size_t chunk : {1u, 3u, 4u, 64u}) {
    INFO("chunks of " << chunk);
    bool ok = true;
    decode_in_chunks("zstd", legacy, chunk, &ok);
    CHECK_FALSE(ok);
    // Also after a good frame: each frame of a body starts with a magic number.
    decode_in_chunks("zstd", encode("zstd", "<p>x</p>") + legacy, chunk, &ok);
    CHECK_FALSE(ok);
  }
}

TEST_CASE("decoding in bounded steps: never more than asked, the same bytes, and a bomb costs one step",
          "[unit][decoder]") {
  const auto page = sample_page();
  for (const std::string coding : {"gzip", "deflate", "br", "zstd"}) {
    for (const std::size_t step : {std::size_t(1), std::size_t(7), std::size_t(4096), std::size_t(65536)}) {
      INFO(coding << " in steps of " << step);
      std::string error;
      auto d = content_decoder::create(coding == "deflate" ? "deflate" : coding, error);
      REQUIRE(d);
      const auto body = encode(coding, page);
      std::string out;
      for (std::size_t i = 0; i < body.size(); i += 1000) {
        d->push(std::string_view(body).substr(i, 1000));
        while (d->pending()) {
          const auto before = out.size();
          REQUIRE(d->pull(out, step));
          CHECK(out.size() - before <= step);
          if (out.size() == before) break;
        }
      }
      CHECK(d->finish());
      CHECK(out == page);
    }
  }
  // Stacked codings too: each pull bounded, the page whole at the end.
  std::string error;
  auto stacked = content_decoder::create("gzip, br", error);
  REQUIRE(stacked);
  stacked->push(encode("br", encode("gzip", page)));
  std::string out;
  while (stacked->pending()) {
    const auto before = out.size();
    REQUIRE(stacked->pull(out, 1000));
    CHECK(out.size() - before <= 1000);
    if (out.size() == before) break;
  }
  CHECK(stacked->finish());
  CHECK(out == page);

  // 64 MiB of one byte in a few KB of zstd: a pull of 64 KiB gives 64 KiB, and the rest waits.
  const std::string big(64 << 20, 'A');
  auto bomb = content_decoder::create("zstd", error);
  REQUIRE(bomb);
  const auto small = encode("zstd", big);
  CHECK(small.size() < 64 * 1024);
  bomb->push(small);
  std::string first;
  REQUIRE(bomb->pull(first, 65536));
  CHECK(first.size() == 65536);
  CHECK(bomb->pending());
}
