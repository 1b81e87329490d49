// liveproxy entry point: parse the command line, run the loop, stop the app on Ctrl-C, exit with how it ended.
#include "proxy/config.hpp"
#include "proxy/dev_server.hpp"
#include "proxy/log.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>

int main(int argc, char** argv) {
  using namespace liveproxy;
  config cfg;
  try {
    cfg = parse_command_line(argc, argv);
  } catch (const config_error& e) {
    log::error(e.what());
    return 2;
  }
  if (cfg.show_help) {
    std::cout << usage_text();
    return 0;
  }
  if (cfg.show_version) {
    std::cout << "liveproxy " LIVEPROXY_VERSION "\n";
    return 0;
  }
  // A browser that hangs up mid-write must not kill the proxy.
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
        log::info(std::string("stopping the app (") + ::strsignal(sig) + "); press Ctrl-C again to kill it");
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
