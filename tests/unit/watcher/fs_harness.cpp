// The [fs] watcher test harness: a loop thread per watcher, batches and notices behind one mutex.
#include "fs_harness.hpp"

#include "watchman_server.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>

namespace liveproxy::test {

watcher_harness::watcher_harness(watcher::options opts) {
  if (!opts.on_message) {
    opts.on_message = [this](const std::string& text) {
      const std::lock_guard lock(m_);
      messages_.push_back(text);
    };
  }
  w_ = std::make_unique<watcher::watcher>(io_.get_executor(), std::move(opts), [this](const watcher::batch& b) {
    const std::lock_guard lock(m_);
    batches_.push_back(b);
  });
  w_->start();  // before the loop thread exists, so this is still single-threaded
  thread_ = std::thread([this] { io_.run(); });
}

watcher_harness::~watcher_harness() {
  on_loop([this] { w_->stop(); });
  work_.reset();
  io_.stop();
  thread_.join();
  w_.reset();
}

std::vector<watcher::batch> watcher_harness::batches() const {
  const std::lock_guard lock(m_);
  return batches_;
}

std::size_t watcher_harness::change_count() const {
  std::size_t n = 0;
  for (const auto& b : batches()) n += b.changes.size();
  return n;
}

std::size_t watcher_harness::times_seen(const std::string& rel) const {
  std::size_t n = 0;
  for (const auto& b : batches())
    for (const auto& c : b.changes)
      if (c.rel_path == rel) ++n;
  return n;
}

bool watcher_harness::saw(const std::string& rel) const { return times_seen(rel) > 0; }

bool watcher_harness::saw_overflow() const {
  for (const auto& b : batches())
    if (b.overflow) return true;
  return false;
}

bool watcher_harness::saw_under(const std::string& rel) const {
  for (const auto& p : all_rel_paths())
    if (p == rel || p.starts_with(rel + "/")) return true;
  return false;
}

bool watcher_harness::wait_for(const std::string& rel, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return saw(rel); }, timeout);
}

std::vector<std::string> watcher_harness::all_rel_paths() const {
  std::vector<std::string> out;
  for (const auto& b : batches())
    for (const auto& c : b.changes) out.push_back(c.rel_path);
  return out;
}

void watcher_harness::clear() {
  const std::lock_guard lock(m_);
  batches_.clear();
}

std::string watcher_harness::backend() {
  std::string name;
  on_loop([&] { name = w_->backend_name(); });
  return name;
}

void watcher_harness::overflow_inotify_queue(const std::filesystem::path& file_a, const std::filesystem::path& file_b,
                                             const std::function<void()>& while_full) {
  std::promise<void> release;
  std::promise<void> holding;
  std::thread holder([&] {
    on_loop([&] {
      holding.set_value();
      release.get_future().wait();
    });
  });
  holding.get_future().wait();
  std::ifstream limit_file("/proc/sys/fs/inotify/max_queued_events");
  int limit = 16384;
  limit_file >> limit;
  // Alternating names, because the kernel merges identical consecutive events.
  const std::string a = file_a.string();
  const std::string b = file_b.string();
  for (int i = 0; i < limit + 100; ++i) ::utimensat(AT_FDCWD, i % 2 ? a.c_str() : b.c_str(), nullptr, 0);
  if (while_full) while_full();
  release.set_value();
  holder.join();
}

void watcher_harness::watch_extra(const std::vector<std::filesystem::path>& files) {
  on_loop([&] { w_->watch_extra_files(files); });
}

std::vector<std::string> watcher_harness::messages() const {
  const std::lock_guard lock(m_);
  return messages_;
}

bool watcher_harness::wait_for_message(const std::string& needle) const {
  return wait_until([&] {
    for (const auto& m : messages())
      if (m.find(needle) != std::string::npos) return true;
    return false;
  });
}

std::vector<backend_kind> available_backends() {
  if (!have_watchman()) return {backend_kind::inotify, backend_kind::poll};
  return {backend_kind::inotify, backend_kind::poll, backend_kind::watchman};
}

backend_kind each_backend() {
  const auto kind = GENERATE(Catch::Generators::from_range(available_backends()));
  return kind;
}

watcher::options opts_for(const temp_dir& dir, backend_kind kind) {
  watcher::options o;
  o.roots = {dir.path()};
  if (kind == backend_kind::poll) o.poll_interval = test_poll_interval;
  if (kind == backend_kind::watchman) {
    o.use_watchman = true;
    o.watchman_socket = shared_watchman().socket();
  }
  return o;
}

std::string expected_name(backend_kind kind) {
  switch (kind) {
    case backend_kind::inotify:
      return "inotify";
    case backend_kind::poll:
      return "poll (" + std::to_string(test_poll_interval.count()) + " ms)";
    case backend_kind::watchman:
      return "watchman";
  }
  return "?";
}

}  // namespace liveproxy::test
