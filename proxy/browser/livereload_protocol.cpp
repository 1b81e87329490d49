// Hub events are JSON; they are parsed (simdjson) and re-encoded as LiveReload "reload" commands.
#include "proxy/browser/livereload_protocol.hpp"

#include "proxy/browser/event_json.hpp"

#include <simdjson.h>

namespace liveproxy::livereload {
namespace {

constexpr std::string_view protocol_7 = "http://livereload.com/protocols/official-7";

}  // namespace

bool is_hello(std::string_view message) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(simdjson::padded_string(message)).get(doc)) return false;
  std::string_view command;
  if (doc["command"].get(command) || command != "hello") return false;
  simdjson::dom::array protocols;
  if (doc["protocols"].get(protocols)) return false;
  for (auto p : protocols) {
    std::string_view name;
    if (!p.get(name) && name == protocol_7) return true;
  }
  return false;
}

std::string hello() {
  std::string out = R"({"command":"hello","protocols":[)";
  event_json::append_string(out, protocol_7);
  out += R"(],"serverName":"liveproxy"})";
  return out;
}

std::optional<std::string> translate(std::string_view event) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(simdjson::padded_string(event)).get(doc)) return std::nullopt;
  std::string_view type;
  if (doc["type"].get(type)) return std::nullopt;
  std::string_view path;
  if (type == "css") {
    if (doc["path"].get(path)) return std::nullopt;
  } else if (type != "reload") {
    return std::nullopt;
  }
  // An empty path makes livereload.js reload the page; a stylesheet or image path swaps it live.
  std::string out = R"({"command":"reload","path":)";
  event_json::append_string(out, path);
  out += R"(,"liveCSS":true,"liveImg":true})";
  return out;
}

}  // namespace liveproxy::livereload
