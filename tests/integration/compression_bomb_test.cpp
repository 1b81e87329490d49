// Compression bombs (issue 21, item 1): a few KB of brotli, zstd or stacked gzip that inflate to 1 GiB of HTML.
// liveproxy decodes in bounded steps: its memory stays small, other requests are answered meanwhile, and a page
// that decodes past the injection limit goes to the browser as the app sent it, still compressed.
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/proc_stats.hpp"
#include "support/raw_client.hpp"
#include "support/sanitizers.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t bomb_size = std::size_t(1) << 30;  // 1 GiB of HTML once decoded
const std::string page_head = "<!DOCTYPE html><html><head><title>bomb</title></head><body>";

/// Streams bomb_size bytes of a page (its head, then one repeated byte) through `step`, 1 MiB at a time.
template <typename Step>
void stream_page(Step&& step) {
  const std::string filler(1 << 20, 'A');
  std::string first = page_head + filler.substr(page_head.size());
  step(first, false);
  for (std::size_t sent = first.size(); sent < bomb_size; sent += filler.size())
    step(filler, sent + filler.size() >= bomb_size);
}

std::string gzip_of(const std::function<void(const std::function<void(std::string_view, bool)>&)>& source) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out;
  source([&](std::string_view in, bool last) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    do {
      char buf[65536];
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
      out.append(buf, sizeof buf - z.avail_out);
    } while (z.avail_out == 0 || (last && z.avail_in > 0));
  });
  deflateEnd(&z);
  return out;
}

/// The bombs, made once: brotli (about 1 KB), zstd (about 33 KB) and gzip inside gzip (about 2 KB).
const std::map<std::string, std::pair<std::string, std::string>>& bombs() {
  static const auto made = [] {
    std::map<std::string, std::pair<std::string, std::string>> out;
    // brotli, streamed.
    {
      BrotliEncoderState* enc = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
      BrotliEncoderSetParameter(enc, BROTLI_PARAM_QUALITY, 5);
      std::string body;
      stream_page([&](std::string_view in, bool last) {
        auto next_in = reinterpret_cast<const uint8_t*>(in.data());
        std::size_t avail_in = in.size();
        do {
          uint8_t buf[65536];
          uint8_t* next_out = buf;
          std::size_t avail_out = sizeof buf;
          BrotliEncoderCompressStream(enc, last ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_PROCESS, &avail_in,
                                      &next_in, &avail_out, &next_out, nullptr);
          body.append(reinterpret_cast<char*>(buf), sizeof buf - avail_out);
        } while (avail_in > 0 || BrotliEncoderHasMoreOutput(enc) || (last && !BrotliEncoderIsFinished(enc)));
      });
      BrotliEncoderDestroyInstance(enc);
      out["br"] = {"br", body};
    }
    // zstd, streamed.
    {
      ZSTD_CCtx* cctx = ZSTD_createCCtx();
      ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 19);
      std::string body;
      stream_page([&](std::string_view in, bool last) {
        ZSTD_inBuffer input{in.data(), in.size(), 0};
        std::size_t left = 0;
        do {
          char buf[65536];
          ZSTD_outBuffer output{buf, sizeof buf, 0};
          left = ZSTD_compressStream2(cctx, &output, &input, last ? ZSTD_e_end : ZSTD_e_continue);
          body.append(buf, output.pos);
        } while (input.pos < input.size || (last && left != 0));
      });
      ZSTD_freeCCtx(cctx);
      out["zstd"] = {"zstd", body};
    }
    // gzip applied twice: "Content-Encoding: gzip, gzip".
    {
      const std::string once = gzip_of([](const auto& step) { stream_page(step); });
      const std::string twice = gzip_of([&](const auto& step) { step(once, true); });
      out["gzip2"] = {"gzip, gzip", twice};
    }
    return out;
  }();
  return made;
}

/// The app serving the bombs from a temporary folder; liveproxy in front of it.
struct bomb_site {
  temp_dir files{"liveproxy-bombs"};
  std::optional<liveproxy_process> proxy;

  bomb_site() {
    for (const auto& [name, bomb] : bombs()) {
      std::ofstream(files.path() / name, std::ios::binary) << bomb.second;
      std::ofstream(files.path() / (name + ".encoding")) << bomb.first;
    }
    const auto app = std::filesystem::path(LIVEPROXY_SOURCE_DIR) / "tests/integration/apps/file_app.py";
    proxy.emplace(std::vector<std::string>{"--port", "0", "--watch", files.path().string(), "--", "/usr/bin/python3",
                                           app.string(), "{port}"},
                  process_options{{}, {{"FILE_APP_DIR", files.path().string()}}, "liveproxy"});
    REQUIRE(wait_until([&] { return http_client(proxy->port()).get("/").status == 200; }));
  }
  unsigned short port() const { return proxy->port(); }
};

}  // namespace

TEST_CASE("a compression bomb is passed on still compressed, with small memory, while other requests are answered",
          "[net][bomb]") {
  bomb_site site;
  for (const auto& [name, bomb] : bombs()) {
    INFO(name << ": " << bomb.second.size() << " compressed bytes of " << bomb.first);
    CHECK(bomb.second.size() < 64 * 1024);
    // One client reads the bomb whole: it gets the app's bytes, still compressed, and no script.
    http_client reader(site.port(), 30s);
    const auto whole = reader.get("/file/" + name);
    REQUIRE(whole.ok());
    CHECK(whole.status == 200);
    CHECK(whole.header("Content-Encoding") == bomb.first);
    CHECK(whole.body == bomb.second);
    CHECK(whole.elapsed < 2s);

    // Three that never read theirs, while a fourth asks for a page: answered at once.
    std::vector<std::unique_ptr<raw_client>> stuck;
    for (int i = 0; i < 3; ++i) {
      stuck.push_back(std::make_unique<raw_client>(site.port(), 4096));
      REQUIRE(stuck.back()->send("GET /file/" + name + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    }
    std::atomic<bool> sampling{true};
    std::size_t peak_rss = 0;
    std::thread sampler([&] {
      while (sampling) {
        peak_rss = std::max(peak_rss, rss_bytes(site.proxy->proc().pid()));
        std::this_thread::sleep_for(5ms);
      }
    });
    for (int i = 0; i < 5; ++i) {
      const auto small = http_client(site.port(), 5s).get("/");
      CHECK(small.status == 200);
      CHECK(small.elapsed < 1s);
    }
    // The stuck ones have been sent what fits; give the bombs' decoding time to show if it were unbounded.
    std::this_thread::sleep_for(300ms);
    sampling = false;
    sampler.join();
    if (!liveproxy::test::sanitized) CHECK(peak_rss < 256u * 1024 * 1024);
  }
  // Said once, not per response.
  const auto output = site.proxy->proc().output();
  const auto first = output.find("decodes to more than");
  CHECK(first != std::string::npos);
  CHECK(output.find("decodes to more than", first + 1) == std::string::npos);
}
