// The small interface every watching backend implements, and how it reports to the watcher.
#pragma once

#include "watcher/file_event.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace liveproxy::watcher {

/// Where a backend delivers what it sees. Called on the watcher's executor only.
class event_sink {
 public:
  virtual ~event_sink() = default;
  /// A file changed (created, written, deleted, renamed, attributes). rel_path is relative to its
  /// root, or the absolute path for an extra file. ev: created or removed when the backend knows.
  virtual void on_change(std::string path, std::string rel_path, file_event ev) = 0;
  /// Events were lost (queue overflow); the backend has rescanned and keeps going.
  virtual void on_overflow() = 0;
  /// A group of events read together has been delivered: a good moment to act on what is due.
  virtual void on_flush() = 0;
  /// Something the user should know (a limit hit, a directory skipped, a fallback), one line, no prefix.
  virtual void on_message(std::string text) = 0;
};

/// One way of watching the tree (inotify, polling, ...). Constructed by make_backend().
class backend {
 public:
  virtual ~backend() = default;
  /// Sets up the watches; throws std::runtime_error when this backend cannot work here.
  virtual void start() = 0;
  /// Stops for good; the sink is not called afterwards.
  virtual void stop() = 0;
  /// Watches single files, possibly outside the roots and even in ignored directories.
  virtual void watch_extra_files(const std::vector<std::filesystem::path>& files) = 0;
  /// For the startup log line.
  virtual std::string name() const = 0;
  /// Takes in, before returning, what has happened to the files up to now (the kernel's queued events; a scan
  /// for a polling backend), so that a caller asking "has everything written so far been seen?" gets a true
  /// answer. A backend that cannot (watchman: the service has its own latency) does nothing.
  virtual void read_now() {}
};

}  // namespace liveproxy::watcher
