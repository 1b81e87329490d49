// Decoders over zlib, brotli and zstd, the libraries Debian ships; each keeps its own stream state.
#include "proxy/browser/content_decoder.hpp"

#include <boost/beast/core/string.hpp>

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>

namespace liveproxy {
namespace {

/// Output is made in steps of at most this (a step is one library call).
constexpr std::size_t out_chunk = 64 * 1024;
/// What one stage asks of the stage before it at a time, when codings are stacked.
constexpr std::size_t refill_chunk = 64 * 1024;

/// Grows `out` by up to `n` bytes for a library to write into; returns where the new bytes start.
char* grow(std::string& out, std::size_t n) {
  const auto at = out.size();
  out.resize(at + n);
  return out.data() + at;
}

class zlib_stage final : public decoder_stage {
 public:
  /// deflate: zlib-wrapped as the RFC says, with a fallback to the raw deflate some servers send.
  explicit zlib_stage(bool gzip) : gzip_(gzip) { init(gzip ? 15 + 16 : 15); }
  ~zlib_stage() override { inflateEnd(&z_); }

  bool decode(std::string_view& in, std::string& out, std::size_t room) override {
    more_ = false;
    // Bytes after the end of the stream are ignored, whichever read brings them, as browsers do (Chromium's
    // gzip decoder skips them).
    if (done_) {
      in = {};
      return true;
    }
    if (!gzip_ && !sniffed_) {
      // The zlib-or-raw decision needs the first two bytes, which may arrive one at a time.
      while (head_.size() < 2 && !in.empty()) {
        head_.push_back(in.front());
        in.remove_prefix(1);
      }
      if (head_.size() < 2) return true;
      sniffed_ = true;
      // A zlib header has CMF 0x?8 and (CMF*256+FLG) % 31 == 0; anything else is raw deflate.
      const auto cmf = static_cast<unsigned char>(head_[0]);
      const bool zlib_header = (cmf & 0x0f) == 8 && ((cmf << 8) | static_cast<unsigned char>(head_[1])) % 31 == 0;
      if (!zlib_header) {
        inflateEnd(&z_);
        init(-15);
      }
      std::string_view head = head_;
      if (!run(head, out, room)) return false;
      if (done_) {
        in = {};
        return true;
      }
      if (room == 0 || more_) return true;  // the rest of `in` waits for the next call
    }
    return run(in, out, room);
  }
  bool more() const override { return more_; }
  bool complete() const override { return done_; }

 private:
  void init(int window_bits) {
    z_ = z_stream{};
    inflateInit2(&z_, window_bits);
  }
  /// Inflates from `in` into at most `room` more bytes of `out`; lowers room by what it wrote.
  bool run(std::string_view& in, std::string& out, std::size_t& room) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    bool ok = true;
    while (room > 0) {
      const auto step = std::min(room, out_chunk);
      const auto start = out.size();
      z_.next_out = reinterpret_cast<Bytef*>(grow(out, step));
      z_.avail_out = static_cast<uInt>(step);
      const int rc = inflate(&z_, Z_NO_FLUSH);
      const auto made = step - z_.avail_out;
      out.resize(start + made);
      room -= made;
      if (rc == Z_STREAM_END) {
        done_ = true;
        break;
      }
      if (rc == Z_BUF_ERROR) break;  // no progress possible: needs more input
      if (rc != Z_OK) {
        ok = false;
        break;
      }
      if (z_.avail_in == 0 && z_.avail_out != 0) break;
    }
    in.remove_prefix(in.size() - z_.avail_in);
    if (done_) in = {};
    more_ = ok && !done_ && room == 0;
    return ok;
  }

  z_stream z_{};
  bool gzip_;
  std::string head_;  ///< first bytes of a deflate body, until zlib vs raw is known
  bool sniffed_ = false;
  bool done_ = false;
  bool more_ = false;
};

class brotli_stage final : public decoder_stage {
 public:
  brotli_stage() : state_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  ~brotli_stage() override { BrotliDecoderDestroyInstance(state_); }

  bool decode(std::string_view& in, std::string& out, std::size_t room) override {
    more_ = false;
    if (done_) {
      in = {};
      return true;
    }
    auto next_in = reinterpret_cast<const uint8_t*>(in.data());
    std::size_t avail_in = in.size();
    bool ok = true;
    while (room > 0) {
      const auto step = std::min(room, out_chunk);
      const auto start = out.size();
      auto* next_out = reinterpret_cast<uint8_t*>(grow(out, step));
      std::size_t avail_out = step;
      const auto rc = BrotliDecoderDecompressStream(state_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
      out.resize(start + step - avail_out);
      room -= step - avail_out;
      if (rc == BROTLI_DECODER_RESULT_ERROR) {
        ok = false;
        break;
      }
      if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
        done_ = true;
        break;
      }
      if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) break;
      // NEEDS_MORE_OUTPUT: another step, while there is room.
      more_ = true;
    }
    in.remove_prefix(in.size() - avail_in);
    if (done_) in = {};
    more_ = ok && !done_ && room == 0 && (more_ || BrotliDecoderHasMoreOutput(state_));
    return ok;
  }
  bool more() const override { return more_; }
  bool complete() const override { return done_; }

 private:
  BrotliDecoderState* state_;
  bool done_ = false;
  bool more_ = false;
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

  bool decode(std::string_view& in, std::string& out, std::size_t room) override {
    // No input and nothing held back, no call: after a finished frame zstd would answer with the size of the
    // next frame's header, which reads as a frame left open (an empty read at the end of a body failed it).
    if (in.empty() && !more_) return true;
    more_ = false;
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    bool ok = true;
    while (room > 0) {
      const auto step = std::min(room, out_chunk);
      const auto start = out.size();
      ZSTD_outBuffer output{grow(out, step), step, 0};
      // Fewer than 4 bytes of a legacy magic number libzstd refuses itself.
      if (!frame_open_ && legacy_zstd_frame(input)) {
        out.resize(start);
        ok = false;
        break;
      }
      const std::size_t rc = ZSTD_decompressStream(stream_, &output, &input);
      out.resize(start + (ZSTD_isError(rc) ? 0 : output.pos));
      if (ZSTD_isError(rc)) {
        ok = false;
        break;
      }
      room -= output.pos;
      // 0 means a frame ended; more frames may follow in the same body.
      frame_open_ = rc != 0;
      // A full buffer may hide more output, unless the frame ended flushed: calling again would open the next.
      const bool full = output.pos == output.size && rc != 0;
      if (full && room == 0) more_ = true;
      if (input.pos == input.size && !full) break;
    }
    in.remove_prefix(input.pos);
    return ok;
  }
  bool more() const override { return more_; }
  bool complete() const override { return !frame_open_; }

 private:
  ZSTD_DStream* stream_;
  bool frame_open_ = false;
  bool more_ = false;
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
  d->inputs_.resize(std::max<std::size_t>(d->stages_.size(), 1));
  d->consumed_.resize(d->inputs_.size());
  return d;
}

void content_decoder::push(std::string_view in) {
  auto& raw = inputs_.front();
  // What is consumed goes before what is added, so the buffer holds only what is still to decode.
  if (consumed_.front() > 0) {
    raw.erase(0, consumed_.front());
    consumed_.front() = 0;
  }
  raw.append(in);
}

bool content_decoder::pull(std::string& out, std::size_t max) {
  if (stages_.empty()) {
    // identity only: the input as it is.
    auto& raw = inputs_.front();
    const auto n = std::min(max, raw.size() - consumed_.front());
    out.append(raw, consumed_.front(), n);
    consumed_.front() += n;
    return true;
  }
  return produce(stages_.size() - 1, out, max);
}

bool content_decoder::produce(std::size_t i, std::string& out, std::size_t room) {
  const auto start = out.size();
  for (;;) {
    const std::size_t left = room - (out.size() - start);
    if (left == 0) return true;
    std::string& in = inputs_[i];
    std::size_t& at = consumed_[i];
    if (at == in.size() && !stages_[i]->more()) {
      // Nothing left for this stage: ask the one before for more (the first one needs a push).
      if (i == 0) return true;
      in.clear();
      at = 0;
      if (!produce(i - 1, in, refill_chunk)) return false;
      if (in.empty()) return true;
    }
    std::string_view view(in);
    view.remove_prefix(at);
    const auto in_before = view.size();
    const auto out_before = out.size();
    if (!stages_[i]->decode(view, out, left)) {
      error_ = "corrupt " + names_[i] + " data";
      return false;
    }
    at += in_before - view.size();
    // No step forward (nothing consumed, nothing made): the stage waits for input that has not come.
    if (view.size() == in_before && out.size() == out_before) return true;
  }
}

bool content_decoder::pending() const {
  for (std::size_t i = 0; i < inputs_.size(); ++i)
    if (consumed_[i] < inputs_[i].size() || (i < stages_.size() && stages_[i]->more())) return true;
  return false;
}

bool content_decoder::feed(std::string_view in, std::string& out) {
  push(in);
  return pull(out, std::string::npos);
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
