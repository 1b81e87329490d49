// Network and virtual file systems, where inotify does not see changes made on the other side (another
// machine, the VM's host, the container's host OS): such roots are polled instead.
#pragma once

#include <optional>
#include <string>

namespace liveproxy::watcher {

/// The file system type of path ("nfs4", "cifs", "9p", "fuse.sshfs", "virtiofs", "vboxsf", ...) when it is
/// one whose changes inotify may miss, else nullopt (local disks, tmpfs, overlayfs, FUSE over a local
/// block device). Linux only; nullopt elsewhere.
std::optional<std::string> remote_filesystem(const std::string& path);

}  // namespace liveproxy::watcher
