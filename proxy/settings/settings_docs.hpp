// What is written about the settings, from the settings table: the JSON Schema of liveproxy.json (for editors;
// `liveproxy schema`, `liveproxy init`, installed with the package) and the man page's OPTIONS section.
#pragma once

#include <string>

namespace liveproxy {

/// The JSON Schema (draft 07) of liveproxy.json: one property per key, with its description, type, range,
/// default and examples; no other property allowed.
std::string settings_schema_json();

/// The man page's option list in troff (.TP entries), one per command-line option.
std::string man_page_options();

}  // namespace liveproxy
