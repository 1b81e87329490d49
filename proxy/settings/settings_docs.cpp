// The schema and the man page's options, written from the settings table.
#include "proxy/settings/settings_docs.hpp"

#include "proxy/settings/settings_table.hpp"

namespace liveproxy {
namespace {

std::string json_text(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c == '\n' ? ' ' : c);
  }
  return out + "\"";
}

/// The help text as one line, for where --help's line breaks mean nothing.
std::string one_line(const std::string& help) {
  std::string out = help;
  for (auto& c : out)
    if (c == '\n') c = ' ';
  return out;
}

/// troff: a leading '.' or '\'' would be a request, '\' an escape, '-' a hyphen rather than a minus.
std::string troff(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out.push_back(c);
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

}  // namespace

std::string settings_schema_json() {
  std::string out = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "liveproxy.json",
  "description": "Configuration of liveproxy, the dev-server reverse proxy with browser live reload. Everything the command line says can be said here; options given on the command line win over the file. Relative paths are relative to this file's directory. liveproxy reads the file again when it changes and keeps the old settings if the new file is broken.",
  "type": "object",
  "additionalProperties": false,
  "properties": {)";
  bool first = true;
  for (const auto& s : settings_table()) {
    if (s.key.empty() || !s.from_json) continue;
    out += std::string(first ? "" : ",") + "\n    " + json_text(s.key) + ": {\n      \"description\": " +
           json_text(s.description.empty() ? one_line(s.help) : s.description) + ",\n      " + s.schema + "\n    }";
    first = false;
  }
  return out + "\n  }\n}\n";
}

std::string man_page_options() {
  std::string out;
  for (const auto& s : settings_table()) {
    if (s.option.empty() || (s.help.empty() && s.description.empty())) continue;
    out += ".TP\n.B " + troff(s.option == "--help" ? "-h, --help" : s.option);
    if (!s.metavar.empty()) out += " \\fI" + troff(s.metavar) + "\\fR";
    // The longer description where there is one (the schema's); --help's short line otherwise.
    out += "\n" + troff(s.description.empty() ? one_line(s.help) : s.description);
    if (!s.key.empty()) out += " (liveproxy.json: \\fB" + troff(s.key) + "\\fR)";
    out += "\n";
  }
  return out;
}

}  // namespace liveproxy
