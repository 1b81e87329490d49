// The scripted watchman: a poll loop over the listening socket, the connection and a wake-up pipe.
#include "fake_watchman.hpp"

#include "watcher/watchman_protocol.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <simdjson.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace liveproxy::test {
namespace {

std::string json_string(std::string_view text) {
  std::string out;
  watcher::watchman::append_json_string(out, text);
  return out;
}

}  // namespace

fake_watchman::fake_watchman() : socket_((dir_ / "sock").string()) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof addr.sun_path) throw std::runtime_error("fake watchman: socket path too long");
  std::memcpy(addr.sun_path, socket_.c_str(), socket_.size() + 1);
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 1) != 0 || ::pipe2(wake_, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("fake watchman: ") + std::strerror(errno));
  thread_ = std::thread([this] { serve(); });
}

fake_watchman::~fake_watchman() {
  (void)!::write(wake_[1], "x", 1);
  thread_.join();
  for (const int fd : {listen_fd_, conn_fd_, wake_[0], wake_[1]})
    if (fd >= 0) ::close(fd);
}

std::size_t fake_watchman::count(const std::string& name) const {
  const std::lock_guard lock(m_);
  std::size_t n = 0;
  for (const auto& c : names_)
    if (c == name) ++n;
  return n;
}

std::string fake_watchman::subscription() const {
  const std::lock_guard lock(m_);
  return subscription_;
}

void fake_watchman::send(const std::string& pdu) { write_line(pdu); }

void fake_watchman::send_files(const std::vector<std::string>& names) {
  std::string files;
  for (const auto& n : names)
    files += (files.empty() ? "" : ",") + std::string(R"({"name":)") + json_string(n) +
             R"(,"exists":true,"new":false,"type":"f"})";
  send(R"({"unilateral":true,"subscription":)" + json_string(subscription()) +
       R"(,"is_fresh_instance":false,"files":[)" + files + "]}");
}

void fake_watchman::write_line(const std::string& line) {
  const std::lock_guard lock(write_m_);
  const std::string text = line + "\n";
  for (std::size_t off = 0; conn_fd_ >= 0 && off < text.size();) {
    const ssize_t n = ::write(conn_fd_, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the client went away: nothing left to tell it
    off += static_cast<std::size_t>(n);
  }
}

void fake_watchman::serve() {
  std::string in;
  int conn = -1;
  for (;;) {
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {conn >= 0 ? conn : listen_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) return;
    if (fds[1].revents == 0) continue;
    if (conn < 0) {
      conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      const std::lock_guard lock(write_m_);
      conn_fd_ = conn;
      continue;
    }
    char buf[65536];
    const ssize_t n = ::read(conn, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the client closed: one connection is all a test needs
    in.append(buf, static_cast<std::size_t>(n));
    // Every complete line is a command, however many arrived in one read.
    for (auto nl = in.find('\n'); nl != std::string::npos; nl = in.find('\n')) {
      const std::string line = in.substr(0, nl);
      in.erase(0, nl + 1);
      answer(line);
    }
  }
}

void fake_watchman::answer(const std::string& line) {
  simdjson::dom::parser parser;
  simdjson::dom::array cmd;
  std::string_view name;
  if (parser.parse(line).get(cmd) || cmd.size() == 0 || cmd.at(0).get(name)) {
    write_line(R"({"version":"4.9.0","error":"fake watchman: not a command"})");
    return;
  }
  {
    const std::lock_guard lock(m_);
    names_.emplace_back(name);
  }
  const std::string clock = "\"c:1:" + std::to_string(++clock_) + "\"";
  std::string_view arg;
  if (name == "version") {
    write_line(R"({"version":"4.9.0","capabilities":{}})");
  } else if (name == "watch-project" && !cmd.at(1).get(arg)) {
    write_line(R"({"version":"4.9.0","watch":)" + json_string(arg) + "}");
  } else if (name == "query") {
    write_line(R"({"version":"4.9.0","clock":)" + clock + R"(,"files":[]})");
  } else if (name == "subscribe" && !cmd.at(2).get(arg)) {
    const std::string sub(arg);
    {
      const std::lock_guard lock(m_);
      subscription_ = sub;
    }
    write_line(R"({"version":"4.9.0","subscribe":)" + json_string(sub) + R"(,"clock":)" + clock + "}");
    bool empty_on_fresh = true;
    simdjson::dom::object opts;
    if (!cmd.at(3).get(opts) && opts["empty_on_fresh_instance"].get(empty_on_fresh)) empty_on_fresh = true;
    // As watchman does: the first result of a subscription that asked for it lists the tree (empty here).
    if (!empty_on_fresh)
      write_line(R"({"unilateral":true,"subscription":)" + json_string(sub) +
                 R"(,"is_fresh_instance":true,"clock":)" + clock + R"(,"files":[]})");
  } else if (name == "unsubscribe" && !cmd.at(2).get(arg)) {
    write_line(R"({"version":"4.9.0","unsubscribe":)" + json_string(arg) + R"(,"deleted":true})");
  } else {
    write_line(R"({"version":"4.9.0","error":"fake watchman: unknown command"})");
  }
}

}  // namespace liveproxy::test
