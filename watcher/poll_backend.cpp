// Polling: a steady_timer, one poll_scan per root, and a stat per extra file.
#include "watcher/poll_backend.hpp"

#include "watcher/poll_scan.hpp"

#include <sys/stat.h>

// GCC 12 at -O2 reports a false "potential null pointer dereference" inside Asio's scheduler.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop

#include <map>
#include <vector>

namespace liveproxy::watcher {
namespace {

namespace net = boost::asio;

// Shared with the timer handler so that a completion after stop() finds live memory.
class poll_state : public std::enable_shared_from_this<poll_state> {
 public:
  poll_state(net::any_io_executor ex, std::shared_ptr<watch_tree> tree, event_sink& sink,
             std::chrono::milliseconds interval)
      : timer_(ex), tree_(std::move(tree)), sink_(&sink), interval_(interval) {}

  void start() {
    for (std::size_t i = 0; i < tree_->size(); ++i) scans_.emplace_back(i, "");
    poll();  // the baseline: records, reports nothing
    schedule();
  }

  /// A scan now (not at the next tick), delivered before returning.
  void read_now() {
    if (sink_ == nullptr) return;
    poll();
    if (sink_ != nullptr) sink_->on_flush();
  }

  void stop() {
    sink_ = nullptr;
    timer_.cancel();
  }

  void watch_extra_files(const std::vector<std::filesystem::path>& files) {
    for (const auto& f : files) {
      std::error_code ec;
      const auto abs = std::filesystem::weakly_canonical(std::filesystem::absolute(f, ec), ec);
      if (ec) continue;
      extra_.try_emplace(abs.string(), stat_of(abs.string()));
    }
  }

 private:
  struct file_state {
    std::int64_t mtime_ns = -1;  // -1: does not exist
    std::int64_t size = 0;
    std::uint64_t inode = 0;
    bool operator==(const file_state&) const = default;
  };

  static file_state stat_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {};
    return {static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
            static_cast<std::int64_t>(st.st_size), static_cast<std::uint64_t>(st.st_ino)};
  }

  void schedule() {
    timer_.expires_after(interval_);
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (ec) return;
      const auto self = weak.lock();
      if (!self || self->sink_ == nullptr) return;
      self->poll();
      if (self->sink_ == nullptr) return;
      self->sink_->on_flush();
      if (self->sink_ != nullptr) self->schedule();
    });
  }

  void poll() {
    const auto report = [this](const std::string& path, const std::string& rel, file_event ev) {
      if (sink_ != nullptr) sink_->on_change(path, rel, ev);
    };
    for (auto& s : scans_) {
      const bool was_missing = s.missing();
      s.rescan(*tree_, report);
      if (sink_ == nullptr || s.missing() == was_missing || !s.dir_rel().empty()) continue;
      sink_->on_message("watch root " + tree_->root(s.root()) +
                        (s.missing() ? " is gone; polling until it is back" : " is back; watching it again"));
    }
    for (auto& [path, state] : extra_) {
      const file_state now = stat_of(path);
      if (now == state) continue;
      const file_event ev = state.mtime_ns < 0 ? file_event::created
                            : now.mtime_ns < 0 ? file_event::removed
                                               : file_event::changed;
      state = now;
      // A file both extra and in a root is already reported root-relative by the scan.
      if (!tree_->covers(path)) report(path, path, ev);
    }
  }

  net::steady_timer timer_;
  std::shared_ptr<watch_tree> tree_;
  event_sink* sink_;  // null once stopped
  std::chrono::milliseconds interval_;
  std::vector<poll_scan> scans_;
  std::map<std::string, file_state> extra_;
};

class poll_backend final : public backend {
 public:
  poll_backend(net::any_io_executor ex, std::shared_ptr<watch_tree> tree, event_sink& sink,
               std::chrono::milliseconds interval)
      : state_(std::make_shared<poll_state>(std::move(ex), std::move(tree), sink, interval)), interval_(interval) {}
  ~poll_backend() override { stop(); }
  poll_backend(const poll_backend&) = delete;
  poll_backend& operator=(const poll_backend&) = delete;

  void start() override { state_->start(); }
  void stop() override { state_->stop(); }
  void watch_extra_files(const std::vector<std::filesystem::path>& files) override {
    state_->watch_extra_files(files);
  }
  std::string name() const override { return "poll (" + std::to_string(interval_.count()) + " ms)"; }
  void read_now() override { state_->read_now(); }

 private:
  std::shared_ptr<poll_state> state_;
  std::chrono::milliseconds interval_;
};

}  // namespace

std::unique_ptr<backend> make_poll_backend(net::any_io_executor ex, std::shared_ptr<watch_tree> tree,
                                           event_sink& sink, std::chrono::milliseconds interval) {
  return std::make_unique<poll_backend>(std::move(ex), std::move(tree), sink, interval);
}

}  // namespace liveproxy::watcher
