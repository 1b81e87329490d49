// Starting the liveproxy binary and parsing where it listens.
#include "support/liveproxy_process.hpp"

#include <cstdlib>
#include <regex>
#include <stdexcept>

namespace liveproxy::test {

namespace {

// The build's binary, unless LIVEPROXY_BINARY in the environment names another (e.g. an installed one).
std::vector<std::string> with_binary(std::vector<std::string> args) {
  const char* override_binary = std::getenv("LIVEPROXY_BINARY");
  args.insert(args.begin(), override_binary != nullptr && *override_binary != '\0' ? override_binary : LIVEPROXY_BINARY);
  return args;
}

process_options named(process_options opts) {
  if (opts.name.empty()) opts.name = "liveproxy";
  return opts;
}

}  // namespace

liveproxy_process::liveproxy_process(std::vector<std::string> args, process_options opts,
                                     std::chrono::milliseconds startup_timeout)
    : proc_(with_binary(std::move(args)), named(std::move(opts))) {
  // "open http://...": the one line --quiet prints.
  static const std::regex front(R"(liveproxy: (?:open )?http://([^\s:/]+|\[[0-9a-fA-F:]+\]):(\d+)([^\n]*))");
  const auto m = proc_.wait_for_output(front, startup_timeout);
  if (!m) {
    const bool exited = proc_.exited();
    throw std::runtime_error(std::string("liveproxy did not print its URL") +
                             (exited ? " (it exited)" : " in time") + "; output:\n" + proc_.output());
  }
  host_ = m->groups[1];
  port_ = static_cast<unsigned short>(std::stoul(m->groups[2]));
  // The rest of the line names the app's address: "-> app on 127.0.0.1:41873".
  static const std::regex app(R"(app on [^\s]*:(\d+))");
  std::smatch am;
  if (std::regex_search(m->groups[3], am, app)) app_port_ = static_cast<unsigned short>(std::stoul(am[1].str()));
}

}  // namespace liveproxy::test
