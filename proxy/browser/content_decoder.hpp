// Streaming decoding of Content-Encoding (gzip, deflate, br, zstd, stacked), so compressed HTML can get our script.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// One coding's decoder (zlib, brotli or zstd stream state).
class decoder_stage {
 public:
  virtual ~decoder_stage() = default;
  /// Decodes from the front of `in` (removing what it consumed), appending at most `room` bytes to `out`;
  /// false on corrupt input. Bytes after the end of the encoded stream are consumed and dropped.
  virtual bool decode(std::string_view& in, std::string& out, std::size_t room) = 0;
  /// The last decode stopped for want of room: more output may come without more input.
  virtual bool more() const = 0;
  /// True if the encoded stream ended where it should.
  virtual bool complete() const = 0;
};

/// Undoes every coding of a Content-Encoding value, last applied first, in bounded steps: what is pushed is
/// kept until pulled, and a pull never produces more than it is asked for, however much the input inflates
/// (a 2 KB brotli body can hold 1 GiB of HTML). Between stacked codings it keeps at most one step's worth.
class content_decoder {
 public:
  /// Null (with `error` set) when a coding is not one we know.
  static std::unique_ptr<content_decoder> create(std::string_view content_encoding, std::string& error);

  /// Takes more of the encoded body (copied).
  void push(std::string_view in);
  /// Decodes what was pushed, appending at most `max` bytes to `out`; false (with error()) on corrupt data.
  bool pull(std::string& out, std::size_t max);
  /// Some pushed input or decoded output is still waiting: pull() can produce more without push().
  bool pending() const;
  /// push() then pull() with no bound: for bodies known to be small (tests).
  bool feed(std::string_view in, std::string& out);
  /// End of body: false if the encoded stream was cut short.
  bool finish();
  const std::string& error() const { return error_; }

 private:
  bool produce(std::size_t stage, std::string& out, std::size_t room);

  std::vector<std::unique_ptr<decoder_stage>> stages_;  ///< in decoding order
  std::vector<std::string> names_;
  /// Per stage: its input not yet consumed (the body for the first stage, the previous stage's output for the
  /// others), and how much of it is consumed.
  std::vector<std::string> inputs_;
  std::vector<std::size_t> consumed_;
  std::string error_;
};

/// True if every coding in the value is one content_decoder can undo.
bool can_decode(std::string_view content_encoding);

}  // namespace liveproxy
