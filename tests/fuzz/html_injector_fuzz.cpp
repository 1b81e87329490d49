// html_injector: whatever the page and however it is cut into reads, the output is the one-shot output, and that
// is the page with our tag inserted exactly once (or, for a page that loads a client already, untouched).
// Input: one byte choosing the chunking (fuzz_input.hpp), then the page.
#include "proxy/browser/html_injector.hpp"

#include "fuzz/fuzz_input.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

using liveproxy::html_injector;

namespace {

// The tag dev_server.cpp injects.
const std::string tag = R"(<script src="/__liveproxy/client.js"></script>)";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

struct result {
  std::string out;
  html_injector::outcome state;
  std::size_t at = 0;  ///< input bytes fed before the feed that placed the tag (exact with 1-byte pieces)
};

result inject(const std::vector<std::string_view>& pieces) {
  html_injector inj(tag);
  result r;
  std::size_t fed = 0;
  for (const auto piece : pieces) {
    if (inj.state() == html_injector::outcome::searching) r.at = fed;
    inj.feed(piece, r.out);
    fed += piece.size();
    // Nothing is held back: every byte fed is in the output at once, plus the tag once it is placed.
    const bool placed = inj.state() == html_injector::outcome::injected;
    FUZZ_CHECK(r.out.size() == fed + (placed ? tag.size() : 0));
    FUZZ_CHECK(inj.decided() == (inj.state() != html_injector::outcome::searching));
  }
  if (inj.state() == html_injector::outcome::searching) r.at = fed;
  inj.finish(r.out);
  r.state = inj.state();
  FUZZ_CHECK(r.state != html_injector::outcome::searching);
  FUZZ_CHECK(inj.added_bytes() == (r.state == html_injector::outcome::injected ? tag.size() : 0));
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  liveproxy::fuzz::input in(data, size);
  const auto plan = in.byte();
  const std::string_view page = in.rest();

  const auto whole = inject({page});
  const auto chunked = inject(liveproxy::fuzz::chunks(page, plan));
  FUZZ_CHECK(chunked.out == whole.out);
  FUZZ_CHECK(chunked.state == whole.state);

  const std::string page_lower = lower(page);
  if (whole.state == html_injector::outcome::suppressed) {
    FUZZ_CHECK(whole.out == page);
    // Only a page that already loads a client is left alone.
    FUZZ_CHECK(page_lower.find("/__liveproxy/client.js") != std::string::npos ||
               page_lower.find("livereload.js") != std::string::npos);
    return 0;
  }
  // Byte by byte, the feed that places the tag tells exactly where it went (the page may contain the tag's text).
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < page.size(); ++i) bytes.push_back(page.substr(i, 1));
  const auto bytewise = inject(bytes);
  FUZZ_CHECK(bytewise.out == whole.out);
  const std::size_t at = bytewise.at == page.size() ? page.size() : bytewise.at + 1;
  FUZZ_CHECK(whole.out == std::string(page.substr(0, at)) + tag + std::string(page.substr(at)));
  if (at < page.size()) {
    // Inside the page the tag goes right after a start tag, which can only be a <head ...> or <body ...>.
    FUZZ_CHECK(page[at - 1] == '>');
    const std::string_view before = std::string_view(page_lower).substr(0, at);
    FUZZ_CHECK(before.find("<head") != std::string_view::npos || before.find("<body") != std::string_view::npos);
  }
  return 0;
}
