// liveproxy.json: parsed by json_document (the one judge of what is JSON, with places), then one check per key,
// all on a copy of the config that is assigned only when the whole file is good.
#include "proxy/settings/config_file.hpp"

#include "proxy/base/edit_distance.hpp"
#include "proxy/base/terminal_text.hpp"
#include "proxy/settings/json_document.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <system_error>

#include "proxy/base/net.hpp"

namespace liveproxy {
namespace {

// A configuration file is a page of settings; anything this large is the wrong file.
constexpr std::size_t max_file_size = 1 << 20;

// Longest waits "settle_ms" and "coalesce_ms" accept, as --settle and --coalesce do.
constexpr int max_wait_ms = 10'000;

constexpr std::array<std::string_view, 30> keys{{
    "$schema",
    "command",
    "upstream",
    "serve",
    "port",
    "host",
    "app_port",
    "watch",
    "ignore",
    "rules",
    "backend",
    "poll_ms",
    "settle_ms",
    "coalesce_ms",
    "hold_timeout",
    "start_timeout",
    "idle_timeout",
    "header_timeout",
    "max_connections",
    "env",
    "restart_on_crash",
    "fd",
    "preload",
    "speculative_restart",
    "upstream_insecure",
    "upstream_host",
    "upstream_grace_ms",
    "spa",
    "dotfiles",
    "allowed_hosts",
}};

// ---------------------------------------------------------------------------------------------------------
// Suggestions.

/// The closest of candidates to word, if it is close: two edits at most, fewer than the word's length. The
/// word is compared as written and as a command-line option would be ("--hold-timeout" -> hold_timeout), and
/// against each candidate without its unit ("settle" -> settle_ms).
std::optional<std::string_view> closest(std::string_view word, std::span<const std::string_view> candidates) {
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

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string one_of(std::span<const std::string_view> names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + in_quotes(names[i]);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Reading the settings.

constexpr std::array<std::string_view, 3> backends{{"inotify", "poll", "watchman"}};
constexpr std::array<std::string_view, 4> actions{{"restart", "reload", "css", "ignore"}};
constexpr std::array<std::string_view, 2> rule_keys{{"glob", "action"}};

class file_reader {
 public:
  file_reader(const std::filesystem::path& file, std::string_view text)
      : file_(file), text_(text), base_dir_(std::filesystem::absolute(file).parent_path()) {}

  /// The message is made printable here, once: it quotes keys and values ("\u001b[2J" unescaped is an ESC).
  [[noreturn]] void fail(std::size_t offset, const std::string& what) const {
    throw config_error(printable(file_.string() + ":" + json::position_text(text_, offset) + ": " + what));
  }

  void apply(const json::node& root, config& cfg) {
    if (root.type != json::node::kind::object)
      fail(root.offset, "the file must hold a JSON object { \"key\": value, ... }, not " + shown(root));
    for (const auto& m : root.members) {
      if (const auto [it, fresh] = seen_.emplace(m.key, m.key_offset); !fresh)
        fail(m.key_offset, in_quotes(m.key) + " is given twice (first at " + json::position_text(text_, it->second) + ")");
      apply_key(m, cfg);
    }
    check_combinations(cfg);
  }

 private:
  static std::string shown(const json::node& n) {
    switch (n.type) {
      case json::node::kind::array:
        return "an array";
      case json::node::kind::object:
        return "an object";
      default:
        return n.raw.size() > 60 ? n.raw.substr(0, 57) + "..." : n.raw;
    }
  }
  static std::string got(const json::node& n) { return " (got " + shown(n) + ")"; }

  const std::string& string_of(const json::node& n, const std::string& name, std::string_view what) const {
    if (n.type != json::node::kind::string) fail(n.offset, in_quotes(name) + " must be " + std::string(what) + got(n));
    if (n.text.find('\0') != std::string::npos) fail(n.offset, in_quotes(name) + " contains a NUL character (\\u0000)");
    return n.text;
  }
  const std::string& nonempty_string_of(const json::node& n, const std::string& name, std::string_view what) const {
    const auto& s = string_of(n, name, what);
    if (s.empty()) fail(n.offset, in_quotes(name) + " must be " + std::string(what) + ", not empty");
    return s;
  }
  bool bool_of(const json::node& n, const std::string& name) const {
    if (n.type != json::node::kind::boolean) fail(n.offset, in_quotes(name) + " must be true or false" + got(n));
    return n.boolean;
  }
  long whole_number(const json::node& n, const std::string& name, std::string_view unit, long lo, long hi) const {
    if (n.type != json::node::kind::number || !n.integral || n.number < static_cast<double>(lo) ||
        n.number > static_cast<double>(hi))
      fail(n.offset, in_quotes(name) + " must be a whole number" + std::string(unit) + " from " + std::to_string(lo) +
                         " to " + std::to_string(hi) + got(n));
    return static_cast<long>(n.number);
  }
  std::chrono::milliseconds milliseconds(const json::node& n, const std::string& name, long hi) const {
    return std::chrono::milliseconds(whole_number(n, name, " of milliseconds", 0, hi));
  }
  std::chrono::milliseconds seconds(const json::node& n, const std::string& name) const {
    if (n.type != json::node::kind::number) fail(n.offset, in_quotes(name) + " must be a number of seconds" + got(n));
    if (!(n.number >= 0.001 && n.number <= 86400))
      fail(n.offset, in_quotes(name) + " must be a number of seconds from 0.001 to 86400" + got(n));
    return std::chrono::milliseconds(std::llround(n.number * 1000));
  }
  template <std::size_t N>
  std::string_view choice(const json::node& n, const std::string& name,
                          const std::array<std::string_view, N>& names) const {
    if (n.type == json::node::kind::string)
      for (const auto c : names)
        if (n.text == c) return c;
    std::string what = in_quotes(name) + " must be " + one_of(names) + got(n);
    if (n.type == json::node::kind::string)
      if (const auto near = closest(n.text, names)) what += ": did you mean " + in_quotes(*near) + "?";
    fail(n.offset, what);
  }
  const std::vector<json::node>& array_of(const json::node& n, const std::string& name, std::string_view what) const {
    if (n.type != json::node::kind::array) fail(n.offset, in_quotes(name) + " must be " + std::string(what) + got(n));
    return n.items;
  }
  std::vector<std::string> strings_of(const json::node& n, const std::string& name, std::string_view what,
                                      std::string_view item_what) const {
    std::vector<std::string> out;
    const auto& items = array_of(n, name, what);
    for (std::size_t i = 0; i < items.size(); ++i)
      out.push_back(nonempty_string_of(items[i], name + "[" + std::to_string(i) + "]", item_what));
    return out;
  }
  /// A directory named relative to the file's own directory, made canonical.
  std::filesystem::path directory(const json::node& n, const std::string& name) const {
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
  std::string unknown_key(std::string_view key, std::span<const std::string_view> known, std::string_view where) const {
    std::string what = "unknown key " + in_quotes(key) + std::string(where);
    if (key == "restart" || key == "reload" || key == "css" || key == "no-restart" || key == "no_restart")
      return what + ": classification rules go in \"rules\": [{\"glob\": \"...\", \"action\": \"" +
             (key.starts_with("no") ? std::string("ignore") : std::string(key)) + "\"}]";
    if (key == "watchman" || key == "inotify") return what + ": did you mean \"backend\": " + in_quotes(key) + "?";
    if (const auto near = closest(key, known)) what += ": did you mean " + in_quotes(*near) + "?";
    return what;
  }

  void apply_key(const json::member& m, config& cfg) {
    const std::string& key = m.key;
    const json::node& v = m.value;
    if (key == "$schema") {
      string_of(v, key, "a string (the schema's location, for editors)");
    } else if (key == "command") {
      if (v.type == json::node::kind::string) {
        const auto& line = string_of(v, key, "");
        if (line.find_first_not_of(" \t\n") == std::string::npos)
          fail(v.offset, "\"command\" is empty: name the program to run");
        // The shell form, as in a Dockerfile: one line for /bin/sh (quotes, $VARS, &&).
        cfg.app_command = {"/bin/sh", "-c", line};
      } else {
        const auto& items = array_of(v, key,
                                     "the program and its arguments, [\"python3\", \"app.py\"], or one string "
                                     "for /bin/sh -c");
        if (items.empty()) fail(v.offset, "\"command\" is empty: name the program to run");
        std::vector<std::string> argv;
        for (std::size_t i = 0; i < items.size(); ++i) {
          const auto name = key + "[" + std::to_string(i) + "]";
          argv.push_back(i == 0 ? nonempty_string_of(items[i], name, "the program to run (a string)")
                                : string_of(items[i], name, "a string"));
        }
        cfg.app_command = std::move(argv);
      }
      cfg.js_runs_on_server = runs_server_javascript(cfg.app_command);
      mode(key, m.key_offset);
    } else if (key == "upstream") {
      const auto& text = nonempty_string_of(v, key, "a URL such as \"http://127.0.0.1:8000\"");
      try {
        cfg.upstream = parse_upstream_url(text);
      } catch (const std::invalid_argument& e) {
        fail(v.offset, "\"upstream\": " + in_quotes(text) + ": " + e.what());
      }
      mode(key, m.key_offset);
    } else if (key == "serve") {
      cfg.serve_dir = directory(v, key);
      mode(key, m.key_offset);
    } else if (key == "port") {
      cfg.port = static_cast<std::uint16_t>(whole_number(v, key, "", 0, 65535));
      cfg.port_given = true;
    } else if (key == "host") {
      const auto& host = nonempty_string_of(v, key, "an address or a host name (a string)");
      const auto address = resolve_host_address(host);
      if (address.empty())
        fail(v.offset, "\"host\": " + in_quotes(host) + " is not an address, and the name does not resolve");
      cfg.host = address;
    } else if (key == "app_port") {
      cfg.app_port = static_cast<std::uint16_t>(whole_number(v, key, "", 1, 65535));
      cfg.app_port_given = true;
    } else if (key == "watch") {
      const auto& items = array_of(v, key, "an array of directories, such as [\"src\", \"templates\"]");
      if (items.empty()) fail(v.offset, "\"watch\" is empty: name at least one directory, such as [\".\"]");
      std::vector<std::filesystem::path> dirs;
      for (std::size_t i = 0; i < items.size(); ++i)
        dirs.push_back(directory(items[i], key + "[" + std::to_string(i) + "]"));
      cfg.watch_dirs = std::move(dirs);
    } else if (key == "allowed_hosts") {
      const auto& items = array_of(v, key, "an array of host names, such as [\"myapp.test\", \"*.example.test\"]");
      cfg.allowed_hosts.clear();
      for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string name = key + "[" + std::to_string(i) + "]";
        const auto text = nonempty_string_of(items[i], name, "a host name (a string)");
        try {
          cfg.allowed_hosts.push_back(check_allowed_host(text, in_quotes(name)));
        } catch (const config_error& e) {
          fail(items[i].offset, e.what());
        }
      }
    } else if (key == "ignore") {
      cfg.ignores =
          strings_of(v, key, "an array of gitignore-style globs, such as [\"*.log\", \"tmp/\"]", "a glob (a string)");
    } else if (key == "rules") {
      cfg.rules = rules(v);
    } else if (key == "backend") {
      backend_ = choice(v, key, backends);
      backend_offset_ = v.offset;
    } else if (key == "poll_ms") {
      poll_ms_ = std::chrono::milliseconds(whole_number(v, key, " of milliseconds", 10, 60'000));
      poll_ms_offset_ = m.key_offset;
    } else if (key == "settle_ms") {
      cfg.restart_settle = milliseconds(v, key, max_wait_ms);
    } else if (key == "coalesce_ms") {
      cfg.browser_coalesce = milliseconds(v, key, max_wait_ms);
    } else if (key == "hold_timeout") {
      cfg.hold_timeout = seconds(v, key);
    } else if (key == "start_timeout") {
      cfg.start_timeout = seconds(v, key);
    } else if (key == "idle_timeout") {
      cfg.idle_timeout = seconds(v, key);
    } else if (key == "header_timeout") {
      cfg.header_timeout = seconds(v, key);
    } else if (key == "max_connections") {
      cfg.max_connections = static_cast<std::size_t>(whole_number(v, key, "", 1, 1'000'000));
    } else if (key == "env") {
      cfg.env = environment(v);
    } else if (key == "restart_on_crash") {
      cfg.restart_on_crash = flag(m, "command");
    } else if (key == "fd") {
      cfg.socket_handoff = flag(m, "command");
    } else if (key == "preload") {
      cfg.preload = flag(m, "command");
    } else if (key == "speculative_restart") {
      cfg.speculative_restart = bool_of(m.value, m.key);
    } else if (key == "upstream_insecure") {
      cfg.upstream_insecure = flag(m, "upstream");
    } else if (key == "upstream_host") {
      cfg.upstream_host = flag(m, "upstream");
    } else if (key == "upstream_grace_ms") {
      cfg.upstream_grace = milliseconds(v, key, 60'000);
    } else if (key == "spa") {
      cfg.spa = flag(m, "serve");
    } else if (key == "dotfiles") {
      cfg.dotfiles = flag(m, "serve");
    } else {
      fail(m.key_offset, unknown_key(key, keys, ""));
    }
  }

  std::vector<watcher::classifier::rule> rules(const json::node& v) const {
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

  std::vector<std::string> environment(const json::node& v) const {
    if (v.type != json::node::kind::object)
      fail(v.offset, "\"env\" must be an object of variables, such as {\"DEBUG\": \"1\"}" + got(v));
    std::vector<std::string> out;
    std::map<std::string, std::size_t> seen;
    for (const auto& m : v.members) {
      if (m.key.empty() || m.key.find_first_of("=") != std::string::npos || m.key.find('\0') != std::string::npos)
        fail(m.key_offset, "\"env\": " + in_quotes(m.key) + " is not a variable name");
      if (const auto [it, fresh] = seen.emplace(m.key, m.key_offset); !fresh)
        fail(m.key_offset,
             in_quotes("env." + m.key) + " is given twice (first at " + json::position_text(text_, it->second) + ")");
      if (m.value.type == json::node::kind::number || m.value.type == json::node::kind::boolean)
        fail(m.value.offset,
             in_quotes("env." + m.key) + " must be a string" + got(m.value) + ": write \"" + m.value.raw + "\"");
      out.push_back(m.key + "=" + string_of(m.value, "env." + m.key, "a string"));
    }
    return out;
  }

  /// A true/false setting that belongs to one mode; remembered to check it against the file's mode.
  bool flag(const json::member& m, std::string_view its_mode) {
    const bool on = bool_of(m.value, m.key);
    if (on) mode_flags_.push_back({m.key, its_mode, m.key_offset});
    return on;
  }
  void mode(const std::string& key, std::size_t offset) { modes_.push_back({key, offset}); }

  void check_combinations(config& cfg) const {
    if (modes_.size() > 1) {
      const auto& [first, first_at] = modes_[0];
      const auto& [second, second_at] = modes_[1];
      const bool serve = first == "serve" || second == "serve";
      fail(second_at, in_quotes(second) + " and " + in_quotes(first) + " (at " + json::position_text(text_, first_at) +
                          ") exclude each other: " +
                          (serve ? "\"serve\" serves a folder without an app"
                                 : "liveproxy either runs the app or proxies one you started"));
    }
    if (!modes_.empty())
      for (const auto& f : mode_flags_)
        if (f.mode != modes_[0].first)
          fail(f.offset, in_quotes(f.key) + " goes with " + in_quotes(f.mode) + ", and this file has " +
                             in_quotes(modes_[0].first) + " (at " + json::position_text(text_, modes_[0].second) + ")");
    if (poll_ms_ && backend_ && *backend_ != "poll")
      fail(poll_ms_offset_, "\"poll_ms\" goes with \"backend\": \"poll\", and the backend here is " +
                                in_quotes(*backend_) + " (at " + json::position_text(text_, backend_offset_) + ")");
    if (backend_ || poll_ms_) {
      const auto chosen = backend_.value_or("poll");
      cfg.use_watchman = chosen == "watchman";
      if (chosen == "poll")
        cfg.poll_interval = poll_ms_.value_or(std::chrono::milliseconds(500));
      else
        cfg.poll_interval.reset();
    }
  }

  struct mode_flag {
    std::string key;
    std::string_view mode;
    std::size_t offset;
  };

  const std::filesystem::path& file_;
  std::string_view text_;
  std::filesystem::path base_dir_;
  std::map<std::string, std::size_t> seen_;
  std::vector<std::pair<std::string, std::size_t>> modes_;
  std::vector<mode_flag> mode_flags_;
  std::optional<std::string_view> backend_;
  std::size_t backend_offset_ = 0;
  std::optional<std::chrono::milliseconds> poll_ms_;
  std::size_t poll_ms_offset_ = 0;
};

/// The file's bytes. Only a regular file is read, and never by waiting: a FIFO or a device by that name would
/// block liveproxy's one thread (opened non-blocking, it is refused by its type before any read).
std::string read_whole_file(const std::filesystem::path& file) {
  const auto cannot = [&](const std::string& why) {
    return config_error(printable(file.string()) + ": cannot read: " + why);
  };
  const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw cannot(std::strerror(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw cannot(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw cannot("it is a directory");
  if (!S_ISREG(st.st_mode))
    throw cannot(std::string("it is not a regular file but ") +
                 (S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ? "a socket" : "a device") +
                 ": liveproxy reads its settings from a file only");
  const auto too_large = [&] {
    return config_error(printable(file.string()) + ": larger than 1 MiB: not a liveproxy configuration file");
  };
  if (static_cast<std::uintmax_t>(st.st_size) > max_file_size) throw too_large();
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw cannot(std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    // The size can grow while it is read (an editor writing it now).
    if (text.size() > max_file_size) throw too_large();
  }
  return text;
}

}  // namespace

std::optional<std::filesystem::path> find_config_file(const std::filesystem::path& dir) {
  auto file = dir / config_file_name;
  std::error_code ec;
  const auto status = std::filesystem::symlink_status(file, ec);
  if (ec || status.type() == std::filesystem::file_type::not_found) return std::nullopt;
  return file;
}

void apply_config_file(config& cfg, const std::filesystem::path& file) {
  std::string text = read_whole_file(file);
  // A byte order mark some editors write: not part of the JSON, and invisible in the editor's columns.
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  auto parsed = json::parse(text);
  if (parsed.error)
    throw config_error(printable(file.string()) + ":" + json::position_text(text, parsed.error->offset) +
                       ": invalid JSON: " + parsed.error->what);
  config next = cfg;
  file_reader(file, text).apply(*parsed.root, next);
  cfg = std::move(next);
}

std::span<const std::string_view> config_file_keys() { return keys; }

// ---------------------------------------------------------------------------------------------------------
// Live reloading.

reload_effect effect_of(std::string_view key) {
  if (key == "command" || key == "env" || key == "app_port" || key == "fd" || key == "preload")
    return reload_effect::restart_app;
  if (key == "watch" || key == "ignore" || key == "rules" || key == "backend" || key == "poll_ms" ||
      key == "settle_ms" || key == "coalesce_ms")
    return reload_effect::rebuild_watcher;
  if (key == "port" || key == "host" || key == "upstream" || key == "serve") return reload_effect::relaunch;
  return reload_effect::apply_live;
}

std::vector<std::string> changed_settings(const config& a, const config& b) {
  const auto backend = [](const config& c) { return c.use_watchman ? 2 : c.poll_interval ? 1 : 0; };
  const auto rules_equal = [](const config& x, const config& y) {
    return std::equal(x.rules.begin(), x.rules.end(), y.rules.begin(), y.rules.end(),
                      [](const auto& r, const auto& s) { return r.glob == s.glob && r.act == s.act; });
  };
  const auto upstream_text = [](const config& c) { return c.upstream ? c.upstream->text() : std::string(); };
  std::vector<std::string> out;
  for (const auto key : keys) {
    bool differs = false;
    if (key == "command")
      differs = a.app_command != b.app_command;
    else if (key == "upstream")
      differs = upstream_text(a) != upstream_text(b);
    else if (key == "serve")
      differs = a.serve_dir != b.serve_dir;
    else if (key == "port")
      differs = a.port != b.port;
    else if (key == "host")
      differs = a.host != b.host;
    else if (key == "app_port")
      differs = a.app_port != b.app_port;
    else if (key == "watch")
      differs = a.watch_dirs != b.watch_dirs;
    else if (key == "ignore")
      differs = a.ignores != b.ignores;
    else if (key == "allowed_hosts")
      differs = a.allowed_hosts != b.allowed_hosts;
    else if (key == "rules")
      differs = !rules_equal(a, b);
    else if (key == "backend")
      differs = backend(a) != backend(b);
    else if (key == "poll_ms")
      differs = backend(a) == 1 && backend(b) == 1 && a.poll_interval != b.poll_interval;
    else if (key == "settle_ms")
      differs = a.restart_settle != b.restart_settle;
    else if (key == "coalesce_ms")
      differs = a.browser_coalesce != b.browser_coalesce;
    else if (key == "hold_timeout")
      differs = a.hold_timeout != b.hold_timeout;
    else if (key == "start_timeout")
      differs = a.start_timeout != b.start_timeout;
    else if (key == "idle_timeout")
      differs = a.idle_timeout != b.idle_timeout;
    else if (key == "header_timeout")
      differs = a.header_timeout != b.header_timeout;
    else if (key == "max_connections")
      differs = a.max_connections != b.max_connections;
    else if (key == "env")
      differs = a.env != b.env;
    else if (key == "restart_on_crash")
      differs = a.restart_on_crash != b.restart_on_crash;
    else if (key == "fd")
      differs = a.socket_handoff != b.socket_handoff;
    else if (key == "preload")
      differs = a.preload != b.preload;
    else if (key == "speculative_restart")
      differs = a.speculative_restart != b.speculative_restart;
    else if (key == "upstream_insecure")
      differs = a.upstream_insecure != b.upstream_insecure;
    else if (key == "upstream_host")
      differs = a.upstream_host != b.upstream_host;
    else if (key == "upstream_grace_ms")
      differs = a.upstream_grace != b.upstream_grace;
    else if (key == "spa")
      differs = a.spa != b.spa;
    else if (key == "dotfiles")
      differs = a.dotfiles != b.dotfiles;
    if (differs) out.emplace_back(key);
  }
  return out;
}

reload_plan plan_reload(const config& before, const config& after) {
  reload_plan plan;
  plan.changed = changed_settings(before, after);
  // From running an app to proxying one or serving a folder (or back) changes what liveproxy is made of.
  const bool mode_changed = before.app_command.empty() != after.app_command.empty();
  for (const auto& key : plan.changed) {
    if (key == "command" && mode_changed) {
      plan.relaunch.push_back(key);
      continue;
    }
    switch (effect_of(key)) {
      case reload_effect::apply_live:
        plan.apply_live = true;
        break;
      case reload_effect::rebuild_watcher:
        plan.rebuild_watcher = true;
        break;
      case reload_effect::restart_app:
        plan.restart_app = true;
        break;
      case reload_effect::relaunch:
        plan.relaunch.push_back(key);
        break;
    }
  }
  // The built-in rules differ for a JavaScript app: its scripts restart it instead of reloading the page.
  if (runs_server_javascript(before.app_command) != runs_server_javascript(after.app_command))
    plan.rebuild_watcher = true;
  return plan;
}

std::string describe(const reload_plan& plan) {
  const auto join = [](const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i)
      out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + in_quotes(names[i]);
    return out;
  };
  std::vector<std::string> applied;
  for (const auto& key : plan.changed)
    if (std::find(plan.relaunch.begin(), plan.relaunch.end(), key) == plan.relaunch.end()) applied.push_back(key);
  std::string out;
  if (!applied.empty()) {
    out = "applied " + join(applied);
    std::vector<std::string> what;
    if (plan.restart_app) what.push_back("the app restarts");
    if (plan.rebuild_watcher) what.push_back("the watcher is rebuilt");
    if (!what.empty()) out += " (" + what[0] + (what.size() > 1 ? ", " + what[1] : "") + ")";
  }
  if (!plan.relaunch.empty()) {
    if (!out.empty()) out += "; ";
    out += join(plan.relaunch) + " cannot change while liveproxy runs: restart liveproxy to use the new " +
           (plan.relaunch.size() == 1 ? "value" : "values");
  }
  return out;
}

}  // namespace liveproxy
