// liveproxy entry point: parse the command line, run the loop, stop the app on Ctrl-C.
#include "proxy/config.hpp"
#include "proxy/dev_server.hpp"
#include "proxy/log.hpp"

#include <csignal>
#include <cstdio>
#include <iostream>

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
    std::cout << "liveproxy 0.1.0\n";
    return 0;
  }
  // A browser that hangs up mid-write must not kill the proxy.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    net::io_context ioc(1);
    dev_server server(ioc.get_executor(), cfg);
    server.start();
    net::signal_set signals(ioc, SIGINT, SIGTERM, SIGHUP);
    int received = 0;
    std::function<void(error_code, int)> on_signal = [&](error_code ec, int sig) {
      if (ec) return;
      ++received;
      if (received == 1)
        log::info(std::string("stopping the app (") + ::strsignal(sig) + "); press Ctrl-C again to kill it");
      server.shutdown(received > 1, [&] { ioc.stop(); });
      signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);
    ioc.run();
  } catch (const std::exception& e) {
    log::error(e.what());
    return 1;
  }
  return 0;
}
