// statfs(2) decides (the kernel's own magic numbers); /proc/self/mountinfo only names the type for the message,
// and tells FUSE file systems over a local disk (ntfs-3g) or the container's own layers (fuse-overlayfs)
// from remote ones (sshfs, virtiofs, Docker Desktop's grpcfuse).
#include "watcher/remote_fs.hpp"

#if defined(__linux__)
#include <sys/vfs.h>

#include <fstream>
#include <sstream>
#endif

#include <cstdint>

namespace liveproxy::watcher {

#if defined(__linux__)
namespace {

struct kind {
  std::uint32_t magic;
  const char* name;
};

// From linux/magic.h and the file systems' sources (not all are in the uapi header).
constexpr kind remote_kinds[] = {
    {0x6969, "nfs"},          {0x517B, "smbfs"},     {0xFF534D42, "cifs"},     {0xFE534D42, "smb2"},
    {0x01021997, "9p"},       {0x65735546, "fuse"},  {0x786F4256, "vboxsf"},   {0x7C7C6673, "prl_fs"},
    {0x00C36400, "ceph"},     {0x5346414F, "afs"},   {0x73757245, "coda"},     {0x0BD00BD0, "lustre"},
    {0x47504653, "gpfs"},     {0x013111A8, "ibrix"}, {0xAAD7AAEA, "panfs"},
};

/// The mountinfo type of the mount holding path (the longest mount point that is a prefix of it).
std::string mount_type(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, best_type;
  std::size_t best_len = 0;
  while (std::getline(in, line)) {
    // id parent major:minor root mount-point options [optional...] - type source super-options
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string type;
    tail >> type;
    const bool prefix = path == point || point == "/" ||
                        (path.size() > point.size() && path.compare(0, point.size(), point) == 0 &&
                         path[point.size()] == '/');
    if (prefix && point.size() >= best_len) {
      best_len = point.size();
      best_type = type;
    }
  }
  return best_type;
}

}  // namespace

std::optional<std::string> remote_filesystem(const std::string& path) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) return std::nullopt;
  const auto magic = static_cast<std::uint32_t>(fs.f_type);
  for (const auto& k : remote_kinds) {
    if (k.magic != magic) continue;
    std::string type = mount_type(path);
    // FUSE that is not remote: a local disk through ntfs-3g and the like, a container's own layers.
    if (type == "fuseblk" || type == "fuse.fuse-overlayfs") return std::nullopt;
    return type.empty() ? std::string(k.name) : type;
  }
  return std::nullopt;
}

#else

std::optional<std::string> remote_filesystem(const std::string&) { return std::nullopt; }

#endif

}  // namespace liveproxy::watcher
