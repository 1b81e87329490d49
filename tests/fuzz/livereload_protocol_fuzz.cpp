// The LiveReload side of the reload socket: any message a browser sends is judged without a crash, and every
// message we send (our events, their LiveReload translation) is valid JSON in valid UTF-8, as a WebSocket text
// frame must be, carrying the path it was given. Input: the text, used as a browser message, an event and a path.
#include "proxy/browser/event_json.hpp"
#include "proxy/browser/livereload_protocol.hpp"

#include "fuzz/fuzz_input.hpp"

#include <simdjson.h>

#include <string>
#include <string_view>

namespace livereload = liveproxy::livereload;
namespace event_json = liveproxy::event_json;

namespace {

/// Parses a message we send; every one must be a JSON object (the parser checks UTF-8 too).
simdjson::dom::element parse_sent(simdjson::dom::parser& parser, const std::string& message) {
  simdjson::dom::element doc;
  FUZZ_CHECK(parser.parse(simdjson::padded_string(message)).get(doc) == simdjson::SUCCESS);
  FUZZ_CHECK(doc.is_object());
  return doc;
}

void check_reload_command(simdjson::dom::parser& parser, const std::string& command, std::string_view path) {
  const auto doc = parse_sent(parser, command);
  std::string_view name, sent_path;
  bool live_css = false;
  FUZZ_CHECK(doc["command"].get(name) == simdjson::SUCCESS && name == "reload");
  FUZZ_CHECK(doc["path"].get(sent_path) == simdjson::SUCCESS && sent_path == path);
  FUZZ_CHECK(doc["liveCSS"].get(live_css) == simdjson::SUCCESS && live_css);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  simdjson::dom::parser parser;

  // A browser's message: a verdict, whatever it is. A hello offering this text as its protocol is one only
  // when the text names protocol 7.
  livereload::is_hello(text);
  if (simdjson::validate_utf8(text.data(), text.size())) {
    std::string hello = R"({"command":"hello","protocols":[)";
    event_json::append_string(hello, text);
    hello += "]}";
    FUZZ_CHECK(livereload::is_hello(hello) == (text == "http://livereload.com/protocols/official-7"));
  }

  // A hub event (ours are JSON; this one may be anything): translated or dropped.
  if (const auto command = livereload::translate(text)) {
    simdjson::dom::element event;
    FUZZ_CHECK(parser.parse(simdjson::padded_string(text)).get(event) == simdjson::SUCCESS);
    std::string_view type, path;
    FUZZ_CHECK(event["type"].get(type) == simdjson::SUCCESS);
    if (type == "css") FUZZ_CHECK(event["path"].get(path) == simdjson::SUCCESS);
    const std::string path_copy(path);  // the next parse reuses the parser's strings
    check_reload_command(parser, *command, path_copy);
  }

  // The text as a changed file's path: our event and its translation carry it, valid JSON whatever the bytes.
  const bool utf8 = simdjson::validate_utf8(text.data(), text.size());
  const std::string css = event_json::css(text);
  const auto doc = parse_sent(parser, css);
  std::string_view path;
  FUZZ_CHECK(doc["path"].get(path) == simdjson::SUCCESS);
  // A name that is not UTF-8 cannot be sent as it is; one that is arrives exactly.
  if (utf8) FUZZ_CHECK(path == text);
  const std::string sent_path(path);
  const auto command = livereload::translate(css);
  FUZZ_CHECK(command.has_value());
  check_reload_command(parser, *command, sent_path);

  const std::string hello = event_json::hello(text, size);
  std::string_view instance;
  FUZZ_CHECK(parse_sent(parser, hello)["instance"].get(instance) == simdjson::SUCCESS);
  if (utf8) FUZZ_CHECK(instance == text);
  return 0;
}
