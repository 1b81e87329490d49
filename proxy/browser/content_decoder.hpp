// Streaming decoding of Content-Encoding (gzip, deflate, br, zstd, stacked), so compressed HTML can get our script.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// One coding's decoder (zlib, brotli or zstd stream state).
class decoder_stage {
 public:
  virtual ~decoder_stage() = default;
  /// Decodes `in`, appending to `out`; false on corrupt input.
  virtual bool feed(std::string_view in, std::string& out) = 0;
  /// True if the encoded stream ended where it should.
  virtual bool complete() const = 0;
};

/// Undoes every coding of a Content-Encoding value, last applied first.
class content_decoder {
 public:
  /// Null (with `error` set) when a coding is not one we know.
  static std::unique_ptr<content_decoder> create(std::string_view content_encoding, std::string& error);

  /// Decodes a piece of the body; false (with error()) on corrupt data.
  bool feed(std::string_view in, std::string& out);
  /// End of body: false if the encoded stream was cut short.
  bool finish();
  const std::string& error() const { return error_; }

 private:
  std::vector<std::unique_ptr<decoder_stage>> stages_;  ///< in decoding order
  std::vector<std::string> names_;
  std::string error_;
};

/// True if every coding in the value is one content_decoder can undo.
bool can_decode(std::string_view content_encoding);

}  // namespace liveproxy
