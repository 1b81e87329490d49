// `liveproxy trust` on this machine's real stores: Chromium's NSS database and a Firefox profile's (in a
// temporary HOME), and as root the system store, after which curl verifies liveproxy --https without being
// given the authority; `liveproxy trust --remove` takes all of it out again.
#include "support/liveproxy_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct result {
  int status = -1;
  std::string output;
};

result run(std::vector<std::string> argv, const process_options& opts) {
  process p(std::move(argv), opts);
  const auto st = p.wait_exit(60s);
  return {st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1, p.output()};
}

/// Whether an NSS database lists the certificate named `name`.
bool nss_has(const fs::path& db, const std::string& name) {
  return run({"certutil", "-L", "-d", "sql:" + db.string(), "-n", name}, {}).status == 0;
}

}  // namespace

TEST_CASE("liveproxy trust adds the local CA to the system store and the browsers' databases, and --remove takes it out",
          "[integration][fs][net][https]") {
  temp_dir home("liveproxy-trust");
  process_options opts;
  opts.cwd = home.path();
  opts.env = {{"HOME", home.path().string()}, {"XDG_DATA_HOME", (home / "data").string()}};
  // A Firefox profile, as Firefox leaves one.
  const auto profile = home / ".mozilla/firefox/abcd1234.default-release";
  fs::create_directories(profile);
  REQUIRE(run({"certutil", "-N", "--empty-password", "-d", "sql:" + profile.string()}, {}).status == 0);

  const bool root = ::geteuid() == 0;
  // Whatever happens below, the machine's stores are left as they were.
  struct undo {
    process_options opts;
    ~undo() { run({LIVEPROXY_BINARY, "trust", "--remove"}, opts); }
  } cleanup{opts};

  const auto added = run({LIVEPROXY_BINARY, "trust"}, opts);
  INFO(added.output);
  REQUIRE(added.status == 0);
  CHECK_THAT(added.output, Catch::Contains("made liveproxy's local certificate authority"));
  const auto ca_pem = read_file(home / "data/liveproxy/ca.pem");
  REQUIRE_FALSE(ca_pem.empty());
  const auto name_line = run({"openssl", "x509", "-noout", "-subject", "-nameopt", "multiline", "-in",
                              (home / "data/liveproxy/ca.pem").string()},
                             {});
  CHECK_THAT(name_line.output, Catch::Contains("liveproxy development CA ("));
  std::string name = "liveproxy development CA (";
  {
    const auto at = added.output.find("(\"liveproxy development CA (");
    REQUIRE(at != std::string::npos);
    const auto end = added.output.find("\")", at);
    name = added.output.substr(at + 2, end - at - 2);
  }
  // Chromium's database was made; the Firefox profile's was found.
  CHECK(nss_has(home / ".pki/nssdb", name));
  CHECK(nss_has(profile, name));
  CHECK_THAT(added.output, Catch::Contains("added to " + (home / ".pki/nssdb").string()));
  CHECK_THAT(added.output, Catch::Contains("added to " + profile.string()));

  if (root) {
    CHECK_THAT(added.output, Catch::Contains("added to the system store: /usr/local/share/ca-certificates/liveproxy-"));
    // The body of the certificate is in the bundle every OpenSSL program reads.
    const auto body = ca_pem.substr(ca_pem.find('\n') + 1, 64);
    CHECK(read_file("/etc/ssl/certs/ca-certificates.crt").find(body) != std::string::npos);
    // curl now verifies liveproxy --https on its own.
    temp_dir site("liveproxy-trust-site");
    write_file(site / "index.html", "<html><head></head><body>trusted</body></html>");
    auto serve_opts = opts;
    serve_opts.cwd = site.path();
    liveproxy_process proxy({"--https", "--port", "0", "--serve", "."}, serve_opts);
    const auto url = "https://localhost:" + std::to_string(proxy.port()) + "/";
    const auto fetched = run({"curl", "-sS", "--max-time", "10", url}, {});
    INFO(fetched.output);
    CHECK(fetched.status == 0);
    CHECK_THAT(fetched.output, Catch::Contains("trusted"));

    const auto removed = run({LIVEPROXY_BINARY, "trust", "--remove"}, opts);
    INFO(removed.output);
    CHECK(removed.status == 0);
    CHECK_THAT(removed.output, Catch::Contains("removed from the system store"));
    CHECK(read_file("/etc/ssl/certs/ca-certificates.crt").find(body) == std::string::npos);
    // 60: the peer's certificate cannot be verified.
    CHECK(run({"curl", "-sS", "--max-time", "10", url}, {}).status == 60);
  } else {
    // Not root: the system store is not touched, and the commands that would are said.
    CHECK_THAT(added.output, Catch::Contains("sudo cp ") && Catch::Contains("update-ca-certificates"));
    const auto removed = run({LIVEPROXY_BINARY, "trust", "--remove"}, opts);
    CHECK(removed.status == 0);
  }
  CHECK_FALSE(nss_has(home / ".pki/nssdb", name));
  CHECK_FALSE(nss_has(profile, name));
  // Removing again is no error: nothing is there.
  const auto again = run({LIVEPROXY_BINARY, "trust", "--remove"}, opts);
  CHECK(again.status == 0);
  CHECK_THAT(again.output, Catch::Contains("not in " + (home / ".pki/nssdb").string()));
}
