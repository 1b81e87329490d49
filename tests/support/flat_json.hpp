// A tiny reader for the flat JSON objects tests see (reload messages, echoed headers); not a general parser.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace liveproxy::test {

/// Members of a JSON object. Strings are unescaped; numbers, true/false/null, arrays and nested
/// objects are kept as their raw JSON text.
using flat_json = std::map<std::string, std::string>;

/// Parses one JSON object (whitespace allowed around it). nullopt if it is not valid JSON of that shape.
std::optional<flat_json> parse_flat_json(std::string_view text);

/// The member whose key equals key ignoring ASCII case (for echoed HTTP header names).
std::optional<std::string> find_ignoring_case(const flat_json& object, std::string_view key);

}  // namespace liveproxy::test
