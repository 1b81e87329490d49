// A real watcher on its own loop thread, recording batches and notices, for the [fs] watcher tests.
#pragma once

#include "watcher/watcher.hpp"

#include "support/temp_dir.hpp"
#include "support/wait.hpp"

// GCC 12 at -O2 reports a false "potential null pointer dereference" inside Asio's scheduler.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#pragma GCC diagnostic pop

#include <catch2/catch.hpp>

#include <chrono>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace liveproxy::test {

/// Runs a watcher on its own io_context thread and records every batch and every notice.
class watcher_harness {
 public:
  /// Starts the watcher; opts.on_message, when unset, is pointed at messages().
  explicit watcher_harness(watcher::options opts);
  ~watcher_harness();
  watcher_harness(const watcher_harness&) = delete;
  watcher_harness& operator=(const watcher_harness&) = delete;

  std::vector<watcher::batch> batches() const;
  std::size_t change_count() const;
  bool saw(const std::string& rel) const;
  /// Was some batch flagged overflow (events lost, act conservatively)?
  bool saw_overflow() const;
  /// Was rel, or anything below the directory rel, reported?
  bool saw_under(const std::string& rel) const;
  /// How many times rel was reported, over all batches so far.
  std::size_t times_seen(const std::string& rel) const;
  /// Waits until rel has been reported (in any batch so far).
  bool wait_for(const std::string& rel, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  std::vector<std::string> all_rel_paths() const;
  void clear();
  /// watcher::backend_name(), asked on the watcher's loop (it can change while running).
  std::string backend();
  /// Overflows the kernel's inotify queue: holds the watcher's loop, floods the queue with attribute
  /// changes of two files of a watched directory, runs while_full (its events are lost), releases.
  void overflow_inotify_queue(const std::filesystem::path& file_a, const std::filesystem::path& file_b,
                              const std::function<void()>& while_full = {});
  void watch_extra(const std::vector<std::filesystem::path>& files);

  /// The notices the watcher gave so far, in order.
  std::vector<std::string> messages() const;
  /// Waits until some notice contains needle.
  bool wait_for_message(const std::string& needle) const;

  /// Runs fn on the watcher's loop and waits for it: the watcher is not thread-safe. What fn throws
  /// is thrown here, on the test's thread (fn must not use Catch's assertions).
  template <typename Fn>
  void on_loop(Fn fn) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      try {
        fn();
        done.set_value();
      } catch (...) {
        done.set_exception(std::current_exception());
      }
    });
    done.get_future().get();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  mutable std::mutex m_;
  std::vector<watcher::batch> batches_;
  std::vector<std::string> messages_;
  std::unique_ptr<watcher::watcher> w_;
  std::thread thread_;
};

enum class backend_kind { inotify, poll, watchman };

/// Fast polling keeps the tests quick; the behaviour under test is the same at any interval.
inline constexpr std::chrono::milliseconds test_poll_interval{20};

/// Every backend this machine has (watchman when its binary is installed; tests start a private
/// service for it); a behaviour test calls each_backend() once and runs once per backend.
std::vector<backend_kind> available_backends();
backend_kind each_backend();

/// Options watching dir with the given backend.
watcher::options opts_for(const temp_dir& dir, backend_kind kind);
/// What watcher::backend_name() says for that backend in opts_for().
std::string expected_name(backend_kind kind);

}  // namespace liveproxy::test
