// liveproxy's own certificate authority for this user (--https): created once, kept under $XDG_DATA_HOME, and
// the short-lived certificates it issues for the names the front answers. OpenSSL does the cryptography.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// A certificate and its private key, PEM-encoded.
struct issued_certificate {
  std::string cert_pem;
  std::string key_pem;
  std::chrono::system_clock::time_point not_after;
  std::vector<std::string> names;  ///< what it covers, as asked
};

class local_ca {
 public:
  /// $XDG_DATA_HOME/liveproxy, else ~/.local/share/liveproxy.
  static std::filesystem::path default_dir();
  /// "user@host": whose authority it is, in its name.
  static std::string default_owner();

  /// The authority in dir (ca.pem, ca-key.pem), created there when missing: the directory 0700, the key 0600, a
  /// P-256 key and a ten-year certificate named for `owner` ("user@host"). Throws std::runtime_error saying what
  /// failed (an unreadable key, a key that does not match, a folder that cannot be made).
  static local_ca load_or_create(const std::filesystem::path& dir, std::string_view owner);

  local_ca(local_ca&&) noexcept;
  local_ca& operator=(local_ca&&) noexcept;
  ~local_ca();

  /// A certificate for `names` (DNS names and IP addresses, v4 or v6), valid from an hour ago for `lifetime`,
  /// with a new P-256 key, signed by this authority; for a TLS server.
  issued_certificate issue(const std::vector<std::string>& names, std::chrono::hours lifetime) const;

  const std::string& cert_pem() const { return cert_pem_; }
  /// The certificate in DER, as Android and iOS take a .crt download.
  std::string cert_der() const;
  /// "AB:CD:…", SHA-256 of the DER: what a user compares on the phone.
  std::string fingerprint() const;
  /// The subject's common name ("liveproxy development CA (user@host)").
  std::string name() const;
  const std::filesystem::path& cert_path() const { return cert_path_; }
  /// Created by this call (not found): the caller says so once.
  bool created() const { return created_; }

 private:
  struct keys;
  explicit local_ca(std::unique_ptr<keys> k);
  std::unique_ptr<keys> keys_;
  std::string cert_pem_;
  std::filesystem::path cert_path_;
  bool created_ = false;
};

}  // namespace liveproxy
