// Decoders over zlib, brotli and zstd, the libraries Debian ships; each keeps its own stream state.
#include "proxy/browser/content_decoder.hpp"

#include <boost/beast/core/string.hpp>

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include <array>
#include <cstdint>

namespace liveproxy {
namespace {

constexpr std::size_t out_chunk = 64 * 1024;

class zlib_stage final : public decoder_stage {
 public:
  /// deflate: zlib-wrapped as the RFC says, with a fallback to the raw deflate some servers send.
  explicit zlib_stage(bool gzip) : gzip_(gzip) { init(gzip ? 15 + 16 : 15); }
  ~zlib_stage() override { inflateEnd(&z_); }

  bool feed(std::string_view in, std::string& out) override {
    // Bytes after the end of the stream are ignored, whichever read brings them, as browsers do (Chromium's
    // gzip decoder skips them): they failed the body only when they came in a later read than the end.
    if (done_) return true;
    std::string joined;
    if (!gzip_ && !sniffed_) {
      // The zlib-or-raw decision needs the first two bytes, which may arrive one at a time.
      head_.append(in);
      if (head_.size() < 2) return true;
      sniffed_ = true;
      // A zlib header has CMF 0x?8 and (CMF*256+FLG) % 31 == 0; anything else is raw deflate.
      const auto cmf = static_cast<unsigned char>(head_[0]);
      const bool zlib_header = (cmf & 0x0f) == 8 && ((cmf << 8) | static_cast<unsigned char>(head_[1])) % 31 == 0;
      if (!zlib_header) {
        inflateEnd(&z_);
        init(-15);
      }
      joined.swap(head_);
      in = joined;
    }
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    std::array<char, out_chunk> buf;
    for (;;) {
      z_.next_out = reinterpret_cast<Bytef*>(buf.data());
      z_.avail_out = static_cast<uInt>(buf.size());
      const int rc = inflate(&z_, Z_NO_FLUSH);
      out.append(buf.data(), buf.size() - z_.avail_out);
      if (rc == Z_STREAM_END) {
        done_ = true;
        return true;
      }
      if (rc == Z_BUF_ERROR) return true;  // no progress possible: needs more input
      if (rc != Z_OK) return false;
      if (z_.avail_in == 0 && z_.avail_out != 0) return true;
    }
  }
  bool complete() const override { return done_; }

 private:
  void init(int window_bits) {
    z_ = z_stream{};
    inflateInit2(&z_, window_bits);
  }
  z_stream z_{};
  bool gzip_;
  std::string head_;  ///< first bytes of a deflate body, until zlib vs raw is known
  bool sniffed_ = false;
  bool done_ = false;
};

class brotli_stage final : public decoder_stage {
 public:
  brotli_stage() : state_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  ~brotli_stage() override { BrotliDecoderDestroyInstance(state_); }

  bool feed(std::string_view in, std::string& out) override {
    auto next_in = reinterpret_cast<const uint8_t*>(in.data());
    std::size_t avail_in = in.size();
    std::array<uint8_t, out_chunk> buf;
    for (;;) {
      uint8_t* next_out = buf.data();
      std::size_t avail_out = buf.size();
      const auto rc = BrotliDecoderDecompressStream(state_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
      out.append(reinterpret_cast<const char*>(buf.data()), buf.size() - avail_out);
      if (rc == BROTLI_DECODER_RESULT_ERROR) return false;
      if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
        done_ = true;
        return true;
      }
      if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) return true;
      // NEEDS_MORE_OUTPUT: loop with a fresh buffer.
    }
  }
  bool complete() const override { return done_; }

 private:
  BrotliDecoderState* state_;
  bool done_ = false;
};

/// A frame of Zstandard before v0.8 (magic 0xFD2FB522..0xFD2FB527) starts here. Not the format RFC 8878 names for
/// "zstd", and libzstd took one only when its magic number came in a single read: a body's verdict depended on how
/// it was cut into reads.
bool legacy_zstd_frame(const ZSTD_inBuffer& input) {
  if (input.size - input.pos < 4) return false;
  const auto* p = static_cast<const unsigned char*>(input.src) + input.pos;
  const std::uint32_t magic = p[0] | p[1] << 8 | p[2] << 16 | static_cast<std::uint32_t>(p[3]) << 24;
  return magic >= 0xFD2FB522 && magic <= 0xFD2FB527;
}

class zstd_stage final : public decoder_stage {
 public:
  zstd_stage() : stream_(ZSTD_createDStream()) { ZSTD_initDStream(stream_); }
  ~zstd_stage() override { ZSTD_freeDStream(stream_); }

  bool feed(std::string_view in, std::string& out) override {
    // No input, no call: after a finished frame zstd would answer with the size of the next frame's header,
    // which reads as a frame left open (an empty read at the end of a body failed it as cut short).
    if (in.empty()) return true;
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    std::array<char, out_chunk> buf;
    for (;;) {
      ZSTD_outBuffer output{buf.data(), buf.size(), 0};
      // Fewer than 4 bytes of a legacy magic number libzstd refuses itself.
      if (!frame_open_ && legacy_zstd_frame(input)) return false;
      const std::size_t rc = ZSTD_decompressStream(stream_, &output, &input);
      if (ZSTD_isError(rc)) return false;
      out.append(buf.data(), output.pos);
      // 0 means a frame ended; more frames may follow in the same body.
      frame_open_ = rc != 0;
      // A full buffer may hide more output, unless the frame ended flushed: calling again would open the next.
      if (input.pos == input.size && (output.pos < output.size || rc == 0)) break;
    }
    return true;
  }
  bool complete() const override { return !frame_open_; }

 private:
  ZSTD_DStream* stream_;
  bool frame_open_ = false;
};

std::unique_ptr<decoder_stage> make_stage(std::string_view name) {
  if (beast::iequals(name, "gzip") || beast::iequals(name, "x-gzip")) return std::make_unique<zlib_stage>(true);
  if (beast::iequals(name, "deflate")) return std::make_unique<zlib_stage>(false);
  if (beast::iequals(name, "br")) return std::make_unique<brotli_stage>();
  if (beast::iequals(name, "zstd")) return std::make_unique<zstd_stage>();
  return nullptr;
}

/// The codings of a header value, in the order they were applied.
std::vector<std::string> codings(std::string_view value) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= value.size()) {
    auto end = value.find(',', pos);
    if (end == std::string_view::npos) end = value.size();
    auto item = value.substr(pos, end - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty() && !beast::iequals(item, "identity")) out.emplace_back(item);
    pos = end + 1;
  }
  return out;
}

}  // namespace

std::unique_ptr<content_decoder> content_decoder::create(std::string_view content_encoding, std::string& error) {
  auto d = std::unique_ptr<content_decoder>(new content_decoder());
  const auto names = codings(content_encoding);
  // Applied left to right, so undone right to left.
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    auto stage = make_stage(*it);
    if (!stage) {
      error = "unsupported Content-Encoding '" + *it + "'";
      return nullptr;
    }
    d->stages_.push_back(std::move(stage));
    d->names_.push_back(*it);
  }
  return d;
}

bool content_decoder::feed(std::string_view in, std::string& out) {
  std::string a(in), b;
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    b.clear();
    if (!stages_[i]->feed(a, b)) {
      error_ = "corrupt " + names_[i] + " data";
      return false;
    }
    a.swap(b);
  }
  out.append(a);
  return true;
}

bool content_decoder::finish() {
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    if (!stages_[i]->complete()) {
      error_ = names_[i] + " stream ended early";
      return false;
    }
  }
  return true;
}

bool can_decode(std::string_view content_encoding) {
  for (const auto& name : codings(content_encoding))
    if (!make_stage(name)) return false;
  return true;
}

}  // namespace liveproxy
