// The MCP tools as requests to the running liveproxy (status.json, wait, restart), and the stdio loop.
#include "proxy/control/mcp_stdio.hpp"

#include "proxy/control/control_client.hpp"
#include "proxy/control/control_commands.hpp"
#include "proxy/control/mcp_session.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <string>

namespace liveproxy {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// Percent-encodes a query value (an app's name).
std::string query_value(std::string_view v) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

class http_tools final : public mcp_tools {
 public:
  explicit http_tools(std::optional<unsigned> port) : port_(port) {}

  mcp_tool_result status() override {
    return with_status([](const json::node& s) { return mcp_tool_result{status_text(s, 20)}; });
  }

  mcp_tool_result wait_until_live(int timeout_seconds) override {
    std::string problem;
    const auto answer = ask(false, "/__liveproxy/wait?timeout=" + std::to_string(timeout_seconds),
                            std::chrono::seconds(timeout_seconds + 10), problem);
    if (!answer) return {problem, true};
    const auto doc = json::parse(answer->body);
    if (!doc.root) return {"liveproxy answered something that is not its JSON", true};
    const auto outcome = describe_wait(*doc.root, 40);
    return {outcome.text, outcome.exit_status != wait_exit::live};
  }

  mcp_tool_result app_output(int lines, const std::string& filter) override {
    return with_status([&](const json::node& s) {
      const auto* output = member_of(s, "output");
      std::vector<std::string> kept;
      if (output && output->type == json::node::kind::array)
        for (const auto& line : output->items)
          if (filter.empty() || lower(line.text).find(lower(filter)) != std::string::npos) kept.push_back(line.text);
      const std::size_t n = std::min<std::size_t>(kept.size(), static_cast<std::size_t>(lines));
      std::string text;
      if (kept.empty()) {
        text = filter.empty() ? "the app has printed nothing yet\n"
                              : "no line of the app's recent output contains \"" + filter + "\"\n";
      } else {
        text = "the last " + std::to_string(n) + " lines of the app's output" +
               (filter.empty() ? std::string() : " containing \"" + filter + "\"") +
               " (liveproxy keeps its recent output, about 200 lines):\n";
        for (std::size_t i = kept.size() - n; i < kept.size(); ++i) text += kept[i] + "\n";
      }
      return mcp_tool_result{text};
    });
  }

  mcp_tool_result browser_console(int limit) override {
    return with_status([&](const json::node& s) {
      const auto* console = member_of(s, "console");
      if (!console || console->type != json::node::kind::array || console->items.empty())
        return mcp_tool_result{"no errors or warnings from the browser tabs' consoles (" +
                               std::to_string(static_cast<long long>(member_of(s, "tabs") ? member_of(s, "tabs")->number : 0)) +
                               " tabs connected)\n"};
      // Newest first in the JSON: the `limit` newest, oldest first.
      const std::size_t n = std::min<std::size_t>(console->items.size(), static_cast<std::size_t>(limit));
      std::string text = "the browser console's last " + std::to_string(n) + " errors and warnings, oldest first:\n";
      for (std::size_t i = n; i-- > 0;) {
        const auto* level = member_of(console->items[i], "level");
        const auto* message = member_of(console->items[i], "text");
        text += (level ? level->text : "") + ": " + (message ? message->text : "") + "\n";
      }
      return mcp_tool_result{text};
    });
  }

  mcp_tool_result restart_app(const std::string& app) override {
    std::string problem;
    const auto answer = ask(true, "/__liveproxy/restart" + (app.empty() ? std::string() : "?app=" + query_value(app)),
                            std::chrono::seconds(10), problem);
    if (!answer) return {problem, true};
    if (answer->status != 202) return {answer->body, true};
    return {answer->body + "Call wait_until_live to know when it is up again.\n"};
  }

  mcp_tool_result recent_changes(int limit) override {
    return with_status([&](const json::node& s) {
      const auto* actions = member_of(s, "actions");
      if (!actions || actions->type != json::node::kind::array || actions->items.empty())
        return mcp_tool_result{"no file has changed since liveproxy started\n"};
      const std::size_t n = std::min<std::size_t>(actions->items.size(), static_cast<std::size_t>(limit));
      std::string text = "the last " + std::to_string(n) + " changes and what liveproxy did, oldest first:\n";
      for (std::size_t i = n; i-- > 0;) {
        const auto& a = actions->items[i];
        const auto field = [&](std::string_view k) {
          const auto* v = member_of(a, k);
          return v ? v->text : std::string();
        };
        text += field("files") + ": " + field("action") + (field("outcome").empty() ? "" : ", " + field("outcome")) + "\n";
      }
      return mcp_tool_result{text};
    });
  }

 private:
  /// The answer, or (in `problem`) why there is none and how to start liveproxy.
  std::optional<control_answer> ask(bool post, const std::string& target, std::chrono::milliseconds timeout,
                                    std::string& problem) {
    std::error_code ec;
    const auto here = std::filesystem::current_path(ec);
    std::string how;
    const auto port = find_liveproxy_port(port_, here, how);
    if (!port) {
      problem = not_running_text(how, here);
      return std::nullopt;
    }
    auto answer = control_request(*port, post, target, timeout);
    if (!answer.ok()) {
      problem = not_running_text("nothing answers on port " + std::to_string(*port) + " (" + how + "): " + answer.error,
                                 here);
      return std::nullopt;
    }
    return answer;
  }

  template <typename Render>
  mcp_tool_result with_status(Render render) {
    std::string problem;
    const auto answer = ask(false, "/__liveproxy/status.json", std::chrono::seconds(10), problem);
    if (!answer) return {problem, true};
    const auto doc = json::parse(answer->body);
    if (answer->status != 200 || !doc.root) return {"liveproxy answered " + std::to_string(answer->status), true};
    return render(*doc.root);
  }

  std::optional<unsigned> port_;
};

}  // namespace

int run_mcp_stdio(std::optional<unsigned> port, const std::string& version) {
  http_tools tools(port);
  mcp_session session(tools, version);
  std::ios::sync_with_stdio(false);
  std::string line;
  // One message per line; a line past the session's limit is read to its end and refused without being kept.
  while (std::cin) {
    line.clear();
    bool too_long = false;
    for (int c; (c = std::cin.get()) != EOF && c != '\n';) {
      if (line.size() < mcp_session::max_line_bytes + 1) line.push_back(static_cast<char>(c));
      else too_long = true;
    }
    if (line.empty() && !std::cin) break;
    if (too_long) line.resize(mcp_session::max_line_bytes + 1);
    if (const auto reply = session.handle(line)) {
      std::cout << *reply << '\n';
      std::cout.flush();
    }
  }
  return 0;
}

}  // namespace liveproxy
