// The authority and its certificates with OpenSSL 3's X509 API. Keys are P-256 (small, fast, taken by every
// browser and phone); certificates SHA-256-signed with the extensions browsers check (Chrome and iOS refuse a
// server certificate without subjectAltName or serverAuth, and a CA without keyCertSign).
#include "proxy/tls/local_ca.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <optional>
#include <stdexcept>

namespace liveproxy {
namespace {

namespace fs = std::filesystem;

struct free_pkey {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct free_x509 {
  void operator()(X509* p) const { X509_free(p); }
};
struct free_bio {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct close_file {
  void operator()(FILE* f) const { std::fclose(f); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, free_pkey>;
using x509_ptr = std::unique_ptr<X509, free_x509>;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("--https: " + what); }

pkey_ptr new_key() {
  pkey_ptr k(EVP_EC_gen("P-256"));
  if (!k) fail("cannot make a P-256 key");
  return k;
}

std::string pem_of(const std::function<int(BIO*)>& write) {
  std::unique_ptr<BIO, free_bio> bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) fail("cannot write PEM");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) fail("cannot set the certificate extension " + std::string(OBJ_nid2sn(nid)) + " = " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

/// A certificate with a random 127-bit serial (browsers refuse two certificates with one issuer and serial),
/// valid from an hour ago (a phone's clock may be behind) for `lifetime`.
x509_ptr new_cert(EVP_PKEY* key, std::chrono::hours lifetime) {
  x509_ptr x(X509_new());
  X509_set_version(x.get(), 2);
  BIGNUM* serial = BN_new();
  BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x.get()));
  BN_free(serial);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), static_cast<long>(lifetime.count()) * 3600);
  X509_set_pubkey(x.get(), key);
  return x;
}

void set_names(X509* x, const std::vector<std::pair<const char*, std::string>>& entries) {
  X509_NAME* name = X509_get_subject_name(x);
  for (const auto& [field, value] : entries)
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.c_str()),
                               static_cast<int>(value.size()), -1, 0);
}

/// "IP:" for an address, "DNS:" for a name; nullopt for what is neither (a SAN list must not be injectable).
std::optional<std::string> san_entry(const std::string& name) {
  if (name.empty() || name.size() > 253) return std::nullopt;
  bool ip6 = name.find(':') != std::string::npos;
  for (const char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '*' || c == '_'))
      return std::nullopt;
  std::unique_ptr<ASN1_OCTET_STRING, decltype(&ASN1_OCTET_STRING_free)> ip(a2i_IPADDRESS(name.c_str()),
                                                                          &ASN1_OCTET_STRING_free);
  if (ip) return "IP:" + name;
  if (ip6) return std::nullopt;
  return "DNS:" + name;
}

std::chrono::system_clock::time_point not_after_of(const X509* x) {
  std::tm t{};
  ASN1_TIME_to_tm(X509_get0_notAfter(x), &t);
  return std::chrono::system_clock::from_time_t(::timegm(&t));
}

/// Writes text to path with mode, replacing it only whole (a half-written key would be worse than none).
void write_private(const fs::path& path, const std::string& text, mode_t mode) {
  const fs::path temp = path.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) fail("cannot write " + temp.string() + ": " + std::strerror(errno));
  ::fchmod(fd, mode);  // whatever the umask
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) fail("cannot write " + path.string());
}

}  // namespace

struct local_ca::keys {
  pkey_ptr key;
  x509_ptr cert;
};

local_ca::local_ca(std::unique_ptr<keys> k) : keys_(std::move(k)) {}
local_ca::local_ca(local_ca&&) noexcept = default;
local_ca& local_ca::operator=(local_ca&&) noexcept = default;
local_ca::~local_ca() = default;

fs::path local_ca::default_dir() {
  if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data == '/') return fs::path(data) / "liveproxy";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/tmp") / ".local/share/liveproxy";
}

std::string local_ca::default_owner() {
  const passwd* pw = ::getpwuid(::getuid());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(pw ? pw->pw_name : "user") + "@" + host;
}

local_ca local_ca::load_or_create(const fs::path& dir, std::string_view owner) {
  const fs::path cert_path = dir / "ca.pem";
  const fs::path key_path = dir / "ca-key.pem";
  auto k = std::make_unique<keys>();
  bool created = false;
  std::error_code ec;
  if (fs::exists(key_path, ec) || fs::exists(cert_path, ec)) {
    std::unique_ptr<FILE, close_file> kf(std::fopen(key_path.c_str(), "rb"));
    std::unique_ptr<FILE, close_file> cf(std::fopen(cert_path.c_str(), "rb"));
    if (!kf || !cf)
      fail("cannot read " + (kf ? cert_path : key_path).string() + ": " + std::strerror(errno) +
           " (remove " + dir.string() + " to make a new authority, then trust it again)");
    k->key.reset(PEM_read_PrivateKey(kf.get(), nullptr, nullptr, nullptr));
    k->cert.reset(PEM_read_X509(cf.get(), nullptr, nullptr, nullptr));
    if (!k->key || !k->cert || X509_check_private_key(k->cert.get(), k->key.get()) != 1)
      fail(key_path.string() + " and " + cert_path.string() + " are not a key and its certificate (remove " +
           dir.string() + " to make a new authority, then trust it again)");
    struct stat st {};
    if (::stat(key_path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) ::chmod(key_path.c_str(), 0600);
  } else {
    fs::create_directories(dir, ec);
    if (ec) fail("cannot make " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
    k->key = new_key();
    k->cert = new_cert(k->key.get(), std::chrono::hours(24 * 3650));
    const std::string cn = "liveproxy development CA (" + std::string(owner) + ")";
    set_names(k->cert.get(), {{"O", "liveproxy development CA"}, {"OU", std::string(owner)}, {"CN", cn}});
    X509_set_issuer_name(k->cert.get(), X509_get_subject_name(k->cert.get()));
    add_ext(k->cert.get(), k->cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_ext(k->cert.get(), k->cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(k->cert.get(), k->cert.get(), NID_subject_key_identifier, "hash");
    if (X509_sign(k->cert.get(), k->key.get(), EVP_sha256()) == 0) fail("cannot sign the authority's certificate");
    // The key first, private from its first byte; then the certificate, which says the pair is whole.
    write_private(key_path,
                  pem_of([&](BIO* b) {
                    return PEM_write_bio_PrivateKey(b, k->key.get(), nullptr, nullptr, 0, nullptr, nullptr);
                  }),
                  0600);
    write_private(cert_path, pem_of([&](BIO* b) { return PEM_write_bio_X509(b, k->cert.get()); }), 0644);
    created = true;
  }
  local_ca ca(std::move(k));
  ca.cert_pem_ = pem_of([&](BIO* b) { return PEM_write_bio_X509(b, ca.keys_->cert.get()); });
  ca.cert_path_ = cert_path;
  ca.created_ = created;
  return ca;
}

issued_certificate local_ca::issue(const std::vector<std::string>& names, std::chrono::hours lifetime) const {
  std::string san;
  issued_certificate out;
  for (const auto& n : names)
    if (const auto entry = san_entry(n)) {
      san += (san.empty() ? "" : ",") + *entry;
      out.names.push_back(n);
    }
  if (san.empty()) fail("no name to issue a certificate for");
  auto key = new_key();
  auto cert = new_cert(key.get(), lifetime);
  set_names(cert.get(), {{"O", "liveproxy development certificate"}, {"CN", out.names.front()}});
  X509_set_issuer_name(cert.get(), X509_get_subject_name(keys_->cert.get()));
  add_ext(cert.get(), keys_->cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), keys_->cert.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(cert.get(), keys_->cert.get(), NID_ext_key_usage, "serverAuth");
  add_ext(cert.get(), keys_->cert.get(), NID_subject_alt_name, san);
  add_ext(cert.get(), keys_->cert.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), keys_->key.get(), EVP_sha256()) == 0) fail("cannot sign a certificate");
  out.cert_pem = pem_of([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
  out.key_pem = pem_of([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  out.not_after = not_after_of(cert.get());
  return out;
}

std::string local_ca::cert_der() const {
  unsigned char* der = nullptr;
  const int n = i2d_X509(keys_->cert.get(), &der);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string local_ca::fingerprint() const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(keys_->cert.get(), EVP_sha256(), md, &n);
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    if (i) out.push_back(':');
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

std::string local_ca::name() const {
  char buf[256];
  const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(keys_->cert.get()), NID_commonName, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace liveproxy
