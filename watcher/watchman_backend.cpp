// Watching through the watchman service: a blocking handshake at start, then subscription results
// read on the io_context. Every reported path still goes through our ignore rules.
#include "watcher/watchman_backend.hpp"

#include "watcher/ignore_rules.hpp"
#include "watcher/watchman_connect.hpp"
#include "watcher/watchman_protocol.hpp"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

// GCC 12 at -O2 reports a false "potential null pointer dereference" inside Asio's epoll reactor.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop

#include <simdjson.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <unordered_map>

namespace liveproxy::watcher {
namespace {

namespace net = boost::asio;
namespace wm = watchman;

// Answers at start: the version at once; the first query and subscription wait for watchman's
// initial crawl of the tree, which on a big tree takes seconds.
constexpr std::chrono::seconds answer_timeout{5};
constexpr std::chrono::seconds crawl_timeout{60};
// A PDU larger than this (a result listing millions of files) is not a dev tree we can help with.
constexpr std::size_t max_pdu_size = 256 * 1024 * 1024;

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string dir_of(std::string_view rel) {
  const auto slash = rel.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(rel.substr(0, slash));
}

// Shared with the read coroutine and timers so that a completion arriving after stop() finds live memory.
class watchman_state : public std::enable_shared_from_this<watchman_state> {
 public:
  watchman_state(net::any_io_executor ex, std::shared_ptr<watch_tree> tree, event_sink& sink, std::string socket,
                 native_backend_fn native, std::chrono::milliseconds recheck_interval)
      : socket_(ex),
        recheck_timer_(ex),
        tree_(std::move(tree)),
        sink_(&sink),
        socket_option_(std::move(socket)),
        native_(std::move(native)),
        recheck_interval_(recheck_interval),
        roots_(tree_->size()) {}

  void start() {
    const std::string path = wm::find_socket(socket_option_);
    fd_ = wm::connect_socket(path);
    try {
      handshake();
    } catch (...) {
      ::close(fd_);
      fd_ = -1;
      throw;
    }
    boost::system::error_code ec;
    socket_.assign(net::local::stream_protocol(), fd_, ec);
    if (ec) throw std::runtime_error("watchman socket: " + ec.message());
    fd_ = -1;
    net::co_spawn(socket_.get_executor(), read_loop(shared_from_this()), net::detached);
  }

  void stop() {
    sink_ = nullptr;
    recheck_timer_.cancel();
    boost::system::error_code ec;
    socket_.close(ec);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (extras_) extras_->stop();
    if (fallback_) fallback_->stop();
  }

  void watch_extra_files(const std::vector<std::filesystem::path>& files) {
    if (sink_ == nullptr) return;
    // Files our subscriptions report already stay with them; the rest (outside the roots, or in
    // ignored directories) go to a native backend over an empty tree, which watches just those.
    std::vector<std::filesystem::path> rest;
    for (const auto& f : files) {
      std::error_code ec;
      const auto abs = std::filesystem::weakly_canonical(std::filesystem::absolute(f, ec), ec);
      if (ec) continue;
      if (fallback_ || !tree_->covers(abs.string())) rest.push_back(abs);
    }
    if (rest.empty()) return;
    if (fallback_) {
      fallback_->watch_extra_files(rest);
      return;
    }
    if (!extras_) {
      extras_ = native_(std::make_shared<watch_tree>(std::vector<std::filesystem::path>{}, std::vector<std::string>{}));
    }
    extras_->watch_extra_files(rest);
  }

  std::string name() const { return fallback_ ? fallback_->name() + " (watchman connection lost)" : "watchman"; }

 private:
  struct root_sub {
    std::string watch;     // the project watchman watches
    std::string relative;  // our root inside it
    std::string name;      // current subscription
    std::vector<std::string> excluded;
    int generation = 0;
    bool missing = false;       // deleted or moved away; waiting for it
    bool in_flight = false;     // missing, and being watched again (commands sent, answers due)
    bool expect_fresh = false;  // the next result lists every file (a root that came back)
  };

  using answer_fn = std::function<void(const wm::pdu&)>;

  // --- start: blocking, with deadlines --------------------------------------------------------

  void handshake() {
    wm::pdu answer = request_sync(wm::version_command(), answer_timeout);
    if (!answer.error.empty()) throw std::runtime_error("watchman " + answer.version + " is too old: " + answer.error);
    if (!answer.has_capabilities)
      throw std::runtime_error("watchman " + answer.version + " is too old (no capability negotiation; 4.x needed)");
    for (std::size_t i = 0; i < roots_.size(); ++i) {
      auto& r = roots_[i];
      answer = request_sync(wm::watch_project_command(tree_->root(i)), crawl_timeout);
      if (!answer.error.empty())
        throw std::runtime_error("watchman cannot watch " + tree_->root(i) + ": " + answer.error);
      r.watch = answer.watch;
      r.relative = answer.relative_path;
      // Rules first: they decide what is reported, and which directories watchman may leave out.
      r.excluded = excluded(i);
      answer = request_sync(wm::gitignore_query(r.watch, r.relative, r.excluded), crawl_timeout);
      if (!answer.error.empty()) throw std::runtime_error("watchman query failed: " + answer.error);
      for (const auto& f : answer.files) tree_->reload_gitignore(i, dir_of(f.name));
      r.excluded = excluded(i);
      r.name = subscription_name(i);
      answer = request_sync(wm::subscribe_command(r.watch, r.name, r.relative, r.excluded, false), crawl_timeout);
      if (!answer.error.empty()) throw std::runtime_error("watchman subscribe failed: " + answer.error);
    }
  }

  // Sends a command and waits for its answer; subscription results arriving meanwhile are handled.
  wm::pdu request_sync(const std::string& command, std::chrono::seconds timeout) {
    const std::string line = command + "\n";
    for (std::size_t off = 0; off < line.size();) {
      const ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error(std::string("writing to watchman: ") + std::strerror(errno));
      off += static_cast<std::size_t>(n);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    wm::pdu p;
    for (;;) {
      std::string text;
      while (!take_line(text)) read_sync(deadline, timeout);
      const std::string bad = wm::parse_pdu(parser_, text, p);
      if (!bad.empty()) throw std::runtime_error("watchman sent something that is not JSON: " + bad);
      if (!p.unilateral) return p;
      dispatch(p);
    }
  }

  void read_sync(std::chrono::steady_clock::time_point deadline, std::chrono::seconds timeout) {
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) == 0)
        throw std::runtime_error("watchman did not answer within " + std::to_string(timeout.count()) + " s");
      char buf[65536];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error(std::string("reading from watchman: ") + std::strerror(errno));
      if (n == 0) throw std::runtime_error("watchman closed the connection");
      inbuf_.append(buf, static_cast<std::size_t>(n));
      return;
    }
  }

  // --- running: on the io_context ------------------------------------------------------------

  // `self` keeps this object alive while a read is in flight.
  net::awaitable<void> read_loop([[maybe_unused]] std::shared_ptr<watchman_state> self) {
    std::vector<char> buf(64 * 1024);
    for (;;) {
      auto [ec, n] = co_await socket_.async_read_some(net::buffer(buf), net::as_tuple(net::use_awaitable));
      if (sink_ == nullptr) co_return;
      if (ec) {
        connection_lost(ec.message());
        co_return;
      }
      inbuf_.append(buf.data(), n);
      if (inbuf_.size() > max_pdu_size) {
        connection_lost("a message larger than " + std::to_string(max_pdu_size >> 20) + " MB");
        co_return;
      }
      std::string text;
      wm::pdu p;
      while (sink_ != nullptr && take_line(text)) {
        const std::string bad = wm::parse_pdu(parser_, text, p);
        if (!bad.empty()) {
          connection_lost("unreadable message: " + bad);
          co_return;
        }
        if (p.unilateral) {
          dispatch(p);
        } else if (!commands_.empty()) {
          const answer_fn on_answer = std::move(commands_.front().second);
          commands_.pop_front();
          // The next queued command goes out before this answer is acted on: a command the answer
          // queues (a root back: subscribe) is then sent by request() only if it is alone, never twice.
          if (!commands_.empty()) send_front();
          on_answer(p);
        }
      }
      if (sink_ != nullptr) sink_->on_flush();
    }
  }

  bool take_line(std::string& line) {
    const auto nl = inbuf_.find('\n', scanned_);
    if (nl == std::string::npos) {
      scanned_ = inbuf_.size();
      return false;
    }
    line.assign(inbuf_, 0, nl);
    inbuf_.erase(0, nl + 1);
    scanned_ = 0;
    return true;
  }

  // Commands after start are rare (a root came back, rules changed). One at a time: watchman 4.9
  // loses a command that arrives in the same read as the one before it.
  void request(std::string command, answer_fn on_answer) {
    commands_.emplace_back(std::move(command), std::move(on_answer));
    if (commands_.size() == 1) send_front();
  }

  // A short blocking write of a small command; its answer is handled by the read loop.
  void send_front() {
    boost::system::error_code ec;
    const std::string line = commands_.front().first + "\n";
    net::write(socket_, net::buffer(line), ec);
    if (ec) connection_lost(ec.message());
  }

  void dispatch(const wm::pdu& p) {
    if (p.subscription.empty()) return;  // logs, state changes
    const auto it = by_name_.find(p.subscription);
    if (it == by_name_.end()) return;  // a subscription we have since replaced
    const std::size_t i = it->second;
    if (p.canceled) {
      root_gone(i);
      return;
    }
    auto& r = roots_[i];
    if (p.fresh_instance && !r.expect_fresh) {
      // watchman restarted or recrawled: it cannot say what changed meanwhile.
      if (sink_ != nullptr) sink_->on_overflow();
      return;
    }
    r.expect_fresh = false;
    report(i, p.files);
  }

  void report(std::size_t i, const std::vector<wm::file>& files) {
    // Rules first: a .gitignore written with other files applies to them.
    bool rules_changed = false;
    for (const auto& f : files) {
      if (f.type != 'f' || !(f.name == ".gitignore" || f.name.ends_with("/.gitignore"))) continue;
      if (tree_->ignored_path(i, f.name, false)) continue;
      tree_->reload_gitignore(i, dir_of(f.name));
      rules_changed = true;
    }
    for (const auto& f : files) {
      if (sink_ == nullptr) return;
      if (f.type == 'd' || f.name == ".gitignore" || f.name.ends_with("/.gitignore")) continue;
      // The subscription left out only what is ignored anyway; our rules decide the rest.
      if (tree_->ignored_path(i, f.name, false)) continue;
      // Created and gone again within one result (an atomic save's temporary file): nothing to report.
      if (!f.exists && f.is_new) continue;
      const file_event ev = !f.exists ? file_event::removed : f.is_new ? file_event::created : file_event::changed;
      sink_->on_change(tree_->abs_path(i, f.name), f.name, ev);
    }
    if (rules_changed && excluded(i) != roots_[i].excluded) resubscribe(i);
  }

  std::vector<std::string> excluded(std::size_t i) const {
    return wm::excluded_dir_names(ignore_rules::default_patterns(), tree_->extra_ignores(), tree_->negations(i));
  }

  std::string subscription_name(std::size_t i) {
    auto& r = roots_[i];
    by_name_.erase(r.name);
    r.name = "liveproxy-" + std::to_string(::getpid()) + "-" + std::to_string(i) + "-" + std::to_string(++r.generation);
    by_name_[r.name] = i;
    return r.name;
  }

  // A negation now re-includes a directory watchman was told to leave out: subscribe again.
  void resubscribe(std::size_t i) {
    auto& r = roots_[i];
    request(wm::unsubscribe_command(r.watch, r.name), [](const wm::pdu&) {});
    r.excluded = excluded(i);
    request(wm::subscribe_command(r.watch, subscription_name(i), r.relative, r.excluded, false),
            [this, i](const wm::pdu& p) {
              if (!p.error.empty()) say("watchman subscribe for " + tree_->root(i) + " failed: " + p.error);
            });
  }

  // watchman cancels the subscription of a root deleted or moved away, without listing what went.
  void root_gone(std::size_t i) {
    auto& r = roots_[i];
    if (r.missing) return;
    r.missing = true;
    by_name_.erase(r.name);
    say("watch root " + tree_->root(i) + " is gone; watching for it to come back");
    if (sink_ != nullptr) sink_->on_overflow();
    schedule_recheck();
  }

  void schedule_recheck() {
    if (recheck_armed_) return;
    recheck_armed_ = true;
    recheck_timer_.expires_after(recheck_interval_);
    recheck_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      const auto self = weak.lock();
      if (!self) return;
      self->recheck_armed_ = false;
      if (ec || self->sink_ == nullptr) return;
      self->recheck_roots();
    });
  }

  void recheck_roots() {
    bool waiting = false;
    for (std::size_t i = 0; i < roots_.size(); ++i) {
      auto& r = roots_[i];
      if (!r.missing || r.in_flight) continue;
      if (!is_directory(tree_->root(i))) {
        waiting = true;
        continue;
      }
      r.in_flight = true;
      request(wm::watch_project_command(tree_->root(i)), [this, i](const wm::pdu& p) { root_watched(i, p); });
    }
    if (waiting) schedule_recheck();
  }

  void root_watched(std::size_t i, const wm::pdu& p) {
    auto& r = roots_[i];
    if (!p.error.empty()) {
      // Gone again, or not yet readable: try again later.
      r.in_flight = false;
      schedule_recheck();
      return;
    }
    r.watch = p.watch;
    r.relative = p.relative_path;
    r.excluded = excluded(i);
    // Everything in it is new to us: this subscription's first result lists every file.
    r.expect_fresh = true;
    request(wm::subscribe_command(r.watch, subscription_name(i), r.relative, r.excluded, true),
            [this, i](const wm::pdu& answer) {
              auto& root = roots_[i];
              root.in_flight = false;
              if (!answer.error.empty()) {
                root.expect_fresh = false;
                schedule_recheck();
                return;
              }
              root.missing = false;
              say("watch root " + tree_->root(i) + " is back; watching it again");
            });
  }

  // The service went away (restarted, killed): carry on with the native backend, saying so.
  void connection_lost(const std::string& why) {
    if (sink_ == nullptr || fallback_) return;
    boost::system::error_code ec;
    socket_.close(ec);
    recheck_timer_.cancel();
    say("lost the connection to watchman (" + why + "); watching without it from now on");
    fallback_ = native_(tree_);
    // Changes between the loss and the new watches cannot be known.
    if (sink_ != nullptr) sink_->on_overflow();
    if (extras_) {
      extras_->stop();
      extras_.reset();
    }
  }

  void say(std::string text) {
    if (sink_ != nullptr) sink_->on_message(std::move(text));
  }

  net::local::stream_protocol::socket socket_;
  net::steady_timer recheck_timer_;  // armed only while a root is missing
  bool recheck_armed_ = false;
  std::shared_ptr<watch_tree> tree_;
  event_sink* sink_;  // null once stopped
  std::string socket_option_;
  native_backend_fn native_;
  std::chrono::milliseconds recheck_interval_;
  std::vector<root_sub> roots_;
  std::unordered_map<std::string, std::size_t> by_name_;  // subscription → root
  std::deque<std::pair<std::string, answer_fn>> commands_;  // the front one is sent, awaiting its answer
  int fd_ = -1;                                           // during start, before the socket owns it
  std::string inbuf_;
  std::size_t scanned_ = 0;  // inbuf_ holds no newline before this
  simdjson::dom::parser parser_;
  std::unique_ptr<backend> extras_;
  std::unique_ptr<backend> fallback_;
};

class watchman_backend final : public backend {
 public:
  watchman_backend(net::any_io_executor ex, std::shared_ptr<watch_tree> tree, event_sink& sink, std::string socket,
                   native_backend_fn native, std::chrono::milliseconds recheck_interval)
      : state_(std::make_shared<watchman_state>(std::move(ex), std::move(tree), sink, std::move(socket),
                                                std::move(native), recheck_interval)) {}
  ~watchman_backend() override { stop(); }
  watchman_backend(const watchman_backend&) = delete;
  watchman_backend& operator=(const watchman_backend&) = delete;

  void start() override { state_->start(); }
  void stop() override { state_->stop(); }
  void watch_extra_files(const std::vector<std::filesystem::path>& files) override {
    state_->watch_extra_files(files);
  }
  std::string name() const override { return state_->name(); }

 private:
  std::shared_ptr<watchman_state> state_;
};

}  // namespace

std::unique_ptr<backend> make_watchman_backend(net::any_io_executor ex, std::shared_ptr<watch_tree> tree,
                                               event_sink& sink, std::string socket, native_backend_fn native,
                                               std::chrono::milliseconds recheck_interval) {
  return std::make_unique<watchman_backend>(std::move(ex), std::move(tree), sink, std::move(socket),
                                            std::move(native), recheck_interval);
}

}  // namespace liveproxy::watcher
