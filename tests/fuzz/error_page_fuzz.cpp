// The error page (proxy/browser/error_page.cpp): whatever the app printed and whatever the request's title says,
// the page carries liveproxy's script exactly once, every inserted text appears escaped, no template placeholder
// is left or made, and filling is linear (libFuzzer's -timeout would catch a page that takes long).
// Input: lines separated by '\n'; the first is the title, the second the command, the rest the output.
#include "proxy/browser/error_page.hpp"

#include "fuzz/fuzz_input.hpp"

#include <string>
#include <string_view>

using liveproxy::error_info;

namespace {

std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  liveproxy::fuzz::input in(data, size);
  error_info info;
  info.title = std::string(in.until('\n'));
  info.command = std::string(in.until('\n'));
  while (!in.empty()) info.output.emplace_back(in.until('\n'));
  const std::string tag = R"(<script src="/__liveproxy/client.js" data-token="TOKEN-0123"></script>)";
  const auto html = liveproxy::render_error_html(info, tag);
  // The script once: the template's own place, never in text the app or the request brought.
  FUZZ_CHECK(count(html, "TOKEN-0123") == 1);
  // Every line shows, escaped (colour codes become spans, so only lines without ESC are looked for whole).
  for (const auto& line : info.output)
    if (line.find('\x1b') == std::string::npos) FUZZ_CHECK(html.find(liveproxy::html_escape(line)) != std::string::npos);
  FUZZ_CHECK(html.find(liveproxy::html_escape(info.command)) != std::string::npos);
  // The page grows linearly with what was inserted (escaping at most multiplies it by a small factor).
  std::size_t inserted = info.title.size() + info.command.size();
  for (const auto& line : info.output) inserted += line.size();
  FUZZ_CHECK(html.size() <= 8 * inserted + 64 * 1024);
  return 0;
}
