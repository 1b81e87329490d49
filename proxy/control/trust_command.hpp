// `liveproxy trust [--remove]`: liveproxy's local certificate authority added to (or taken out of) the places
// this machine's programs look for trusted authorities, saying each change it makes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace liveproxy {

/// Where the authority goes: the system store (Debian's /usr/local/share/ca-certificates, read by
/// update-ca-certificates: curl, Python, Node with --use-openssl-ca, Go) and the NSS databases Chromium
/// (~/.pki/nssdb) and Firefox (each profile's cert9.db) use.
struct trust_places {
  std::filesystem::path system_file;               ///< /usr/local/share/ca-certificates/liveproxy-USER-HOST.crt
  std::vector<std::filesystem::path> nss_databases;  ///< directories holding cert9.db (Chromium's made if missing)
};

/// The places for this user: `home` ($HOME), `owner` ("user@host", naming the system file).
trust_places find_trust_places(const std::filesystem::path& home, const std::string& owner);

/// Runs `liveproxy trust [--remove]` (argv[1] == "trust"); its exit status (0 all done, 1 something failed,
/// 2 a usage error).
int run_trust_command(int argc, char** argv, const std::string& owner);

}  // namespace liveproxy
