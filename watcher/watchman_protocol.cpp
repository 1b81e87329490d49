// Building watchman commands by hand (they are small) and reading PDUs with simdjson's DOM.
#include "watcher/watchman_protocol.hpp"

#include "watcher/glob.hpp"

#include <simdjson.h>

#include <algorithm>

namespace liveproxy::watcher::watchman {
namespace {

bool has_glob_chars(std::string_view s) { return s.find_first_of("*?[\\") != std::string_view::npos; }

// "name/" with a plain name: a directory ignored at any depth.
bool plain_dir_pattern(std::string_view p) {
  if (p.size() < 2 || p.back() != '/' || p.front() == '!' || p.front() == '#') return false;
  const std::string_view name = p.substr(0, p.size() - 1);
  return name.find('/') == std::string_view::npos && !has_glob_chars(name);
}

// The directory-excluding term: a wholename match at any depth, dot names included.
void append_excluded(std::string& out, const std::vector<std::string>& excluded_dirs) {
  out += R"(["not",["anyof")";
  for (const auto& d : excluded_dirs) {
    out += R"(,["match",)";
    append_json_string(out, "**/" + d + "/**");
    out += R"(,"wholename",{"includedotfiles":true}])";
  }
  out += "]]";
}

void append_relative_root(std::string& out, std::string_view relative_path) {
  if (relative_path.empty()) return;
  out += R"(,"relative_root":)";
  append_json_string(out, relative_path);
}

std::string string_of(simdjson::dom::element e) {
  std::string_view v;
  return e.get(v) ? std::string() : std::string(v);
}

}  // namespace

const std::vector<std::string>& required_capabilities() {
  static const std::vector<std::string> caps = {"cmd-watch-project", "cmd-subscribe", "relative_root",
                                                "wildmatch",         "wildmatch-multislash",
                                                "term-match",        "term-type",
                                                "field-exists",      "field-type"};
  return caps;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out += "\\u00";
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

std::string version_command() {
  std::string out = R"(["version",{"required":[)";
  bool first = true;
  for (const auto& c : required_capabilities()) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, c);
  }
  out += "]}]";
  return out;
}

std::string watch_project_command(std::string_view path) {
  std::string out = R"(["watch-project",)";
  append_json_string(out, path);
  out += "]";
  return out;
}

std::string subscribe_command(std::string_view watch, std::string_view name, std::string_view relative_path,
                              const std::vector<std::string>& excluded_dirs, bool report_fresh) {
  std::string out = R"(["subscribe",)";
  append_json_string(out, watch);
  out.push_back(',');
  append_json_string(out, name);
  out += R"(,{"expression":["allof",["anyof",["type","f"],["type","l"]])";
  if (!excluded_dirs.empty()) {
    out.push_back(',');
    append_excluded(out, excluded_dirs);
  }
  out += "]";
  append_relative_root(out, relative_path);
  // defer_vcs: while git or hg holds its lock, changes wait and then arrive as one result; the
  // server's settle period (20 ms unless configured) coalesces the rest.
  out += R"(,"fields":["name","exists","new","type"],"defer_vcs":true,"dedup_results":true)";
  out += report_fresh ? R"(,"empty_on_fresh_instance":false)" : R"(,"empty_on_fresh_instance":true)";
  out += "}]";
  return out;
}

std::string unsubscribe_command(std::string_view watch, std::string_view name) {
  std::string out = R"(["unsubscribe",)";
  append_json_string(out, watch);
  out.push_back(',');
  append_json_string(out, name);
  out += "]";
  return out;
}

std::string gitignore_query(std::string_view watch, std::string_view relative_path,
                            const std::vector<std::string>& excluded_dirs) {
  std::string out = R"(["query",)";
  append_json_string(out, watch);
  out += R"(,{"expression":["allof",["type","f"],["name",".gitignore"])";
  if (!excluded_dirs.empty()) {
    out.push_back(',');
    append_excluded(out, excluded_dirs);
  }
  out += "]";
  append_relative_root(out, relative_path);
  out += R"(,"fields":["name"]}])";
  return out;
}

std::vector<std::string> excluded_dir_names(const std::vector<std::string>& default_patterns,
                                            const std::vector<std::string>& extra_globs,
                                            const std::vector<std::string>& negations) {
  std::vector<std::string> names;
  for (const auto* list : {&default_patterns, &extra_globs})
    for (const auto& p : *list)
      if (plain_dir_pattern(p)) names.push_back(p.substr(0, p.size() - 1));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  // A negation whose last component could name the directory might re-include it: leave that to our rules.
  std::erase_if(names, [&](const std::string& name) {
    return std::any_of(negations.begin(), negations.end(), [&](std::string_view neg) {
      if (!neg.empty() && neg.front() == '!') neg.remove_prefix(1);
      while (!neg.empty() && neg.back() == '/') neg.remove_suffix(1);
      const auto slash = neg.rfind('/');
      // A '[' before that '/' may open a bracket expression holding it ("*[s/x]" is one component, matching
      // "node_modules"): the last component is not known without parsing the bracket, so it may be any name.
      if (slash != std::string_view::npos && neg.substr(0, slash).find('[') != std::string_view::npos) return true;
      const std::string_view last = slash == std::string_view::npos ? neg : neg.substr(slash + 1);
      return last == "**" || glob_match(last, name);
    });
  });
  return names;
}

std::string parse_pdu(simdjson::dom::parser& parser, std::string_view text, pdu& out) {
  out = pdu{};
  simdjson::dom::element doc;
  if (const auto err = parser.parse(text.data(), text.size()).get(doc)) return simdjson::error_message(err);
  simdjson::dom::object obj;
  if (doc.get(obj)) return "not a JSON object";
  for (const auto field : obj) {
    const std::string_view key = field.key;
    const simdjson::dom::element value = field.value;
    if (key == "error") {
      out.error = string_of(value);
    } else if (key == "unilateral" || key == "log") {
      out.unilateral = true;
    } else if (key == "subscription") {
      out.subscription = string_of(value);
      out.unilateral = true;
    } else if (key == "canceled") {
      bool b = false;
      out.canceled = !value.get(b) && b;
    } else if (key == "is_fresh_instance") {
      bool b = false;
      out.fresh_instance = !value.get(b) && b;
    } else if (key == "version") {
      out.version = string_of(value);
    } else if (key == "capabilities") {
      out.has_capabilities = true;
    } else if (key == "watch") {
      out.watch = string_of(value);
    } else if (key == "relative_path") {
      out.relative_path = string_of(value);
    } else if (key == "sockname") {
      out.sockname = string_of(value);
    } else if (key == "files") {
      simdjson::dom::array files;
      if (value.get(files)) return "files is not an array";
      out.files.reserve(files.size());
      for (const auto f : files) {
        file entry;
        // With a single field the entries are bare names; with several, objects.
        std::string_view name;
        if (!f.get(name)) {
          entry.name = std::string(name);
          out.files.push_back(std::move(entry));
          continue;
        }
        simdjson::dom::object o;
        if (f.get(o)) return "a files entry is neither a name nor an object";
        if (o["name"].get(name)) return "a files entry has no name";
        entry.name = std::string(name);
        bool exists = true;
        if (!o["exists"].get(exists)) entry.exists = exists;
        bool is_new = false;
        if (!o["new"].get(is_new)) entry.is_new = is_new;
        std::string_view type;
        if (!o["type"].get(type) && !type.empty()) entry.type = type.front();
        out.files.push_back(std::move(entry));
      }
    }
  }
  return {};
}

}  // namespace liveproxy::watcher::watchman
