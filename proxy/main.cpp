// liveproxy entry point: parse the command line, run the loop, stop the app on Ctrl-C, exit with how it ended.
#include "proxy/app/project_presets.hpp"
#include "proxy/control/control_commands.hpp"
#include "proxy/control/trust_command.hpp"
#include "proxy/tls/local_ca.hpp"
#include "proxy/settings/config.hpp"
#include "proxy/settings/procfile.hpp"
#include "proxy/dev_server.hpp"
#include "proxy/init_command.hpp"
#include "proxy/settings/settings_docs.hpp"
#include "proxy/base/log.hpp"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string_view>

// jemalloc's settings, read at its start: freed pages go back to the system within a second instead of ten,
// so the memory a burst of 1,000 connections took is returned soon after (no background thread: it would
// take signals meant for the loop).
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "dirty_decay_ms:1000,muzzy_decay_ms:0";
}

int main(int argc, char** argv) {
  using namespace liveproxy;
  // `liveproxy init`: a subcommand, not an option (nothing else on the line).
  if (argc == 2 && std::string_view(argv[1]) == "init") return run_init(std::filesystem::current_path());
  // `liveproxy wait|status|mcp`: a client of the liveproxy running for this project.
  if (argc >= 2 && (std::string_view(argv[1]) == "wait" || std::string_view(argv[1]) == "status" ||
                    std::string_view(argv[1]) == "mcp"))
    return run_control_command(argc, argv, LIVEPROXY_VERSION);
  if (argc >= 2 && std::string_view(argv[1]) == "trust") return run_trust_command(argc, argv, local_ca::default_owner());
  // `liveproxy schema`: the JSON Schema of liveproxy.json, for editors and scripts.
  if (argc == 2 && std::string_view(argv[1]) == "schema") {
    std::cout << settings_schema_json();
    return 0;
  }
  config cfg;
  try {
    cfg = parse_command_line(argc, argv);
  } catch (const config_error& e) {
    log::error(e.what());
    return 2;
  }
  log::configure(cfg.verbosity);
  if (cfg.show_help) {
    std::cout << usage_text();
    return 0;
  }
  if (cfg.show_version) {
    std::cout << "liveproxy " LIVEPROXY_VERSION "\n";
    return 0;
  }
  if (cfg.detect_project &&
      std::none_of(cfg.apps.begin(), cfg.apps.end(), [](const app_spec& a) { return !a.from_route; })) {
    // A Procfile.dev (foreman, overmind, bin/dev) says what runs beside the app: each line is an app.
    std::ifstream in("Procfile.dev", std::ios::binary);
    if (in) {
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      try {
        const auto entries = parse_procfile(text, "Procfile.dev");
        const bool has_web = std::any_of(entries.begin(), entries.end(), [](const auto& e) { return e.name == "web"; });
        apply_procfile(cfg, entries, !has_web);
        std::string names;
        for (const auto& e : entries)
          names += (names.empty() ? "" : ", ") + e.name + (e.name == "web" && has_web ? " (answers /)" : "");
        log::info("Procfile.dev: " + names + (has_web ? "" : " beside the project's own app") +
                  "; the lines without a route run beside it as side processes");
      } catch (const config_error& e) {
        log::error(e.what());
        return 2;
      }
    }
  }
  if (cfg.detect_project) {
    const auto here = std::filesystem::current_path();
    const auto preset = detect_project(here);
    if (!preset) {
      log::error(unrecognised_project_message(here));
      return 2;
    }
    apply_preset(cfg, *preset);
    log::info("found a " + preset->name + " project (" + preset->evidence + ")");
    for (const auto& note : preset->notes) log::info(note);
    std::string env;
    for (std::size_t i = 0; i < preset->env.size(); ++i) {
      const bool typed = i < preset->env_typed.size() && !preset->env_typed[i].empty();
      env += "--env " + (typed ? preset->env_typed[i] : shell_quote({preset->env[i]})) + " ";
    }
    if (preset->preload) env = "--preload " + env;
    log::info("the same, said in full: liveproxy " + env +
              (preset->serve ? std::string("--serve .") : "-- " + shell_quote(preset->command)));
  }
  // A browser that hangs up mid-write must not kill the proxy.
  if (!cfg.app_command.empty()) {
    // A command that cannot run is not something a file change fixes: say so and stop, as a shell would.
    const auto& program = cfg.app_command.front();
    const auto resolved = find_program(program);
    if (resolved.empty()) {
      const auto close = program.find('/') == std::string::npos ? closest_program(program) : std::string();
      log::error("command not found: " + program + (close.empty() ? "" : " (did you mean " + close + "?)"));
      return 127;
    }
    if (program.find('/') == std::string::npos) log::info(program + " is " + resolved);
  }
  std::signal(SIGPIPE, SIG_IGN);
  try {
    net::io_context ioc(1);
    dev_server server(ioc.get_executor(), cfg);
    // Before start(): a Ctrl-C while the app is being started must stop it like any other.
    net::signal_set signals(ioc, SIGINT, SIGTERM, SIGHUP);
    int received = 0;
    std::optional<int> status;
    std::function<void(error_code, int)> on_signal = [&](error_code ec, int sig) {
      if (ec) return;
      ++received;
      if (received == 1) {
        // Decided now: how the app had ended before we were asked to stop it.
        status = server.exit_status();
        // A signal sent by a tool (systemd, docker, kill) is not a Ctrl-C: what ends the wait is a second signal.
        log::info(std::string("stopping the app (") + ::strsignal(sig) + "); " +
                  (sig == SIGINT ? "press Ctrl-C again to kill it" : "a second signal kills it"));
      }
      server.shutdown(received > 1, [&] { ioc.stop(); });
      signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);
    server.start();
    ioc.run();
    return status.value_or(0);
  } catch (const std::exception& e) {
    log::error(e.what());
    return 1;
  }
}
