// local_ca: the authority on disk (modes, reload, damage) and what it issues, checked by OpenSSL's own verifier
// rather than by reading our strings back, since browsers judge the certificates the way OpenSSL does.
#include "proxy/tls/local_ca.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

using namespace liveproxy;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr const char* owner = "user@host";

struct free_x509 {
  void operator()(X509* p) const { X509_free(p); }
};
struct free_pkey {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct free_store {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct free_store_ctx {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct free_bio {
  void operator()(BIO* p) const { BIO_free(p); }
};
using x509_ptr = std::unique_ptr<X509, free_x509>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, free_pkey>;
using bio_ptr = std::unique_ptr<BIO, free_bio>;

bio_ptr bio_of(const std::string& pem) { return bio_ptr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))); }

x509_ptr parse_cert(const std::string& pem) {
  x509_ptr x(PEM_read_bio_X509(bio_of(pem).get(), nullptr, nullptr, nullptr));
  REQUIRE(x);
  return x;
}

pkey_ptr parse_key(const std::string& pem) {
  pkey_ptr k(PEM_read_bio_PrivateKey(bio_of(pem).get(), nullptr, nullptr, nullptr));
  REQUIRE(k);
  return k;
}

/// OpenSSL's verdict on `leaf` with `ca_pem` as the only trusted root, for a TLS server, at the current time.
int verify(const std::string& ca_pem, const std::string& leaf_pem) {
  const auto ca = parse_cert(ca_pem);
  const auto leaf = parse_cert(leaf_pem);
  std::unique_ptr<X509_STORE, free_store> store(X509_STORE_new());
  REQUIRE(X509_STORE_add_cert(store.get(), ca.get()) == 1);
  std::unique_ptr<X509_STORE_CTX, free_store_ctx> ctx(X509_STORE_CTX_new());
  REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) == 1);
  REQUIRE(X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER) == 1);
  if (X509_verify_cert(ctx.get()) == 1) return X509_V_OK;
  const int err = X509_STORE_CTX_get_error(ctx.get());
  return err == X509_V_OK ? X509_V_ERR_UNSPECIFIED : err;
}

/// The file's permission bits, or nullopt when it cannot be stat'ed.
std::optional<unsigned> mode_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  return static_cast<unsigned>(st.st_mode & 07777);
}

std::string common_name(const X509* x) {
  char buf[256];
  const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

/// Seconds from now until `t` (negative when past), as OpenSSL computes it from the certificate's field.
long seconds_until(const ASN1_TIME* t) {
  int days = 0, secs = 0;
  REQUIRE(ASN1_TIME_diff(&days, &secs, nullptr, t) == 1);
  return static_cast<long>(days) * 86400 + secs;
}

std::chrono::system_clock::time_point time_of(const ASN1_TIME* t) {
  std::tm tm{};
  REQUIRE(ASN1_TIME_to_tm(t, &tm) == 1);
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

/// Sets the umask for a scope, so a failed assertion cannot leave the test process with umask 0.
class umask_scope {
 public:
  explicit umask_scope(mode_t m) : old_(::umask(m)) {}
  ~umask_scope() { ::umask(old_); }
  umask_scope(const umask_scope&) = delete;
  umask_scope& operator=(const umask_scope&) = delete;

 private:
  mode_t old_;
};

/// Sets (or unsets, with nullptr) an environment variable for a scope and puts the old value back.
class env_scope {
 public:
  env_scope(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~env_scope() {
    if (old_) ::setenv(name_.c_str(), old_->c_str(), 1);
    else ::unsetenv(name_.c_str());
  }
  env_scope(const env_scope&) = delete;
  env_scope& operator=(const env_scope&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

const std::vector<std::string> lan_names{"localhost", "127.0.0.1", "::1", "192.168.1.20", "myapp.test"};

}  // namespace

TEST_CASE("local_ca: created with a private folder and key whatever the umask", "[unit][tls]") {
  test::temp_dir tmp("liveproxy-ca");
  // A folder that does not exist yet, two levels deep: the first run on a fresh account.
  const fs::path dir = tmp / "share/liveproxy";
  std::optional<local_ca> ca;
  {
    umask_scope open_umask(0);
    ca.emplace(local_ca::load_or_create(dir, owner));
  }
  CHECK(ca->created());
  CHECK(mode_of(dir) == 0700u);
  CHECK(mode_of(dir / "ca-key.pem") == 0600u);
  // The certificate is public (it is what phones download); only the key is secret.
  CHECK(mode_of(dir / "ca.pem") == 0644u);
  CHECK(ca->cert_path() == dir / "ca.pem");
  CHECK(test::read_file(dir / "ca.pem") == ca->cert_pem());
  // No half-written temporary files are left behind.
  CHECK_FALSE(fs::exists(dir / "ca-key.pem.tmp"));
  CHECK_FALSE(fs::exists(dir / "ca.pem.tmp"));
}

TEST_CASE("local_ca: the authority's certificate is a CA that may sign, named for its owner", "[unit][tls]") {
  test::temp_dir tmp("liveproxy-ca");
  const auto ca = local_ca::load_or_create(tmp.path(), owner);
  const auto x = parse_cert(ca.cert_pem());

  CHECK(ca.name() == "liveproxy development CA (user@host)");
  CHECK(common_name(x.get()) == ca.name());
  // Self-signed: issuer is subject, and its own key verifies its signature.
  CHECK(X509_NAME_cmp(X509_get_subject_name(x.get()), X509_get_issuer_name(x.get())) == 0);
  CHECK(X509_verify(x.get(), X509_get0_pubkey(x.get())) == 1);

  std::unique_ptr<BASIC_CONSTRAINTS, decltype(&BASIC_CONSTRAINTS_free)> bc(
      static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(x.get(), NID_basic_constraints, nullptr, nullptr)),
      &BASIC_CONSTRAINTS_free);
  REQUIRE(bc);
  CHECK(bc->ca != 0);
  CHECK(X509_check_ca(x.get()) >= 1);
  CHECK((X509_get_extension_flags(x.get()) & EXFLAG_KUSAGE) != 0);
  CHECK((X509_get_key_usage(x.get()) & KU_KEY_CERT_SIGN) != 0);

  // Ten years, started an hour ago: allow a couple of days for leap years.
  const long left = seconds_until(X509_get0_notAfter(x.get()));
  CHECK(left > 3648L * 86400);
  CHECK(left < 3652L * 86400);
  CHECK(seconds_until(X509_get0_notBefore(x.get())) <= 0);
}

TEST_CASE("local_ca: DER and fingerprint are of the same certificate as the PEM", "[unit][tls]") {
  test::temp_dir tmp("liveproxy-ca");
  const auto ca = local_ca::load_or_create(tmp.path(), owner);
  const std::string der = ca.cert_der();
  REQUIRE_FALSE(der.empty());
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  x509_ptr from_der(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(from_der);
  CHECK(X509_cmp(from_der.get(), parse_cert(ca.cert_pem()).get()) == 0);

  // What the user compares on a phone: SHA-256 of the DER, upper-case pairs joined by colons.
  const std::string fp = ca.fingerprint();
  CHECK(std::regex_match(fp, std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}")));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  REQUIRE(EVP_Digest(der.data(), der.size(), md, &n, EVP_sha256(), nullptr) == 1);
  REQUIRE(n == 32);
  std::string expected;
  for (unsigned i = 0; i < n; ++i) {
    char pair[4];
    std::snprintf(pair, sizeof pair, i ? ":%02X" : "%02X", md[i]);
    expected += pair;
  }
  CHECK(fp == expected);
}

TEST_CASE("local_ca: loaded again it is the same authority", "[unit][tls]") {
  test::temp_dir tmp("liveproxy-ca");
  const auto first = local_ca::load_or_create(tmp.path(), owner);
  REQUIRE(first.created());
  // Another owner on the second run (a renamed host) does not make a new authority: the trusted one stays.
  auto again = local_ca::load_or_create(tmp.path(), "other@elsewhere");
  CHECK_FALSE(again.created());
  CHECK(again.fingerprint() == first.fingerprint());
  CHECK(again.cert_pem() == first.cert_pem());
  CHECK(again.name() == first.name());

  // A moved-from authority's successor still issues certificates that chain to the first.
  const local_ca moved = std::move(again);
  const auto leaf = moved.issue({"localhost"}, 24h);
  CHECK(verify(first.cert_pem(), leaf.cert_pem) == X509_V_OK);
}

TEST_CASE("local_ca: a leaf verifies against the authority for exactly the names asked", "[unit][tls]") {
  test::temp_dir tmp("liveproxy-ca");
  const auto ca = local_ca::load_or_create(tmp.path(), owner);
  const auto before = std::chrono::system_clock::now();
  const auto issued = ca.issue(lan_names, 168h);

  CHECK(issued.names == lan_names);
  CHECK(verify(ca.cert_pem(), issued.cert_pem) == X509_V_OK);

  const auto leaf = parse_cert(issued.cert_pem);
  CHECK(X509_check_host(leaf.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(leaf.get(), "myapp.test", 0, 0, nullptr) == 1);
  CHECK(X509_check_ip_asc(leaf.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(leaf.get(), "::1", 0) == 1);
  CHECK(X509_check_ip_asc(leaf.get(), "192.168.1.20", 0) == 1);
  // Names not asked for are not covered, and an address is not a DNS name nor the other way round.
  CHECK(X509_check_host(leaf.get(), "evil.com", 0, 0, nullptr) != 1);
  CHECK(X509_check_host(leaf.get(), "sub.myapp.test", 0, 0, nullptr) != 1);
  CHECK(X509_check_ip_asc(leaf.get(), "10.0.0.1", 0) != 1);
  CHECK(X509_check_ip_asc(leaf.get(), "::2", 0) != 1);

  // For a TLS server and nothing more: serverAuth, not a CA, issued by our authority.
  CHECK((X509_get_extension_flags(leaf.get()) & EXFLAG_XKUSAGE) != 0);
  CHECK((X509_get_extended_key_usage(leaf.get()) & XKU_SSL_SERVER) != 0);
  CHECK(X509_check_purpose(leaf.get(), X509_PURPOSE_SSL_SERVER, 0) == 1);
  CHECK(X509_check_ca(leaf.get()) == 0);
  CHECK(X509_check_issued(parse_cert(ca.cert_pem()).get(), leaf.get()) == X509_V_OK);
  CHECK(common_name(leaf.get()) == "localhost");

  // The key handed out is the certificate's.
  const auto key = parse_key(issued.key_pem);
  CHECK(X509_check_private_key(leaf.get(), key.get()) == 1);

  // not_after is the certificate's own field, a lifetime from now (second precision in the certificate).
  const auto after = std::chrono::system_clock::now();
  CHECK(issued.not_after == time_of(X509_get0_notAfter(leaf.get())));
  CHECK(issued.not_after >= before + 168h - 2s);
  CHECK(issued.not_after <= after + 168h + 2s);
  // Valid from an hour ago, so a phone whose clock is a little behind still takes it.
  const long since = -seconds_until(X509_get0_notBefore(leaf.get()));
  CHECK(since >= 3600 - 5);
  CHECK(since <= 3600 + 5);
}

TEST_CASE("local_ca: each issue has its own serial number and key", "[unit][tls]") {
  test::temp_dir tmp("liveproxy-ca");
  const auto ca = local_ca::load_or_create(tmp.path(), owner);
  const auto a = ca.issue({"localhost"}, 24h);
  const auto b = ca.issue({"localhost"}, 24h);
  const auto xa = parse_cert(a.cert_pem);
  const auto xb = parse_cert(b.cert_pem);
  // Browsers refuse a second certificate with the issuer and serial of one they have seen.
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(xa.get()), X509_get0_serialNumber(xb.get())) != 0);
  CHECK(a.key_pem != b.key_pem);
  const auto ka = parse_key(a.key_pem);
  const auto kb = parse_key(b.key_pem);
  CHECK(EVP_PKEY_eq(ka.get(), kb.get()) != 1);
  CHECK(X509_check_private_key(xa.get(), kb.get()) != 1);
  CHECK(verify(ca.cert_pem(), a.cert_pem) == X509_V_OK);
  CHECK(verify(ca.cert_pem(), b.cert_pem) == X509_V_OK);
}

TEST_CASE("local_ca: a leaf of another authority with the same name does not verify", "[unit][tls]") {
  test::temp_dir tmp_a("liveproxy-ca");
  test::temp_dir tmp_b("liveproxy-ca");
  const auto a = local_ca::load_or_create(tmp_a.path(), owner);
  const auto b = local_ca::load_or_create(tmp_b.path(), owner);
  // Same owner, so the same subject: only the key tells them apart, which is what must count.
  REQUIRE(a.name() == b.name());
  CHECK(a.fingerprint() != b.fingerprint());
  const auto from_b = b.issue(lan_names, 24h);
  CHECK(verify(b.cert_pem(), from_b.cert_pem) == X509_V_OK);
  CHECK(verify(a.cert_pem(), from_b.cert_pem) != X509_V_OK);
}

TEST_CASE("local_ca: names that could inject into the SAN list are skipped", "[unit][tls]") {
  test::temp_dir tmp("liveproxy-ca");
  const auto ca = local_ca::load_or_create(tmp.path(), owner);
  const auto issued = ca.issue({"a,b", "localhost", "x y", "DNS:evil", "", "192.168.1.20"}, 24h);
  CHECK(issued.names == std::vector<std::string>{"localhost", "192.168.1.20"});
  const auto leaf = parse_cert(issued.cert_pem);
  // "a,b" would otherwise have become two entries, "DNS:evil" a name of its own.
  CHECK(X509_check_host(leaf.get(), "a", 0, 0, nullptr) != 1);
  CHECK(X509_check_host(leaf.get(), "b", 0, 0, nullptr) != 1);
  CHECK(X509_check_host(leaf.get(), "evil", 0, 0, nullptr) != 1);
  std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)> san(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf.get(), NID_subject_alt_name, nullptr, nullptr)),
      &GENERAL_NAMES_free);
  REQUIRE(san);
  CHECK(sk_GENERAL_NAME_num(san.get()) == 2);
  CHECK(verify(ca.cert_pem(), issued.cert_pem) == X509_V_OK);
}

TEST_CASE("local_ca: a wildcard name covers subdomains", "[unit][tls]") {
  // Allowed hosts may be written "*.example.test"; the certificate must then serve its subdomains.
  test::temp_dir tmp("liveproxy-ca");
  const auto ca = local_ca::load_or_create(tmp.path(), owner);
  const auto issued = ca.issue({"localhost", "*.example.test"}, 24h);
  CHECK(issued.names == std::vector<std::string>{"localhost", "*.example.test"});
  const auto leaf = parse_cert(issued.cert_pem);
  CHECK(X509_check_host(leaf.get(), "app.example.test", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(leaf.get(), "a.b.example.test", 0, 0, nullptr) != 1);
}

TEST_CASE("local_ca: only bad names is an error", "[unit][tls]") {
  test::temp_dir tmp("liveproxy-ca");
  const auto ca = local_ca::load_or_create(tmp.path(), owner);
  CHECK_THROWS_WITH(ca.issue({"a,b", "x y", "DNS:evil"}, 24h), Catch::StartsWith("--https: "));
  CHECK_THROWS_AS(ca.issue({}, 24h), std::runtime_error);
  // Something with ':' that is no address is not taken for a DNS name either.
  CHECK_THROWS_AS(ca.issue({"fe80::zz"}, 24h), std::runtime_error);
}

TEST_CASE("local_ca: a damaged key is refused with what to do", "[unit][tls]") {
  test::temp_dir tmp("liveproxy-ca");
  const fs::path dir = tmp / "ca";
  (void)local_ca::load_or_create(dir, owner);
  test::write_file(dir / "ca-key.pem", "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n");
  try {
    (void)local_ca::load_or_create(dir, owner);
    FAIL("a garbage key was accepted");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Catch::StartsWith("--https: "));
    CHECK_THAT(what, Catch::Contains((dir / "ca-key.pem").string()));
    CHECK_THAT(what, Catch::Contains("remove " + dir.string()));
  }
  // Refused, not replaced: a new authority would silently untrust every phone.
  CHECK(test::read_file(dir / "ca-key.pem").find("not base64") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "ca-key.pem.tmp"));
}

TEST_CASE("local_ca: a key that is not the certificate's is refused", "[unit][tls]") {
  test::temp_dir tmp_a("liveproxy-ca");
  test::temp_dir tmp_b("liveproxy-ca");
  (void)local_ca::load_or_create(tmp_a.path(), owner);
  (void)local_ca::load_or_create(tmp_b.path(), owner);
  // A valid key, but another authority's.
  fs::copy_file(tmp_b / "ca-key.pem", tmp_a / "ca-key.pem", fs::copy_options::overwrite_existing);
  CHECK_THROWS_WITH(local_ca::load_or_create(tmp_a.path(), owner),
                    Catch::Contains("are not a key and its certificate") && Catch::Contains("remove"));
}

TEST_CASE("local_ca: a missing half is an error, not a new authority", "[unit][tls]") {
  test::temp_dir tmp("liveproxy-ca");
  const fs::path dir = tmp / "ca";
  (void)local_ca::load_or_create(dir, owner);
  fs::remove(dir / "ca.pem");
  CHECK_THROWS_WITH(local_ca::load_or_create(dir, owner),
                    Catch::StartsWith("--https: cannot read " + (dir / "ca.pem").string()) &&
                        Catch::Contains("remove " + dir.string()));
  CHECK_FALSE(fs::exists(dir / "ca.pem"));
}

TEST_CASE("local_ca: a world-readable key is made private again on load", "[unit][tls]") {
  test::temp_dir tmp("liveproxy-ca");
  const std::string fp = local_ca::load_or_create(tmp.path(), owner).fingerprint();
  REQUIRE(::chmod((tmp / "ca-key.pem").c_str(), 0644) == 0);
  REQUIRE(mode_of(tmp / "ca-key.pem") == 0644u);
  const auto again = local_ca::load_or_create(tmp.path(), owner);
  CHECK(again.fingerprint() == fp);
  CHECK(mode_of(tmp / "ca-key.pem") == 0600u);
}

TEST_CASE("local_ca: default_dir follows XDG_DATA_HOME, else HOME", "[unit][tls]") {
  SECTION("an absolute XDG_DATA_HOME") {
    env_scope xdg("XDG_DATA_HOME", "/srv/data");
    CHECK(local_ca::default_dir() == fs::path("/srv/data/liveproxy"));
  }
  SECTION("no XDG_DATA_HOME") {
    env_scope xdg("XDG_DATA_HOME", nullptr);
    env_scope home("HOME", "/home/someone");
    CHECK(local_ca::default_dir() == fs::path("/home/someone/.local/share/liveproxy"));
  }
  SECTION("a relative XDG_DATA_HOME is ignored, as the XDG spec says") {
    env_scope xdg("XDG_DATA_HOME", "relative/data");
    env_scope home("HOME", "/home/someone");
    CHECK(local_ca::default_dir() == fs::path("/home/someone/.local/share/liveproxy"));
  }
  SECTION("an empty XDG_DATA_HOME is as unset") {
    env_scope xdg("XDG_DATA_HOME", "");
    env_scope home("HOME", "/home/someone");
    CHECK(local_ca::default_dir() == fs::path("/home/someone/.local/share/liveproxy"));
  }
}
