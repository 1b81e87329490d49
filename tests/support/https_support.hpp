// What the --https tests share: a served folder with a private CA home, and real clients (curl, openssl) run as
// child processes.
#pragma once

#include "support/liveproxy_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace liveproxy::test {

/// A served folder, a private $XDG_DATA_HOME (the CA goes there, never into the user's own) and a folder for
/// what the clients download.
struct https_site {
  temp_dir site{"liveproxy-https-site"};
  temp_dir data{"liveproxy-https-data"};
  temp_dir work{"liveproxy-https-work"};

  /// Writes index.html and style.css into the served folder.
  https_site();
  std::vector<std::pair<std::string, std::string>> env() const { return {{"XDG_DATA_HOME", data.path().string()}}; }
  process_options options() const { return {site.path(), env(), "liveproxy"}; }
  std::filesystem::path ca_dir() const { return data / "liveproxy"; }
  std::filesystem::path ca_file() const { return work / "ca.pem"; }

  /// Starts liveproxy serving the folder with `args` after "--serve DIR".
  std::unique_ptr<liveproxy_process> start(std::vector<std::string> args) const;
};

/// What a child client did: its exit status (-1: killed, or not done in time), what it printed, how long it took.
struct run_result {
  int exit_code = -1;
  std::string out;
  std::chrono::milliseconds elapsed{0};
};

/// Runs argv (argv[0] a path) to its end or the timeout, its stdin /dev/null.
run_result run(std::vector<std::string> argv, std::chrono::milliseconds timeout = std::chrono::seconds(20));

/// Runs curl silently (stdout only: the body, or what -w prints), with no ~/.curlrc (-q, which must come first)
/// and no proxy from the environment, so only liveproxy is tested.
run_result curl(std::vector<std::string> args);

/// The HTTP status curl got for url (trusting the CA in ca when given), or -1 with curl's exit code in `exit`.
int curl_status(const std::string& url, const std::filesystem::path& ca, std::vector<std::string> extra = {},
                int* exit = nullptr);

/// Downloads the CA certificate over plain HTTP, as a phone's first step would, into the site's work folder.
void fetch_ca(const https_site& s, unsigned short port);

/// "https://localhost:PORT" followed by target.
std::string https_url(unsigned short port, std::string_view target = "/");

}  // namespace liveproxy::test
