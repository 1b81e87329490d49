// liveproxy.json (proxy/settings/config_file.cpp): any file is applied or refused with a config_error (never another
// exception), a refused file leaves the config as it was, the place an error names is inside the file, and
// "invalid JSON" is said exactly when json::parse (the one judge of what is JSON) refuses the text, at the place it
// names. simdjson, an independent parser, checks the judge: what simdjson reads, json::parse reads too (simdjson
// refuses some JSON the grammar allows: numbers beyond a double, half a surrogate pair). Input: the file's text.
#include "proxy/settings/config_file.hpp"
#include "proxy/settings/reload_plan.hpp"
#include "proxy/settings/json_document.hpp"

#include "fuzz/fuzz_input.hpp"

#include <arpa/inet.h>
#include <stdlib.h>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace fs = std::filesystem;
using liveproxy::config;
using liveproxy::config_error;

namespace {

/// A scratch project for the file: "watch" and "serve" name folders relative to it, and these two exist.
class scratch_project {
 public:
  scratch_project() {
    char name[] = "/tmp/liveproxy-config-fuzz-XXXXXX";
    if (!::mkdtemp(name)) liveproxy::fuzz::violated("mkdtemp", __FILE__, __LINE__);
    dir_ = name;
    fs::create_directories(dir_ / "src");
    fs::create_directories(dir_ / "public");
  }
  ~scratch_project() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

/// A "host" that is a name would be looked up in DNS: slow, and not the parser's business. Addresses and
/// "localhost" are resolved without the network and stay in.
bool needs_dns(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(simdjson::padded_string(text)).get(root) != simdjson::SUCCESS)
    return text.find("host") != std::string_view::npos || text.find("\\u") != std::string_view::npos;
  for (const auto field : root) {
    std::string_view host;
    if (field.key != "host" || field.value.get(host) != simdjson::SUCCESS) continue;
    const std::string h(host);
    unsigned char address[16];
    if (h != "localhost" && ::inet_pton(AF_INET, h.c_str(), address) != 1 && ::inet_pton(AF_INET6, h.c_str(), address) != 1)
      return true;
  }
  return false;
}

/// "<file>:<line>:<col>: <what>" must name a place in the text: a line it has, a column up to one past its end.
/// Returns <what> ("" for the messages without a place: "<file>: cannot read ...", "larger than 1 MiB").
std::string_view checked_what(const std::string& message, const std::string& file, std::string_view text) {
  FUZZ_CHECK(message.starts_with(file + ":"));
  const char* p = message.c_str() + file.size() + 1;
  char* end = nullptr;
  const unsigned long line = std::strtoul(p, &end, 10);
  if (end == p || *end != ':') return {};
  const unsigned long column = std::strtoul(end + 1, &end, 10);
  FUZZ_CHECK(end[0] == ':' && end[1] == ' ');
  FUZZ_CHECK(line >= 1 && column >= 1);
  unsigned long l = 1, width = 0;
  for (const char c : text) {
    if (l == line && c != '\n' && (static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
    if (c == '\n') ++l;
  }
  FUZZ_CHECK(line <= l);
  FUZZ_CHECK(column <= width + 1);
  return std::string_view(message).substr(static_cast<std::size_t>(end + 2 - message.c_str()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (needs_dns(text)) return 0;
  static const scratch_project project;
  const fs::path file = project.dir() / "liveproxy.json";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    FUZZ_CHECK(out.good());
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // the reader skips a byte order mark

  const config before;
  config cfg = before;
  std::string error;
  try {
    liveproxy::apply_config_file(cfg, file);
  } catch (const config_error& e) {
    error = e.what();
    FUZZ_CHECK(!error.empty());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception: %s\n", e.what());
    liveproxy::fuzz::violated("only config_error leaves apply_config_file", __FILE__, __LINE__);
  }

  const auto parsed = liveproxy::json::parse(text);
  FUZZ_CHECK(parsed.root.has_value() != parsed.error.has_value());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const bool simdjson_reads = parser.parse(simdjson::padded_string(text)).get(doc) == simdjson::SUCCESS;
  if (simdjson_reads && !parsed.root) FUZZ_CHECK(parsed.error->what == "nested too deeply");
  if (error.empty()) {
    FUZZ_CHECK(parsed.root);
    return 0;
  }
  // A refused file changes nothing.
  FUZZ_CHECK(liveproxy::changed_settings(before, cfg).empty());
  // The message goes to a terminal: no control character of the file's reaches it (C0, DEL, C1).
  for (std::size_t i = 0; i < error.size(); ++i) {
    const auto c = static_cast<unsigned char>(error[i]);
    FUZZ_CHECK(c >= 0x20 && c != 0x7F);
    if (c == 0xC2 && i + 1 < error.size()) FUZZ_CHECK(static_cast<unsigned char>(error[i + 1]) > 0x9F);
  }
  const auto what = checked_what(error, file.string(), text);
  if (parsed.error) {
    FUZZ_CHECK(error == file.string() + ":" + liveproxy::json::position_text(text, parsed.error->offset) +
                            ": invalid JSON: " + parsed.error->what);
  } else {
    FUZZ_CHECK(!what.starts_with("invalid JSON"));
  }
  return 0;
}
