// The watcher: a backend feeds classified changes into the debouncer, a steady_timer delivers batches.
#include "watcher/watcher.hpp"

#include "watcher/backend_factory.hpp"
#include "watcher/classifier.hpp"
#include "watcher/debouncer.hpp"
#include "watcher/watch_tree.hpp"

// GCC 12 at -O2 reports a false "potential null pointer dereference" inside Asio's epoll reactor.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop

#include <algorithm>
#include <iostream>
#include <utility>

namespace liveproxy::watcher {
namespace {

namespace net = boost::asio;

// Shared so that a timer completion arriving after the watcher is gone finds nothing to call.
class engine final : public event_sink, public std::enable_shared_from_this<engine> {
 public:
  engine(net::any_io_executor ex, options opts, watcher::callback on_batch)
      : ex_(ex),
        opts_(std::move(opts)),
        on_batch_(std::move(on_batch)),
        classifier_(opts_.rules.empty() ? classifier() : classifier(opts_.rules)),
        // A settle time longer than the usual cap on waiting is what the user asked for: the cap grows.
        debouncer_(opts_.restart_settle, opts_.browser_coalesce,
                   std::max({debouncer::default_max_delay, opts_.restart_settle, opts_.browser_coalesce}),
                   opts_.quick_settle),
        timer_(ex) {}

  void start() {
    tree_ = std::make_shared<watch_tree>(opts_.roots, opts_.extra_ignores,
                                         [weak = weak_from_this()](const std::string& text) {
                                           if (const auto self = weak.lock()) self->on_message(text);
                                         });
    backend_ = make_backend(ex_, opts_, tree_, *this);
  }

  void stop() {
    stopped_ = true;
    if (backend_) backend_->stop();
    timer_.cancel();
  }

  void watch_extra_files(const std::vector<std::filesystem::path>& files) {
    if (backend_ && !stopped_) backend_->watch_extra_files(files);
  }

  std::string backend_name() const { return backend_ ? backend_->name() : "none"; }
  void read_now() {
    if (backend_ && !stopped_) backend_->read_now();
  }
  std::uint64_t seen() const { return seen_; }
  std::uint64_t delivered() const { return delivered_; }
  std::vector<root_summary> summary() const { return tree_ ? summarize_tree(*tree_) : std::vector<root_summary>{}; }

  void on_change(std::string path, std::string rel_path, file_event ev) override {
    if (stopped_) return;
    const action act = classifier_.classify(rel_path);
    if (act == action::ignore) return;
    ++seen_;
    debouncer_.add(change{path, std::move(rel_path), act}, debouncer::clock::now(), ev);
    if (act != action::restart) return;
    if (ev == file_event::removed) removal_added_ = true;  // often half of a save (vim renames the file away first)
    else if (ev == file_event::created && likely_temporary_name(path)) return;  // the rename onto the file follows
    else if (restart_paths_.size() < max_restart_paths) restart_paths_.push_back(path);
    else restart_more_ = true;
  }

  void on_overflow() override {
    if (stopped_) return;
    ++seen_;
    debouncer_.add_overflow(debouncer::clock::now());
    overflow_added_ = true;
  }

  void on_flush() override { deliver(); }

  void on_message(std::string text) override {
    if (opts_.on_message) {
      opts_.on_message(text);
    } else {
      std::cerr << "liveproxy: " << text << "\n";
    }
  }

 private:
  // Hands out everything due now, then sleeps until the next due time (no timer when idle).
  void deliver() {
    const auto self = shared_from_this();  // the callback may drop the last outside reference
    const auto added = std::exchange(restart_paths_, {});
    const bool more = std::exchange(restart_more_, false);
    const bool removed = std::exchange(removal_added_, false);
    const bool lost = std::exchange(overflow_added_, false);
    if ((!added.empty() || removed || lost) && debouncer_.restart_pending() && opts_.on_restart_pending) {
      restart_told_ = true;
      // Paths only when every change written or created is named: the caller may act on what they are.
      opts_.on_restart_pending(true, more ? std::vector<std::string>{} : added);
      if (stopped_) return;
    }
    while (!stopped_) {
      auto b = debouncer_.take_due(debouncer::clock::now());
      if (!b) break;
      if (b->strongest == action::restart) restart_told_ = false;
      on_batch_(*b);
    }
    if (stopped_) return;
    if (restart_told_ && !debouncer_.restart_pending()) {
      // Every code change of the burst was a temporary file: no restart batch will come.
      restart_told_ = false;
      if (opts_.on_restart_pending) opts_.on_restart_pending(false, {});
      if (stopped_) return;
    }
    if (debouncer_.idle()) delivered_ = seen_;
    const auto next = debouncer_.next_due();
    if (!next) {
      if (armed_) timer_.cancel();
      armed_ = false;
      return;
    }
    if (armed_ && armed_for_ == *next) return;
    armed_ = true;
    armed_for_ = *next;
    timer_.expires_at(*next);
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (ec == net::error::operation_aborted) return;
      if (const auto locked = weak.lock()) {
        locked->armed_ = false;
        locked->deliver();
      }
    });
  }

  net::any_io_executor ex_;
  options opts_;
  watcher::callback on_batch_;
  classifier classifier_;
  debouncer debouncer_;
  net::steady_timer timer_;
  std::shared_ptr<watch_tree> tree_;
  std::unique_ptr<backend> backend_;
  bool stopped_ = false;
  std::uint64_t seen_ = 0;       ///< changes taken in (see watcher::changes_seen)
  std::uint64_t delivered_ = 0;  ///< seen_ as of the last time nothing was pending
  /// Code changes that arrived since the last delivery (the first few: enough to tell what they are).
  std::vector<std::string> restart_paths_;
  static constexpr std::size_t max_restart_paths = 16;
  bool restart_more_ = false;   ///< more than max_restart_paths of them
  bool removal_added_ = false;  ///< code files deleted or renamed away since then
  bool overflow_added_ = false;
  bool restart_told_ = false;   ///< on_restart_pending(true) was said and its batch has not come yet
  bool armed_ = false;
  debouncer::time_point armed_for_{};
};

}  // namespace

struct watcher::impl {
  std::shared_ptr<engine> e;
};

watcher::watcher(boost::asio::any_io_executor ex, options opts, callback on_batch)
    : impl_(std::make_unique<impl>(impl{std::make_shared<engine>(std::move(ex), std::move(opts), std::move(on_batch))})) {}

watcher::~watcher() { stop(); }

void watcher::start() { impl_->e->start(); }

void watcher::stop() { impl_->e->stop(); }

void watcher::read_now() { impl_->e->read_now(); }

std::uint64_t watcher::changes_seen() const { return impl_->e->seen(); }

std::uint64_t watcher::changes_delivered() const { return impl_->e->delivered(); }

void watcher::watch_extra_files(const std::vector<std::filesystem::path>& files) {
  impl_->e->watch_extra_files(files);
}

std::string watcher::backend_name() const { return impl_->e->backend_name(); }

std::vector<root_summary> watcher::summary() const { return impl_->e->summary(); }

}  // namespace liveproxy::watcher
