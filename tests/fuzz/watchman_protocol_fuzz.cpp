// watchman's JSON protocol: any PDU text is read or refused without a crash, and what is read owns its strings;
// PDUs and commands built from any names (UTF-8, as JSON needs) carry those names exactly.
// Input: one byte of options, then text: used whole as a PDU, and split at newlines into names.
#include "watcher/watchman_protocol.hpp"

#include "fuzz/fuzz_input.hpp"

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

namespace watchman = liveproxy::watcher::watchman;

namespace {

bool same(const watchman::pdu& a, const watchman::pdu& b) {
  if (a.files.size() != b.files.size()) return false;
  for (std::size_t i = 0; i < a.files.size(); ++i) {
    const auto &x = a.files[i], &y = b.files[i];
    if (x.name != y.name || x.exists != y.exists || x.is_new != y.is_new || x.type != y.type) return false;
  }
  return a.error == b.error && a.unilateral == b.unilateral && a.subscription == b.subscription &&
         a.canceled == b.canceled && a.fresh_instance == b.fresh_instance && a.version == b.version &&
         a.has_capabilities == b.has_capabilities && a.watch == b.watch && a.relative_path == b.relative_path &&
         a.sockname == b.sockname;
}

std::string json_bool(bool b) { return b ? "true" : "false"; }

/// A command must be a JSON array whose elements [0..] are the given strings.
simdjson::dom::array parse_command(simdjson::dom::parser& parser, const std::string& command,
                                   const std::vector<std::string_view>& leading) {
  simdjson::dom::array a;
  FUZZ_CHECK(parser.parse(simdjson::padded_string(command)).get(a) == simdjson::SUCCESS);
  std::size_t i = 0;
  for (const auto e : a) {
    if (i == leading.size()) break;
    std::string_view s;
    FUZZ_CHECK(e.get(s) == simdjson::SUCCESS && s == leading[i]);
    ++i;
  }
  FUZZ_CHECK(i == leading.size());
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  liveproxy::fuzz::input in(data, size);
  const auto options = in.byte();
  const std::string_view text = in.rest();

  // Any text as a PDU. What was read stays the same after the parser reads something else.
  simdjson::dom::parser reused;
  watchman::pdu first;
  if (watchman::parse_pdu(reused, text, first).empty()) {
    watchman::pdu other, again;
    watchman::parse_pdu(reused, R"({"version":"2023.01.30.00","files":["x"]})", other);
    simdjson::dom::parser fresh;
    FUZZ_CHECK(watchman::parse_pdu(fresh, text, again).empty());
    FUZZ_CHECK(same(first, again));
  }

  // Names for PDUs and commands. JSON text is UTF-8: other bytes are not something we send or read.
  if (!simdjson::validate_utf8(text.data(), text.size())) return 0;
  std::vector<std::string_view> names;
  liveproxy::fuzz::input split(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  while (!split.empty() && names.size() < 8) names.push_back(split.until('\n'));
  while (names.size() < 3) names.push_back("");

  // A subscription result written by hand: every field arrives, entries as objects or bare names.
  std::string pdu_text = R"({"subscription":)";
  watchman::append_json_string(pdu_text, names[0]);
  pdu_text += R"(,"is_fresh_instance":)" + json_bool(options & 1) + R"(,"files":[)";
  watchman::pdu expected;
  expected.subscription = names[0];
  expected.unilateral = true;
  expected.fresh_instance = options & 1;
  for (std::size_t i = 1; i < names.size(); ++i) {
    if (i > 1) pdu_text += ",";
    watchman::file f;
    f.name = names[i];
    if ((options >> i) & 1) {
      watchman::append_json_string(pdu_text, names[i]);
    } else {
      f.exists = (options >> 4) & 1;
      f.is_new = (options >> 5) & 1;
      f.type = "fdl"[i % 3];
      pdu_text += R"({"name":)";
      watchman::append_json_string(pdu_text, names[i]);
      pdu_text += R"(,"exists":)" + json_bool(f.exists) + R"(,"new":)" + json_bool(f.is_new) + R"(,"type":")" +
                  f.type + "\"}";
    }
    expected.files.push_back(f);
  }
  pdu_text += "]}";
  watchman::pdu got;
  FUZZ_CHECK(watchman::parse_pdu(reused, pdu_text, got).empty());
  FUZZ_CHECK(same(got, expected));

  // Commands carry the names exactly.
  parse_command(reused, watchman::watch_project_command(names[0]), {"watch-project", names[0]});
  parse_command(reused, watchman::unsubscribe_command(names[0], names[1]), {"unsubscribe", names[0], names[1]});
  const std::vector<std::string> excluded(names.begin() + 2, names.end());
  const auto subscribe = parse_command(reused, watchman::subscribe_command(names[0], names[1], names[2], excluded, options & 2),
                                       {"subscribe", names[0], names[1]});
  simdjson::dom::object query;
  FUZZ_CHECK(subscribe.at(3).get(query) == simdjson::SUCCESS);
  std::string_view root;
  if (names[2].empty()) FUZZ_CHECK(query["relative_root"].error() == simdjson::NO_SUCH_FIELD);
  else FUZZ_CHECK(query["relative_root"].get(root) == simdjson::SUCCESS && root == names[2]);
  parse_command(reused, watchman::gitignore_query(names[0], names[2], excluded), {"query", names[0]});
  return 0;
}
