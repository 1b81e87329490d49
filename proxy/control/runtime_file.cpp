// The runtime file: written atomically (a reader never sees half of it), read with the project's JSON parser.
#include "proxy/control/runtime_file.hpp"

#include "proxy/browser/event_json.hpp"
#include "proxy/settings/json_document.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace liveproxy {
namespace {

namespace fs = std::filesystem;

std::string hash_text(std::string_view s) {
  // FNV-1a, 64 bits: a name, not a secret (the directory is the user's own).
  std::uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

bool alive(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

std::optional<runtime_info> read_info(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto doc = json::parse(text);
  if (!doc.root || doc.root->type != json::node::kind::object) return std::nullopt;
  runtime_info info;
  for (const auto& m : doc.root->members) {
    if (m.key == "pid" && m.value.type == json::node::kind::number) info.pid = static_cast<long>(m.value.number);
    if (m.key == "port" && m.value.type == json::node::kind::number) info.port = static_cast<unsigned>(m.value.number);
    if (m.key == "url" && m.value.type == json::node::kind::string) info.url = m.value.text;
    if (m.key == "project" && m.value.type == json::node::kind::string) info.project = m.value.text;
  }
  if (info.pid <= 0 || info.port == 0 || info.port > 65535) return std::nullopt;
  return info;
}

fs::path canonical_or_absolute(const fs::path& p) {
  std::error_code ec;
  auto c = fs::canonical(p, ec);
  return ec ? fs::absolute(p, ec) : c;
}

}  // namespace

fs::path runtime_dir() {
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg == '/') {
    std::error_code ec;
    if (fs::is_directory(xdg, ec)) {
      const fs::path dir = fs::path(xdg) / "liveproxy";
      ::mkdir(dir.c_str(), 0700);
      if (fs::is_directory(dir, ec)) return dir;
    }
  }
  // /tmp is shared: the directory must be ours and closed to others, or another user could plant a file.
  const fs::path dir = "/tmp/liveproxy-" + std::to_string(::getuid());
  ::mkdir(dir.c_str(), 0700);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid() || (st.st_mode & 077) != 0)
    return {};
  return dir;
}

fs::path runtime_file_for(const fs::path& project) {
  const auto dir = runtime_dir();
  if (dir.empty()) return {};
  return dir / (hash_text(canonical_or_absolute(project).string()) + ".json");
}

std::optional<runtime_info> find_running(const fs::path& from) {
  for (auto dir = canonical_or_absolute(from);; dir = dir.parent_path()) {
    const auto file = runtime_file_for(dir);
    if (file.empty()) return std::nullopt;
    if (auto info = read_info(file); info && alive(info->pid) && info->project == dir.string()) return info;
    if (dir == dir.root_path() || dir.parent_path() == dir) return std::nullopt;
  }
}

runtime_file::runtime_file(runtime_info info) : info_(std::move(info)) {
  info_.project = canonical_or_absolute(info_.project).string();
  const auto file = runtime_file_for(info_.project);
  if (file.empty()) return;
  std::string text = "{\"pid\":" + std::to_string(info_.pid) + ",\"port\":" + std::to_string(info_.port) + ",\"url\":";
  event_json::append_string(text, info_.url);
  text += ",\"project\":";
  event_json::append_string(text, info_.project);
  text += "}\n";
  const fs::path temp = file.string() + "." + std::to_string(info_.pid) + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return;
  }
  std::error_code ec;
  fs::rename(temp, file, ec);
  if (ec) {
    fs::remove(temp, ec);
    return;
  }
  path_ = file;
}

runtime_file::~runtime_file() {
  if (path_.empty()) return;
  // Another liveproxy started in the same project since has its own file here now: leave it.
  if (const auto now = read_info(path_); now && now->pid == info_.pid) {
    std::error_code ec;
    fs::remove(path_, ec);
  }
}

}  // namespace liveproxy
