// Setting up the test app's directory and running liveproxy in front of it.
#include "support/test_site.hpp"

#include "support/http_client.hpp"
#include "support/wait.hpp"

#include <stdexcept>

namespace liveproxy::test {

namespace fs = std::filesystem;

test_site::test_site(site_options opts) {
  const fs::path source = fs::path(LIVEPROXY_SOURCE_DIR) / "tests" / "integration" / "apps";
  fs::copy(source, dir(), fs::copy_options::recursive | fs::copy_options::overwrite_existing);

  std::vector<std::string> args = {"--port", "0"};
  if (opts.pass_watch) args.insert(args.end(), {"--watch", dir().string()});
  args.insert(args.end(), opts.proxy_args.begin(), opts.proxy_args.end());
  args.push_back("--");
  if (opts.command.empty()) {
    args.insert(args.end(), {"/usr/bin/python3", (dir() / "test_app.py").string(), "{port}"});
  } else {
    args.insert(args.end(), opts.command.begin(), opts.command.end());
  }

  process_options popts;
  popts.cwd = dir();
  popts.name = "liveproxy (site " + dir().filename().string() + ")";
  popts.env = {
      {"TEST_APP_STATE_DIR", state_dir().string()},
      // No __pycache__ in the watched tree: each test controls exactly which files change.
      {"PYTHONDONTWRITEBYTECODE", "1"},
      {"PYTHONUNBUFFERED", "1"},
  };
  if (opts.start_delay_seconds > 0)
    popts.env.emplace_back("TEST_APP_START_DELAY", std::to_string(opts.start_delay_seconds));
  if (opts.spawn_child) popts.env.emplace_back("TEST_APP_SPAWN_CHILD", "1");
  popts.env.insert(popts.env.end(), opts.env.begin(), opts.env.end());

  proxy_.emplace(std::move(args), std::move(popts));
  if (opts.wait_for_app && !app_pid(std::chrono::seconds(10)))
    throw std::runtime_error("the test app did not answer /pid through liveproxy; output:\n" +
                             proxy_->proc().output());
}

std::optional<pid_t> test_site::app_pid(std::chrono::milliseconds timeout) {
  const auto res = http_get(port(), "/pid", {}, timeout);
  if (!res.ok() || res.status != 200) return std::nullopt;
  try {
    return static_cast<pid_t>(std::stol(res.body));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void test_site::write(const fs::path& rel, std::string_view content) { write_file(dir() / rel, content); }

void test_site::append(const fs::path& rel, std::string_view content) {
  write_file(dir() / rel, read_file(dir() / rel) + std::string(content));
}

bool test_site::was_listening(pid_t pid) const {
  return fs::exists(state_dir() / ("listening." + std::to_string(pid)));
}

bool test_site::was_stopped(pid_t pid) const {
  return fs::exists(state_dir() / ("stopped." + std::to_string(pid)));
}

std::vector<pid_t> test_site::listening_pids() const {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator(state_dir())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("listening.", 0) == 0) out.push_back(static_cast<pid_t>(std::stol(name.substr(10))));
  }
  return out;
}

std::optional<pid_t> test_site::child_of(pid_t pid) const {
  const std::string text = read_file(state_dir() / ("child." + std::to_string(pid)));
  if (text.empty()) return std::nullopt;
  return static_cast<pid_t>(std::stol(text));
}

}  // namespace liveproxy::test
