// What the settings mean beyond their own value: hosts, the app command, defaults that depend on the machine.
#include "proxy/settings/config.hpp"
#include "proxy/base/text.hpp"

#include "proxy/base/limits.hpp"
#include "proxy/base/net.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

namespace liveproxy {
namespace {

std::string_view basename_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string check_allowed_host(std::string_view value, std::string_view where) {
  std::string_view rest = value;
  if (rest == "*") return "*";
  if (rest.starts_with("*.")) rest.remove_prefix(2);
  else if (rest.starts_with(".")) rest.remove_prefix(1);
  const bool bracketed = rest.size() > 2 && rest.front() == '[' && rest.back() == ']';
  const bool ipv6 = bracketed || std::count(rest.begin(), rest.end(), ':') >= 2;
  if (bracketed) rest = rest.substr(1, rest.size() - 2);
  const bool chars_ok = !rest.empty() && rest.size() <= 253 && std::all_of(rest.begin(), rest.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || (ipv6 && c == ':');
  });
  if (!chars_ok)
    throw config_error(std::string(where) + ": '" + std::string(value) +
                       "' is not a host name: give a name or address without scheme or port, such as myapp.test, "
                       "*.example.test (its subdomains) or 192.168.1.20");
  return lower_ascii(value);
}

std::string resolve_host_address(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  if (!ec) return host;
  // Binding ::1 alone (where localhost may resolve first) would shut out http://127.0.0.1.
  if (host == "localhost") return "127.0.0.1";
  net::io_context io;
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, "", ec);
  if (ec || results.empty()) return {};
  return results.begin()->endpoint().address().to_string();
}

std::size_t default_max_connections() {
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur == RLIM_INFINITY) return limits::max_connections;
  // A few dozen descriptors are liveproxy's own (watcher, app pipes, listener); half the rest for browsers.
  const auto usable = nofile.rlim_cur > 64 ? (nofile.rlim_cur - 64) / 2 : 16;
  return std::max<std::size_t>(16, std::min<std::size_t>(limits::max_connections, usable));
}

bool runs_server_javascript(const std::vector<std::string>& app_command) {
  static constexpr std::array<std::string_view, 11> runtimes = {
      "node", "nodejs", "deno", "bun", "tsx", "ts-node", "nodemon", "npm", "npx", "yarn", "pnpm"};
  std::size_t i = 0;
  // `env [-i] [VAR=value...] node ...`, as in a #! line: the command is the first word after them.
  if (!app_command.empty() && basename_of(app_command[0]) == "env") {
    for (++i; i < app_command.size(); ++i) {
      const std::string& word = app_command[i];
      if (!word.starts_with('-') && word.find('=') == std::string::npos) break;
    }
  }
  if (i >= app_command.size()) return false;
  return std::find(runtimes.begin(), runtimes.end(), basename_of(app_command[i])) != runtimes.end();
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out.push_back(' ');
    const bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                         "0123456789_-./:={},@%+") == std::string::npos;
    if (plain) {
      out += a;
      continue;
    }
    out.push_back('\'');
    for (const char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out.push_back('\'');
  }
  return out;
}

std::vector<std::string> expand_placeholders(const std::vector<std::string>& argv, std::uint16_t port) {
  auto replace = [](std::string& arg, std::string_view placeholder, const std::string& text) {
    for (auto pos = arg.find(placeholder); pos != std::string::npos; pos = arg.find(placeholder, pos + text.size()))
      arg.replace(pos, placeholder.size(), text);
  };
  const std::string port_text = std::to_string(port);
  const std::string fd_text = std::to_string(handoff_fd);
  std::vector<std::string> out;
  out.reserve(argv.size());
  for (std::string arg : argv) {
    replace(arg, "{port}", port_text);
    replace(arg, "{fd}", fd_text);
    out.push_back(std::move(arg));
  }
  return out;
}

}  // namespace liveproxy
