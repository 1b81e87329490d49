// content_decoder: any body, compressed or garbage, decodes the same in any chunking (same bytes, same verdict),
// and any bytes compressed by zlib, brotli and zstd decode back to themselves.
// Input: one byte choosing the Content-Encoding, one choosing the chunking (fuzz_input.hpp), then the body.
#include "proxy/browser/content_decoder.hpp"

#include "fuzz/fuzz_input.hpp"

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

using liveproxy::content_decoder;

namespace {

constexpr std::array<std::string_view, 8> encodings = {"gzip",          "deflate",  "br",         "zstd",
                                                       "identity, gzip", "x-gzip, deflate", "gzip, br", "zstd, zstd"};

struct decoded {
  bool ok = true;
  std::string out;
  std::string error;
};

/// Decodes the pieces. `step` 0: each piece decoded whole (feed); otherwise in pulls of at most `step` bytes,
/// as the relay does, each pull checked to stay within its bound.
decoded decode(std::string_view encoding, const std::vector<std::string_view>& pieces, std::size_t step = 0) {
  std::string error;
  const auto d = content_decoder::create(encoding, error);
  FUZZ_CHECK(d != nullptr);
  decoded r;
  for (const auto piece : pieces) {
    if (step == 0) {
      r.ok = d->feed(piece, r.out);
    } else {
      d->push(piece);
      while (r.ok && d->pending()) {
        const auto before = r.out.size();
        r.ok = d->pull(r.out, step);
        FUZZ_CHECK(r.out.size() - before <= step);
        if (r.out.size() == before) break;  // waits for more input
      }
    }
    if (!r.ok) break;
  }
  r.ok = r.ok && d->finish();
  r.error = d->error();
  FUZZ_CHECK(r.ok == r.error.empty());
  return r;
}

std::string zlib_encode(std::string_view in, int window_bits) {
  z_stream z{};
  FUZZ_CHECK(deflateInit2(&z, 1, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

/// Encodes with one coding; `variant` picks raw deflate for "deflate" (what some servers send).
std::string encode(std::string_view coding, std::string_view in, bool variant) {
  if (coding == "gzip" || coding == "x-gzip") return zlib_encode(in, 15 + 16);
  if (coding == "deflate") return zlib_encode(in, variant ? -15 : 15);
  if (coding == "br") {
    std::size_t n = BrotliEncoderMaxCompressedSize(in.size());
    std::string out(n, '\0');
    FUZZ_CHECK(BrotliEncoderCompress(1, 10, BROTLI_MODE_GENERIC, in.size(), reinterpret_cast<const uint8_t*>(in.data()),
                                     &n, reinterpret_cast<uint8_t*>(out.data())));
    out.resize(n);
    return out;
  }
  if (coding == "zstd") {
    std::string out(ZSTD_compressBound(in.size()), '\0');
    const auto n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 1);
    FUZZ_CHECK(!ZSTD_isError(n));
    out.resize(n);
    return out;
  }
  return std::string(in);  // identity
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  liveproxy::fuzz::input in(data, size);
  const auto choice = in.byte();
  const auto plan = in.byte();
  const std::string_view encoding = encodings[choice % encodings.size()];
  const std::string_view body = in.rest();

  // Arbitrary bytes: the chunking never changes the result, and a failure says why.
  const auto whole = decode(encoding, {body});
  const auto chunked = decode(encoding, liveproxy::fuzz::chunks(body, plan));
  FUZZ_CHECK(whole.ok == chunked.ok);
  if (whole.ok) FUZZ_CHECK(whole.out == chunked.out);
  // ...nor the size of the steps it is decoded in (bounded pulls, as the relay decodes).
  const std::size_t step = 1 + (plan * 37u + choice) % 700;
  const auto stepped = decode(encoding, liveproxy::fuzz::chunks(body, plan), step);
  FUZZ_CHECK(whole.ok == stepped.ok);
  if (whole.ok) FUZZ_CHECK(whole.out == stepped.out);

  // The same bytes as a page the app compressed: they come back exactly.
  std::string encoded(body);
  std::string_view list = encoding;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view coding = list.substr(0, comma);
    while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
    encoded = encode(coding, encoded, choice & 0x80);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  const auto round_trip = decode(encoding, liveproxy::fuzz::chunks(encoded, plan));
  FUZZ_CHECK(round_trip.ok);
  FUZZ_CHECK(round_trip.out == body);
  const auto round_trip_stepped = decode(encoding, liveproxy::fuzz::chunks(encoded, plan), step);
  FUZZ_CHECK(round_trip_stepped.ok);
  FUZZ_CHECK(round_trip_stepped.out == body);
  return 0;
}
