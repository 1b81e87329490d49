// --https through the real binary and real clients (curl, openssl): TLS and plain HTTP on one port, the local CA
// served (never its key) and reused, the Host gate and X-Forwarded-Proto over TLS, wss, and stalled handshakes.
#include "support/flat_json.hpp"
#include "support/http_client.hpp"
#include "support/https_support.hpp"
#include "support/liveproxy_process.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_site.hpp"
#include "support/text_count.hpp"

#include <simdjson.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// The SHA-256 fingerprint openssl gives the DER certificate in file ("AB:CD:..."), or "" if openssl refused it.
std::string der_fingerprint(const fs::path& file) {
  const auto r =
      run({"/usr/bin/openssl", "x509", "-inform", "der", "-in", file.string(), "-noout", "-fingerprint", "-sha256"});
  // "sha256 Fingerprint=AB:..." (OpenSSL 3) or "SHA256 Fingerprint=AB:..." (1.1).
  const auto eq = r.out.find("Fingerprint=");
  if (r.exit_code != 0 || eq == std::string::npos) return {};
  auto fp = r.out.substr(eq + 12);
  return fp.substr(0, fp.find_first_of("\r\n"));
}

/// The CA's DER certificate as liveproxy serves it, written to file, and its fingerprint by openssl.
std::string served_fingerprint(unsigned short port, const fs::path& file) {
  const auto der = http_get(port, "/__liveproxy/ca.crt");
  INFO(der.error);
  REQUIRE(der.status == 200);
  write_file(file, der.body);
  return der_fingerprint(file);
}

/// status.json's "phone" (present when listening on 0.0.0.0 and the machine has an address to show).
struct phone_info {
  std::string url;
  std::string ca_fingerprint;
};

std::optional<phone_info> phone_of(unsigned short port) {
  const auto res = http_get(port, "/__liveproxy/status.json");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (res.status != 200 || parser.parse(res.body).get(doc) != simdjson::SUCCESS) return std::nullopt;
  std::string_view url;
  std::string_view fp;
  if (doc["phone"]["url"].get(url) != simdjson::SUCCESS) return std::nullopt;
  if (doc["phone"]["ca_fingerprint"].get(fp) != simdjson::SUCCESS) fp = {};
  return phone_info{std::string(url), std::string(fp)};
}

/// Lines of text containing needle.
std::size_t lines_with(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  std::size_t begin = 0;
  while (begin < text.size()) {
    auto end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    if (std::string_view(text).substr(begin, end - begin).find(needle) != std::string_view::npos) ++n;
    begin = end + 1;
  }
  return n;
}

}  // namespace

TEST_CASE("liveproxy --https on 0.0.0.0: curl trusts the served CA for localhost and the Network address, plain "
          "HTTP on the same port, the CA's key kept private",
          "[integration][net][fs][https]") {
  https_site s;
  const auto proxy = s.start({"--https", "--host", "0.0.0.0", "--port", "0"});
  const auto port = proxy->port();
  fetch_ca(s, port);

  // Over TLS the page is the same page, with liveproxy's script injected.
  const auto page = curl({"--cacert", s.ca_file().string(), https_url(port)});
  CHECK(page.exit_code == 0);
  CHECK(page.out.find("https site") != std::string::npos);
  CHECK(page.out.find("/__liveproxy/client.js") != std::string::npos);
  CHECK(curl_status(https_url(port, "/style.css"), s.ca_file()) == 200);

  // A client that does not trust the CA refuses the certificate: 60 is curl's "peer certificate not verified".
  int untrusted = 0;
  CHECK(curl_status(https_url(port), {}, {}, &untrusted) == -1);
  CHECK(untrusted == 60);

  // Plain HTTP on the same port still answers.
  CHECK(http_get(port, "/").status == 200);

  // The DER download is a certificate openssl reads.
  const auto fingerprint = served_fingerprint(port, s.work / "ca.crt");
  CHECK_FALSE(fingerprint.empty());
  const auto phone = phone_of(port);
  if (!phone) {
    WARN("no Network URL in status.json (no non-loopback address here): the address and fingerprint checks skipped");
  } else {
    INFO("phone " << phone->url << " " << phone->ca_fingerprint);
    REQUIRE(phone->url.starts_with("https://"));
    REQUIRE(phone->url.ends_with(":" + std::to_string(port)));
    // The certificate names the machine's address: a phone on the LAN verifies it. --resolve keeps the
    // connection on loopback whatever the network allows.
    const auto address = phone->url.substr(8, phone->url.rfind(':') - 8);
    const auto by_address = curl({"--cacert", s.ca_file().string(), "--resolve",
                                  address + ":" + std::to_string(port) + ":127.0.0.1", phone->url + "/"});
    CHECK(by_address.exit_code == 0);
    CHECK(by_address.out.find("/__liveproxy/client.js") != std::string::npos);
    // What the phone checks by eye is the fingerprint of what it downloads.
    CHECK(fingerprint == phone->ca_fingerprint);
  }

  // The key is the user's alone, and no endpoint hands it out.
  const auto perms = [](const fs::path& p) { return fs::status(p).permissions() & fs::perms::all; };
  CHECK(perms(s.ca_dir()) == fs::perms::owner_all);
  CHECK(perms(s.ca_dir() / "ca-key.pem") == (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(http_get(port, "/__liveproxy/ca-key.pem").status == 404);
  CHECK(curl_status(https_url(port, "/__liveproxy/ca-key.pem"), s.ca_file()) == 404);
  for (const char* target : {"/__liveproxy/ca.pem", "/__liveproxy/ca.crt"}) {
    INFO(target);
    const auto res = http_get(port, target);
    CHECK(res.status == 200);
    CHECK(res.body.find("PRIVATE KEY") == std::string::npos);
  }
  CHECK(read_file(s.ca_file()).find("PRIVATE KEY") == std::string::npos);
}

TEST_CASE("liveproxy --https: a foreign Host is refused over TLS as over plain HTTP", "[integration][net][fs][https]") {
  // The gate differs with the address liveproxy listens on: both are checked.
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "0.0.0.0");
  INFO("--host " << host);
  https_site s;
  const auto proxy = s.start({"--https", "--host", host, "--port", "0"});
  const auto port = proxy->port();
  fetch_ca(s, port);
  const std::string evil = "evil.example:" + std::to_string(port);

  CHECK(http_get(port, "/__liveproxy/status.json", {{"Host", evil}}).status == 403);
  CHECK(curl_status(https_url(port, "/__liveproxy/status.json"), s.ca_file(), {"-H", "Host: " + evil}) == 403);
  CHECK(curl_status(https_url(port, "/__liveproxy/ca.pem"), s.ca_file(), {"-H", "Host: " + evil}) == 403);

  // The served page: whatever plain HTTP answers a foreign Host (the gate's business), TLS answers the same.
  const auto plain = http_get(port, "/", {{"Host", evil}}).status;
  CHECK((plain == 200 || plain == 403));
  CHECK(curl_status(https_url(port), s.ca_file(), {"-H", "Host: " + evil}) == plain);
  // And an allowed Host still gets through over TLS.
  CHECK(curl_status(https_url(port, "/__liveproxy/status.json"), s.ca_file()) == 200);
}

TEST_CASE("liveproxy --https: the app sees X-Forwarded-Proto https over TLS and http over plain HTTP",
          "[integration][net][fs][https]") {
  temp_dir data("liveproxy-https-data");
  temp_dir work("liveproxy-https-work");
  site_options opts;
  opts.proxy_args = {"--https"};
  opts.env = {{"XDG_DATA_HOME", data.path().string()}};
  test_site site(opts);
  const auto ca = work / "ca.pem";
  write_file(ca, read_file(data / "liveproxy" / "ca.pem"));
  REQUIRE(read_file(ca).find("BEGIN CERTIFICATE") != std::string::npos);

  const auto tls = curl({"--cacert", ca.string(), https_url(site.port(), "/headers")});
  INFO("over TLS: exit " << tls.exit_code << " " << tls.out);
  REQUIRE(tls.exit_code == 0);
  const auto over_tls = parse_flat_json(tls.out);
  REQUIRE(over_tls);
  CHECK(find_ignoring_case(*over_tls, "X-Forwarded-Proto").value_or("<missing>") == "https");
  // The browser's address reaches the app.
  CHECK(find_ignoring_case(*over_tls, "X-Forwarded-For").value_or("<missing>").find("127.0.0.1") !=
        std::string::npos);
  CHECK(find_ignoring_case(*over_tls, "Host").value_or("<missing>") == "localhost:" + std::to_string(site.port()));

  const auto plain = http_get(site.port(), "/headers");
  INFO("over plain HTTP: " << plain.status << " " << plain.body);
  REQUIRE(plain.status == 200);
  const auto over_plain = parse_flat_json(plain.body);
  REQUIRE(over_plain);
  CHECK(find_ignoring_case(*over_plain, "X-Forwarded-Proto").value_or("<missing>") == "http");

  // A proxied app's page for a foreign Host: TLS answers as plain HTTP does.
  const std::string evil = "evil.example:" + std::to_string(site.port());
  const auto plain_evil = http_get(site.port(), "/headers", {{"Host", evil}}).status;
  CHECK(plain_evil != 0);
  CHECK(curl_status(https_url(site.port(), "/headers"), ca, {"-H", "Host: " + evil}) == plain_evil);
}

TEST_CASE("liveproxy --https: the reload socket upgrades over wss", "[integration][net][fs][https]") {
  https_site s;
  const auto proxy = s.start({"--https", "--port", "0"});
  fetch_ca(s, proxy->port());
  // No Origin: not a browser page, so no token is asked. curl keeps the socket open: we stop it once it has
  // shown the upgrade and liveproxy's first message (a failed check shows what curl printed).
  process ws({"/usr/bin/curl", "-q", "--silent", "--noproxy", "*", "--max-time", "10", "--cacert",
              s.ca_file().string(), "--http1.1", "-i", "-N", "-H", "Connection: Upgrade", "-H", "Upgrade: websocket",
              "-H", "Sec-WebSocket-Version: 13", "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
              https_url(proxy->port(), "/__liveproxy/ws")},
             {{}, {}, "curl"});
  CHECK(ws.wait_for_output("101 Switching Protocols", 10s));
  CHECK(ws.wait_for_output("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 5s));
  CHECK(ws.wait_for_output(R"("type":"hello")", 5s));
  ws.stop();
}

TEST_CASE("liveproxy --https: stalled and garbage handshakes are dropped at the header deadline, logged once, while "
          "others are served",
          "[integration][net][fs][https]") {
  https_site s;
  const auto proxy = s.start({"--https", "--port", "0", "--header-timeout", "1", "--idle-timeout", "60"});
  const auto port = proxy->port();
  fetch_ca(s, port);

  std::vector<std::unique_ptr<raw_client>> stalled;
  // A TLS record header announcing 200 bytes that never come: the handshake waits for them.
  for (int i = 0; i < 50; ++i) {
    stalled.push_back(std::make_unique<raw_client>(port));
    REQUIRE(stalled.back()->connected());
    REQUIRE(stalled.back()->send(std::string("\x16\x03\x01\x00\xc8", 5)));
  }
  // The handshake byte, then nonsense: OpenSSL refuses it at once.
  for (int i = 0; i < 20; ++i) {
    stalled.push_back(std::make_unique<raw_client>(port));
    REQUIRE(stalled.back()->connected());
    REQUIRE(stalled.back()->send("\x16garbage, not a TLS record at all\r\n\r\n"));
  }
  const auto start = std::chrono::steady_clock::now();

  // Meanwhile real clients are served at once.
  const auto tls = curl({"--cacert", s.ca_file().string(), "--output", "/dev/null", "--write-out", "%{http_code}",
                         https_url(port)});
  INFO("curl: exit " << tls.exit_code << " " << tls.out << " in " << tls.elapsed.count() << " ms");
  CHECK(tls.exit_code == 0);
  CHECK(tls.out == "200");
  CHECK(tls.elapsed < 2s);
  const auto plain = http_get(port, "/");
  CHECK(plain.status == 200);
  CHECK(plain.elapsed < 2s);

  // Every stalled connection is closed by the 1 s deadline, give or take a loaded machine's margin.
  for (auto& c : stalled) {
    const auto left = start + 4s - std::chrono::steady_clock::now();
    CHECK(c->wait_closed(std::max(std::chrono::duration_cast<std::chrono::milliseconds>(left), 1ms)));
  }
  const auto closed_after = std::chrono::steady_clock::now() - start;
  CHECK(closed_after < 4s);

  // Seventy failures, one line (the rest are counted for the next line, a minute later).
  const auto out = proxy->proc().output();
  CHECK(lines_with(out, "TLS handshake") >= 1);
  CHECK(lines_with(out, "TLS handshake") <= 2);
  CHECK_FALSE(proxy->proc().exited());
  CHECK(http_get(port, "/").status == 200);
  CHECK(curl_status(https_url(port), s.ca_file()) == 200);
}

TEST_CASE("liveproxy --https: a second liveproxy reuses the local CA and does not announce a new one",
          "[integration][net][fs][https]") {
  https_site s;
  const std::string made = "made liveproxy's local certificate authority";
  std::string first_fp;
  std::string first_pem;
  {
    const auto first = s.start({"--https", "--port", "0"});
    // The line comes before the URL line the start waited for.
    CHECK(count_of(first->proc().output(), made) == 1);
    first_fp = served_fingerprint(first->port(), s.work / "first.crt");
    first_pem = read_file(s.ca_dir() / "ca.pem");
  }
  REQUIRE_FALSE(first_fp.empty());
  const auto second = s.start({"--https", "--port", "0"});
  CHECK(count_of(second->proc().output(), made) == 0);
  CHECK(served_fingerprint(second->port(), s.work / "second.crt") == first_fp);
  CHECK(read_file(s.ca_dir() / "ca.pem") == first_pem);
  // The reused CA still signs what the second one presents.
  fetch_ca(s, second->port());
  CHECK(curl_status(https_url(second->port()), s.ca_file()) == 200);
}

TEST_CASE("liveproxy without --https: no CA to download, and a TLS client fails while plain HTTP works",
          "[integration][net][fs][https]") {
  https_site s;
  const auto proxy = s.start({"--port", "0"});
  const auto port = proxy->port();
  for (const char* target : {"/__liveproxy/ca.pem", "/__liveproxy/ca.crt"}) {
    INFO(target);
    const auto res = http_get(port, target);
    CHECK(res.status == 404);
    CHECK(res.body.find("--https") != std::string::npos);
  }
  int exit = 0;
  CHECK(curl_status(https_url(port), {}, {"--insecure"}, &exit) == -1);
  CHECK(exit != 0);
  CHECK(http_get(port, "/").status == 200);
  // Nothing was created: without --https liveproxy has no business with a CA.
  CHECK_FALSE(fs::exists(s.ca_dir()));
  CHECK_FALSE(proxy->proc().exited());
}
