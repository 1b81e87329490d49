// The --https tests' site and client runners.
#include "support/https_support.hpp"

#include "support/http_client.hpp"

#include <sys/wait.h>

#include <catch2/catch.hpp>

namespace liveproxy::test {

namespace fs = std::filesystem;

https_site::https_site() {
  write_file(site / "index.html",
             "<!doctype html><html><head><link rel=\"stylesheet\" href=\"style.css\"></head>"
             "<body><h1>https site</h1></body></html>\n");
  write_file(site / "style.css", "h1 { color: teal; }\n");
}

std::unique_ptr<liveproxy_process> https_site::start(std::vector<std::string> args) const {
  args.insert(args.begin(), {"--serve", site.path().string()});
  return std::make_unique<liveproxy_process>(std::move(args), options());
}

run_result run(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  process p(argv, {{}, {}, fs::path(argv.front()).filename().string()});
  const auto status = p.wait_exit(timeout);
  run_result r;
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  if (status && WIFEXITED(*status)) r.exit_code = WEXITSTATUS(*status);
  r.out = p.output();
  return r;
}

run_result curl(std::vector<std::string> args) {
  std::vector<std::string> argv{"/usr/bin/curl", "-q", "--silent", "--noproxy", "*", "--max-time", "10"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(std::move(argv));
}

int curl_status(const std::string& url, const fs::path& ca, std::vector<std::string> extra, int* exit) {
  std::vector<std::string> args{"--output", "/dev/null", "--write-out", "%{http_code}"};
  if (!ca.empty()) args.insert(args.end(), {"--cacert", ca.string()});
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(url);
  const auto r = curl(std::move(args));
  if (exit) *exit = r.exit_code;
  // Shown with the caller's next assertion.
  UNSCOPED_INFO("curl " << url << ": exit " << r.exit_code << ", printed " << r.out);
  return r.exit_code == 0 ? std::stoi(r.out) : -1;
}

void fetch_ca(const https_site& s, unsigned short port) {
  const auto res = http_get(port, "/__liveproxy/ca.pem");
  INFO(res.error << " " << res.body);
  REQUIRE(res.status == 200);
  REQUIRE(res.body.find("-----BEGIN CERTIFICATE-----") == 0);
  write_file(s.ca_file(), res.body);
}

std::string https_url(unsigned short port, std::string_view target) {
  return "https://localhost:" + std::to_string(port) + std::string(target);
}

}  // namespace liveproxy::test
