// `liveproxy wait` and `liveproxy status`: find the running liveproxy, ask it, say the answer in text.
#include "proxy/control/control_commands.hpp"

#include "proxy/control/control_client.hpp"
#include "proxy/control/mcp_stdio.hpp"
#include "proxy/control/runtime_file.hpp"
#include "proxy/settings/config.hpp"
#include "proxy/settings/config_file.hpp"
#include "proxy/base/limits.hpp"

#include <charconv>
#include <ctime>
#include <iostream>

namespace liveproxy {
namespace {

namespace fs = std::filesystem;

std::string text_of(const json::node& object, std::string_view key) {
  const auto* n = member_of(object, key);
  if (!n) return {};
  if (n->type == json::node::kind::string) return n->text;
  if (n->type == json::node::kind::number) return n->raw;
  return {};
}

long long number_of(const json::node& object, std::string_view key, long long fallback = 0) {
  const auto* n = member_of(object, key);
  return n && n->type == json::node::kind::number ? static_cast<long long>(n->number) : fallback;
}

/// "12:04:31" (local time) of an epoch in milliseconds.
std::string clock_text(long long epoch_ms) {
  const std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm local{};
  ::localtime_r(&t, &local);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &local);
  return buf;
}

/// "3 s", "4 min", "2 h" ago.
std::string age_text(long long ms) {
  const long long s = ms / 1000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  return std::to_string(s / 3600) + " h";
}

void tail_lines(std::string& out, const json::node* lines, std::size_t n, std::string_view indent) {
  if (!lines || lines->type != json::node::kind::array) return;
  const auto& items = lines->items;
  for (std::size_t i = items.size() > n ? items.size() - n : 0; i < items.size(); ++i)
    out += std::string(indent) + items[i].text + "\n";
}

/// The value of --name VALUE or --name=VALUE at argv[i] (advancing i), or nullopt when argv[i] is not it.
std::optional<std::string> option_value(int argc, char** argv, int& i, std::string_view name) {
  const std::string_view a = argv[i];
  if (a.starts_with(std::string(name) + "=")) return std::string(a.substr(name.size() + 1));
  if (a != name) return std::nullopt;
  if (i + 1 >= argc) throw std::invalid_argument(std::string(name) + " needs a value");
  return std::string(argv[++i]);
}

unsigned port_value(const std::string& v) {
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
  if (ec != std::errc{} || end != v.data() + v.size() || port == 0 || port > 65535)
    throw std::invalid_argument("--port " + v + ": a port from 1 to 65535");
  return port;
}

constexpr std::string_view control_usage =
    "usage: liveproxy wait [--port N] [--timeout S]   wait until the last edit is live; exit 0 live, 1 the app\n"
    "                                                 failed (its error printed), 124 not within S seconds\n"
    "       liveproxy status [--port N] [--json]      what the status page shows, in text (or its JSON)\n"
    "       liveproxy mcp [--port N]                  a Model Context Protocol server on stdin/stdout for\n"
    "                                                 coding agents\n"
    "They talk to the liveproxy running for this project: --port, else liveproxy.json's \"port\", else the one\n"
    "started in this directory or above it.\n";

int run_wait_or_status(bool wait, std::optional<unsigned> port_given, double timeout, bool as_json) {
  std::error_code ec;
  const auto here = fs::current_path(ec);
  std::string how;
  const auto port = find_liveproxy_port(port_given, here, how);
  if (!port) {
    std::cerr << not_running_text(how, here);
    return wait_exit::not_running;
  }
  const auto millis = std::chrono::milliseconds(static_cast<long long>(timeout * 1000));
  const std::string target =
wait ? "/__liveproxy/wait?timeout=" + std::to_string(timeout) : "/__liveproxy/status.json";
  // The server answers at its own timeout; ours is later, for a busy machine.
  const auto answer = control_request(*port, false, target, wait ? millis + std::chrono::seconds(10) : std::chrono::seconds(10));
  if (!answer.ok()) {
    std::cerr << not_running_text("nothing answers on port " + std::to_string(*port) + " (" + how + "): " + answer.error,
                                  here);
    return wait_exit::not_running;
  }
  if (answer.status != 200) {
    std::cerr << "liveproxy on port " << *port << " answered " << answer.status << ": " << answer.body;
    return wait_exit::not_running;
  }
  if (as_json) {
    std::cout << answer.body << "\n";
    if (!wait) return 0;
  }
  const auto doc = json::parse(answer.body);
  if (!doc.root || doc.root->type != json::node::kind::object) {
    std::cerr << "liveproxy on port " << *port << " answered something that is not its JSON\n";
    return wait_exit::not_running;
  }
  if (!wait) {
    std::cout << status_text(*doc.root);
    return 0;
  }
  const auto outcome = describe_wait(*doc.root);
  if (!as_json) (outcome.exit_status == wait_exit::live ? std::cout : std::cerr) << outcome.text;
  return outcome.exit_status;
}

}  // namespace

const json::node* member_of(const json::node& object, std::string_view key) {
  if (object.type != json::node::kind::object) return nullptr;
  for (const auto& m : object.members)
    if (m.key == key) return &m.value;
  return nullptr;
}

std::optional<unsigned> find_liveproxy_port(std::optional<unsigned> given, const fs::path& dir, std::string& how) {
  if (given) {
    how = "--port";
    return given;
  }
  if (const auto file = find_config_file(dir)) {
    config c;
    try {
      apply_config_file(c, *file);
      if (c.port_given && c.port != 0) {
        how = "\"port\" in " + file->string();
        return c.port;
      }
    } catch (const config_error&) {
      // A broken file is the running liveproxy's to report; the runtime file may still say where it is.
    }
  }
  if (const auto running = find_running(dir)) {
    how = "liveproxy " + std::to_string(running->pid) + " started in " + running->project;
    return running->port;
  }
  how = "no liveproxy was started in " + dir.string() + " or a directory above it";
  return std::nullopt;
}

std::string not_running_text(const std::string& why, const fs::path& dir) {
  return "liveproxy is not running here: " + why + ".\nStart it in " + dir.string() +
         " with `liveproxy` (in another terminal), or say where it runs with --port N.\n";
}

wait_outcome describe_wait(const json::node& answer, std::size_t output_lines) {
  wait_outcome out;
  const auto* settled = member_of(answer, "settled");
  const auto* error = member_of(answer, "error");
  const auto* app = member_of(answer, "app");
  const std::string state = app ? text_of(*app, "state") : "";
  if (!settled || settled->type != json::node::kind::boolean || !settled->boolean) {
    out.exit_status = wait_exit::timed_out;
    out.text = "not live after " + std::to_string(number_of(answer, "waited_ms") / 1000) + " s: the app is " +
               (state.empty() ? "not settled" : state) + " (liveproxy wait --timeout S waits longer)\n";
    return out;
  }
  if (error && error->type == json::node::kind::object) {
    out.exit_status = wait_exit::app_failed;
    const auto headline = text_of(*error, "headline");
    const auto where = text_of(*error, "where");
    const auto name = text_of(*error, "app");
    out.text = (name.empty() || name == "app" ? std::string("the app") : name) + " failed: " +
               (headline.empty() ? text_of(*error, "title") : headline) + "\n";
    if (!where.empty()) out.text += "  at " + where + "\n";
    if (const auto* frames = member_of(*error, "frames"); frames && frames->type == json::node::kind::array)
      for (const auto& f : frames->items)
        if (f.text != where) out.text += "  from " + f.text + "\n";
    if (headline.empty() && !text_of(*error, "cause").empty()) out.text += "  " + text_of(*error, "cause") + "\n";
    out.text += "last output:\n";
    tail_lines(out.text, member_of(*error, "output"), output_lines, "  ");
    return out;
  }
  out.text = "live: the app is " + (state.empty() ? std::string("running") : state);
  if (app && member_of(*app, "pid")) out.text += " (pid " + text_of(*app, "pid") + ")";
  if (const auto* changes = member_of(answer, "changes"); changes && changes->type == json::node::kind::array &&
                                                          !changes->items.empty()) {
    const auto& last = changes->items.back();
    if (!member_of(last, "before_wait")) {
      out.text += "; " + text_of(last, "files") + ": " + text_of(last, "action");
      if (const auto outcome = text_of(last, "outcome"); !outcome.empty()) out.text += ", " + outcome;
    }
  }
  out.text += "\n";
  return out;
}

std::string status_text(const json::node& status, std::size_t output_lines) {
  std::string out;
  const auto now = number_of(status, "now");
  out += "liveproxy " + text_of(status, "url");
  if (const auto target = text_of(status, "target"); !target.empty()) out += " -> " + target;
  out += "   (up " + age_text(now - number_of(status, "since")) + ", " + std::to_string(number_of(status, "tabs")) +
         " tabs)\n";
  if (const auto* app = member_of(status, "app")) {
    out += "app: " + text_of(*app, "state");
    if (member_of(*app, "pid")) out += ", pid " + text_of(*app, "pid") + ", run " + text_of(*app, "run");
    if (member_of(*app, "start_ms")) out += ", last start " + text_of(*app, "start_ms") + " ms";
    if (const auto exit = text_of(*app, "exit"); !exit.empty() && text_of(*app, "state") != "running")
      out += " (" + exit + ")";
    out += "\n";
    if (const auto prompt = text_of(*app, "prompt"); !prompt.empty()) out += "  waiting at " + prompt + "\n";
    if (const auto* e = member_of(*app, "error"))
      out += "  error: " + text_of(*e, "headline") +
             (text_of(*e, "where").empty() ? "" : " (" + text_of(*e, "where") + ")") + "\n";
    out += "  " + text_of(*app, "command") + "\n";
  }
  if (const auto held = number_of(status, "held")) out += std::to_string(held) + " requests waiting for the app\n";
  if (const auto* apps = member_of(status, "apps"); apps && apps->type == json::node::kind::array) {
    out += "apps:\n";
    for (const auto& a : apps->items) {
      std::string line = "  " + text_of(a, "name") + ": " + text_of(a, "state");
      if (member_of(a, "pid")) line += ", pid " + text_of(a, "pid");
      const auto routes = text_of(a, "routes");
      line += routes.empty() ? ", a side process" : ", " + routes;
      if (const auto last = text_of(a, "last"); !last.empty()) line += "; " + last;
      out += line + "\n";
    }
  }
  if (const auto* watch = member_of(status, "watch")) {
    out += "watching (" + text_of(*watch, "backend") + "):";
    if (const auto* roots = member_of(*watch, "roots"); roots && roots->type == json::node::kind::array)
      for (const auto& r : roots->items)
        out += " " + text_of(r, "path") + " (" + text_of(r, "files") + " files)";
    out += "\n";
  }
  if (const auto* actions = member_of(status, "actions"); actions && actions->type == json::node::kind::array &&
                                                          !actions->items.empty()) {
    out += "recent changes:\n";
    // Newest first in the JSON; the five newest, oldest first, as a terminal reads.
    const std::size_t n = std::min<std::size_t>(actions->items.size(), 5);
    for (std::size_t i = n; i-- > 0;) {
      const auto& a = actions->items[i];
      out += "  " + clock_text(number_of(a, "at")) + "  " + text_of(a, "files") + ": " + text_of(a, "action");
      if (const auto outcome = text_of(a, "outcome"); !outcome.empty()) out += ", " + outcome;
      out += "\n";
    }
  }
  if (const auto* console = member_of(status, "console"); console && console->type == json::node::kind::array &&
                                                          !console->items.empty()) {
    out += "browser console:\n";
    const std::size_t n = std::min<std::size_t>(console->items.size(), 5);
    for (std::size_t i = n; i-- > 0;)
      out += "  " + text_of(console->items[i], "level") + ": " + text_of(console->items[i], "text") + "\n";
  }
  if (const auto* output = member_of(status, "output"); output && output->type == json::node::kind::array &&
                                                        !output->items.empty()) {
    out += "output:\n";
    tail_lines(out, output, output_lines, "  ");
  }
  return out;
}

int run_control_command(int argc, char** argv, const std::string& version) {
  const std::string_view sub = argv[1];
  std::optional<unsigned> port;
  double timeout = static_cast<double>(limits::wait_default_timeout.count());
  bool as_json = false;
  try {
    for (int i = 2; i < argc; ++i) {
      const std::string_view a = argv[i];
      if (a == "-h" || a == "--help") {
        std::cout << control_usage;
        return 0;
      }
      if (auto v = option_value(argc, argv, i, "--port")) {
        port = port_value(*v);
      } else if (auto t = sub == "wait" ? option_value(argc, argv, i, "--timeout") : std::nullopt) {
        const auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), timeout);
        if (ec != std::errc{} || end != t->data() + t->size() || !(timeout >= 0) ||
            timeout > static_cast<double>(limits::wait_max_timeout.count()))
          throw std::invalid_argument("--timeout " + *t + ": seconds from 0 to " +
                                      std::to_string(limits::wait_max_timeout.count()));
      } else if (a == "--json" && sub != "mcp") {
        as_json = true;
      } else {
        throw std::invalid_argument("liveproxy " + std::string(sub) + ": unknown argument " + std::string(a));
      }
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "liveproxy: " << e.what() << "\n" << control_usage;
    return wait_exit::usage;
  }
  if (sub == "mcp") return run_mcp_stdio(port, version);
  return run_wait_or_status(sub == "wait", port, timeout, as_json);
}

}  // namespace liveproxy
