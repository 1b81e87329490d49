// Reading one liveproxy.json: each member through its row of the settings table, every value checked where it
// is, and what the file makes contradictory checked once it has been read whole.
#include "proxy/settings/json_reader.hpp"

#include "proxy/base/edit_distance.hpp"
#include "proxy/base/terminal_text.hpp"
#include "proxy/settings/settings_table.hpp"
#include "watcher/watcher.hpp"

#include <cctype>
#include <cmath>

namespace liveproxy {
namespace {

constexpr std::string_view actions[] = {"restart", "reload", "css", "ignore"};
constexpr std::string_view rule_keys[] = {"glob", "action"};

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string one_of(std::span<const std::string_view> names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + in_quotes(names[i]);
  return out;
}

// GCC 12 warns (-Warray-bounds, -Wstringop-overread) about std::string's inlined small-string copies here, a known false positive
// (GCC bug 105329); the warning is off for these few lines only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overread"
#endif
std::string shown(const json::node& n) {
  switch (n.type) {
    case json::node::kind::array:
      return "an array";
    case json::node::kind::object:
      return "an object";
    default:
      return n.raw.size() > 60 ? n.raw.substr(0, 57) + "..." : n.raw;
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

std::string got(const json::node& n) { return " (got " + shown(n) + ")"; }

}  // namespace

std::optional<std::string_view> closest_name(std::string_view word, std::span<const std::string_view> candidates) {
  std::string normal(word);
  normal.erase(0, normal.find_first_not_of('-'));
  for (auto& c : normal) c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  for (const auto candidate : candidates) {
    std::size_t d = std::min(edit_distance(word, candidate), edit_distance(normal, candidate));
    if (candidate.ends_with("_ms")) d = std::min(d, edit_distance(normal, candidate.substr(0, candidate.size() - 3)));
    if (d < best_distance && d < std::max<std::size_t>(word.size(), 2)) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

json_reader::json_reader(const std::filesystem::path& file, std::string_view text)
    : file_(file), text_(text), base_dir_(std::filesystem::absolute(file).parent_path()) {}

void json_reader::fail(std::size_t offset, const std::string& what) const {
  // Made printable here, once: messages quote keys and values ("\u001b[2J" unescaped is an ESC).
  throw config_error(printable(file_.string() + ":" + json::position_text(text_, offset) + ": " + what));
}

void json_reader::apply(const json::node& root, config& cfg) {
  if (root.type != json::node::kind::object)
    fail(root.offset, "the file must hold a JSON object { \"key\": value, ... }, not " + shown(root));
  std::map<std::string, std::size_t> seen;
  for (const auto& m : root.members) {
    if (const auto [it, fresh] = seen.emplace(m.key, m.key_offset); !fresh)
      fail(m.key_offset, in_quotes(m.key) + " is given twice (first at " + place(it->second) + ")");
    const setting* s = setting_for_key(m.key);
    if (!s || !s->from_json) fail(m.key_offset, unknown_key(m.key, config_file_keys(), ""));
    s->from_json(*s, cfg, *this, m);
  }
  check_combinations(cfg);
}

const std::string& json_reader::string_of(const json::node& n, const std::string& name, std::string_view what) const {
  if (n.type != json::node::kind::string) fail(n.offset, in_quotes(name) + " must be " + std::string(what) + got(n));
  if (n.text.find('\0') != std::string::npos) fail(n.offset, in_quotes(name) + " contains a NUL character (\\u0000)");
  return n.text;
}

const std::string& json_reader::nonempty_string_of(const json::node& n, const std::string& name,
                                                   std::string_view what) const {
  const auto& s = string_of(n, name, what);
  if (s.empty()) fail(n.offset, in_quotes(name) + " must be " + std::string(what) + ", not empty");
  return s;
}

bool json_reader::bool_of(const json::node& n, const std::string& name) const {
  if (n.type != json::node::kind::boolean) fail(n.offset, in_quotes(name) + " must be true or false" + got(n));
  return n.boolean;
}

long json_reader::whole_number(const json::node& n, const std::string& name, std::string_view unit, long lo,
                               long hi) const {
  if (n.type != json::node::kind::number || !n.integral || n.number < static_cast<double>(lo) ||
      n.number > static_cast<double>(hi))
    fail(n.offset, in_quotes(name) + " must be a whole number" + std::string(unit) + " from " + std::to_string(lo) +
                       " to " + std::to_string(hi) + got(n));
  return static_cast<long>(n.number);
}

std::chrono::milliseconds json_reader::milliseconds(const json::node& n, const std::string& name, long hi) const {
  return std::chrono::milliseconds(whole_number(n, name, " of milliseconds", 0, hi));
}

std::chrono::milliseconds json_reader::seconds(const json::node& n, const std::string& name) const {
  if (n.type != json::node::kind::number) fail(n.offset, in_quotes(name) + " must be a number of seconds" + got(n));
  if (!(n.number >= 0.001 && n.number <= 86400))
    fail(n.offset, in_quotes(name) + " must be a number of seconds from 0.001 to 86400" + got(n));
  return std::chrono::milliseconds(std::llround(n.number * 1000));
}

std::string_view json_reader::choice(const json::node& n, const std::string& name,
                                     std::span<const std::string_view> names) const {
  if (n.type == json::node::kind::string)
    for (const auto c : names)
      if (n.text == c) return c;
  std::string what = in_quotes(name) + " must be " + one_of(names) + got(n);
  if (n.type == json::node::kind::string)
    if (const auto near = closest_name(n.text, names)) what += ": did you mean " + in_quotes(*near) + "?";
  fail(n.offset, what);
}

const std::vector<json::node>& json_reader::array_of(const json::node& n, const std::string& name,
                                                     std::string_view what) const {
  if (n.type != json::node::kind::array) fail(n.offset, in_quotes(name) + " must be " + std::string(what) + got(n));
  return n.items;
}

std::vector<std::string> json_reader::strings_of(const json::node& n, const std::string& name, std::string_view what,
                                                 std::string_view item_what) const {
  std::vector<std::string> out;
  const auto& items = array_of(n, name, what);
  for (std::size_t i = 0; i < items.size(); ++i)
    out.push_back(nonempty_string_of(items[i], name + "[" + std::to_string(i) + "]", item_what));
  return out;
}

std::filesystem::path json_reader::directory(const json::node& n, const std::string& name) const {
  const std::filesystem::path given = nonempty_string_of(n, name, "a directory (a string)");
  const auto full = given.is_absolute() ? given : base_dir_ / given;
  std::error_code ec;
  auto canon = std::filesystem::canonical(full, ec);
  if (ec || !std::filesystem::is_directory(canon, ec)) {
    std::string what = in_quotes(name) + ": " + in_quotes(given.string()) + " is not a directory (" +
                       full.lexically_normal().string() + ")";
    if (given.string().starts_with("~")) what += "; ~ is not expanded: give the path relative to this file";
    fail(n.offset, what);
  }
  return canon;
}

std::vector<std::filesystem::path> json_reader::directories(const json::node& n, const std::string& name) const {
  const auto& items = array_of(n, name, "an array of directories, such as [\"src\", \"templates\"]");
  if (items.empty()) fail(n.offset, in_quotes(name) + " is empty: name at least one directory, such as [\".\"]");
  std::vector<std::filesystem::path> dirs;
  for (std::size_t i = 0; i < items.size(); ++i) dirs.push_back(directory(items[i], name + "[" + std::to_string(i) + "]"));
  return dirs;
}

std::vector<std::string> json_reader::command(const json::node& v) const {
  if (v.type == json::node::kind::string) {
    const auto& line = string_of(v, "command", "");
    if (line.find_first_not_of(" \t\n") == std::string::npos)
      fail(v.offset, "\"command\" is empty: name the program to run");
    // The shell form, as in a Dockerfile: one line for /bin/sh (quotes, $VARS, &&).
    return {"/bin/sh", "-c", line};
  }
  const auto& items = array_of(v, "command",
                               "the program and its arguments, [\"python3\", \"app.py\"], or one string for /bin/sh -c");
  if (items.empty()) fail(v.offset, "\"command\" is empty: name the program to run");
  std::vector<std::string> argv;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto name = "command[" + std::to_string(i) + "]";
    argv.push_back(i == 0 ? nonempty_string_of(items[i], name, "the program to run (a string)")
                          : string_of(items[i], name, "a string"));
  }
  return argv;
}

std::vector<std::string> json_reader::allowed_hosts(const json::node& v, const std::string& name) const {
  const auto& items = array_of(v, name, "an array of host names, such as [\"myapp.test\", \"*.example.test\"]");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string item = name + "[" + std::to_string(i) + "]";
    const auto text = nonempty_string_of(items[i], item, "a host name (a string)");
    try {
      out.push_back(check_allowed_host(text, in_quotes(item)));
    } catch (const config_error& e) {
      fail(items[i].offset, e.what());
    }
  }
  return out;
}

std::vector<watcher::classifier::rule> json_reader::rules(const json::node& v) const {
  std::vector<watcher::classifier::rule> out;
  const auto& items = array_of(v, "rules", "an array of {\"glob\": \"...\", \"action\": \"...\"}, first match wins");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto name = "rules[" + std::to_string(i) + "]";
    const auto& item = items[i];
    if (item.type != json::node::kind::object)
      fail(item.offset, in_quotes(name) + " must be an object {\"glob\": \"...\", \"action\": \"...\"}" + got(item));
    const json::node* glob = nullptr;
    const json::node* act = nullptr;
    for (const auto& m : item.members) {
      const json::node** slot = m.key == "glob" ? &glob : m.key == "action" ? &act : nullptr;
      if (!slot) fail(m.key_offset, unknown_key(m.key, rule_keys, " in " + in_quotes(name)));
      if (*slot) fail(m.key_offset, in_quotes(name + "." + m.key) + " is given twice");
      *slot = &m.value;
    }
    if (!glob || !act)
      fail(item.offset,
           in_quotes(name) + " needs " + (glob ? "an \"action\": " + one_of(actions) : std::string("a \"glob\"")));
    const auto& pattern = nonempty_string_of(*glob, name + ".glob", "a gitignore-style glob (a string)");
    const auto a = choice(*act, name + ".action", actions);
    out.push_back({pattern, a == "restart"  ? watcher::action::restart
                            : a == "reload" ? watcher::action::reload
                            : a == "css"    ? watcher::action::css
                                            : watcher::action::ignore});
  }
  return out;
}

std::vector<std::string> json_reader::environment(const json::node& v) const {
  if (v.type != json::node::kind::object)
    fail(v.offset, "\"env\" must be an object of variables, such as {\"DEBUG\": \"1\"}" + got(v));
  std::vector<std::string> out;
  std::map<std::string, std::size_t> seen;
  for (const auto& m : v.members) {
    if (m.key.empty() || m.key.find_first_of("=") != std::string::npos || m.key.find('\0') != std::string::npos)
      fail(m.key_offset, "\"env\": " + in_quotes(m.key) + " is not a variable name");
    if (const auto [it, fresh] = seen.emplace(m.key, m.key_offset); !fresh)
      fail(m.key_offset,
           in_quotes("env." + m.key) + " is given twice (first at " + place(it->second) + ")");
    if (m.value.type == json::node::kind::number || m.value.type == json::node::kind::boolean)
      fail(m.value.offset,
           in_quotes("env." + m.key) + " must be a string" + got(m.value) + ": write \"" + m.value.raw + "\"");
    out.push_back(m.key + "=" + string_of(m.value, "env." + m.key, "a string"));
  }
  return out;
}

std::string json_reader::unknown_key(std::string_view key, std::span<const std::string_view> known,
                                     std::string_view where) const {
  std::string what = "unknown key " + in_quotes(key) + std::string(where);
  if (key == "restart" || key == "reload" || key == "css" || key == "no-restart" || key == "no_restart")
    return what + ": classification rules go in \"rules\": [{\"glob\": \"...\", \"action\": \"" +
           (key.starts_with("no") ? std::string("ignore") : std::string(key)) + "\"}]";
  if (key == "watchman" || key == "inotify") return what + ": did you mean \"backend\": " + in_quotes(key) + "?";
  if (const auto near = closest_name(key, known)) what += ": did you mean " + in_quotes(*near) + "?";
  return what;
}

bool json_reader::mode_flag(const json::member& m, std::string_view its_mode) {
  // Remembered to check it against the file's mode once the whole file is read.
  const bool on = bool_of(m.value, m.key);
  if (on) mode_flags_.push_back({m.key, its_mode, m.key_offset});
  return on;
}

void json_reader::check_combinations(config& cfg) const {
  if (modes_.size() > 1) {
    const auto& [first, first_at] = modes_[0];
    const auto& [second, second_at] = modes_[1];
    const bool serve = first == "serve" || second == "serve";
    fail(second_at, in_quotes(second) + " and " + in_quotes(first) + " (at " + place(first_at) +
                        ") exclude each other: " +
                        (serve ? "\"serve\" serves a folder without an app"
                               : "liveproxy either runs the app or proxies one you started"));
  }
  if (!modes_.empty())
    for (const auto& f : mode_flags_)
      if (f.mode != modes_[0].first)
        fail(f.offset, in_quotes(f.key) + " goes with " + in_quotes(f.mode) + ", and this file has " +
                           in_quotes(modes_[0].first) + " (at " + place(modes_[0].second) + ")");
  if (poll_ms_ && backend_ && *backend_ != "poll")
    fail(poll_ms_offset_, "\"poll_ms\" goes with \"backend\": \"poll\", and the backend here is " +
                              in_quotes(*backend_) + " (at " + place(backend_offset_) + ")");
  if (backend_ || poll_ms_) {
    const auto chosen = backend_.value_or("poll");
    cfg.use_watchman = chosen == "watchman";
    if (chosen == "poll")
      cfg.poll_interval = poll_ms_.value_or(watcher::default_poll_interval);
    else
      cfg.poll_interval.reset();
  }
}

}  // namespace liveproxy
