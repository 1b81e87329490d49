// An app liveproxy runs: its private port (or a socket handed over as fd 3), the supervisor, preloading, and what
// is known when a run fails (a crash and its traceback, a start timeout, a foreign port, a missing module).
#pragma once

#include "proxy/app/app_source.hpp"
#include "proxy/app/python_preload.hpp"
#include "proxy/app/supervisor.hpp"

#include <optional>
#include <string>

namespace liveproxy {

class command_source final : public app_source {
 public:
  /// Picks the app port (or binds the socket to hand over); throws on start-up errors (--app-port taken).
  command_source(net::any_io_executor ex, const config& cfg);

  app_kind kind() const override { return app_kind::command; }
  const app_target& target() const override { return target_; }
  app_origin origin() const override;
  void start(events e) override;
  void start_run() override;
  void stop(bool now, std::function<void()> done) override;
  void reconfigure(const config& next) override;
  void set_front_url(const std::string& url) override { supervisor_->set_front_url(url); }
  std::uint64_t generation() const override { return supervisor_->generation(); }
  app_failure failure(bool gate_failed, std::optional<std::chrono::milliseconds> restart_in) const override;
  std::string describe() const override;
  std::string mode() const override { return "command"; }
  std::string target_text() const override;
  std::string command_text() const override;
  const output_log* output() const override { return &supervisor_->output(); }
  bool run_was_preloaded() const override { return supervisor_->run_was_preloaded(); }
  std::string not_preloaded_why() const override { return supervisor_->not_preloaded_why(); }
  int exit_status() const override;
  std::vector<std::filesystem::path> crash_files() const override { return crash_files_; }
  bool has_terminal() const override { return supervisor_->has_terminal(); }
  void type(std::string_view keys) override { supervisor_->type(keys); }
  void resize() override { supervisor_->resize(); }
  std::optional<std::string> waiting_prompt(std::chrono::steady_clock::time_point now) const override {
    return supervisor_->waiting_prompt(now);
  }

  std::uint16_t app_port() const { return app_port_; }

 private:
  /// --preload: the spare's command and environment for this configuration (empty: runs start the plain way).
  std::pair<std::vector<std::string>, std::vector<std::string>> spare_setup(const config& c);
  void on_ready(std::uint64_t generation);
  void on_exit(const app_exit& e);
  void on_start_timeout(std::uint64_t generation);
  /// While a run starts: does its process tree listen on some other port than ours? (It ignores {port}.)
  awaitable<void> watch_for_foreign_port(std::uint64_t run);
  /// After a crash: a Python app that could not import a module is run by the wrong interpreter, usually.
  void explain_missing_module();
  /// How to give this command its port: runserver takes an address argument, most others --port.
  std::string port_hint() const;
  /// The files a crash names, for the error page and to be watched.
  void note_traceback();
  /// A file of a traceback is the project's own code: under the working directory or a watched directory.
  bool in_project(const std::string& file) const;
  /// A file as the error page shows it: relative to the working directory when it is under it.
  std::string shown(const std::string& file) const;
  /// The source around the user's frames of the crash, for the error page.
  void add_excerpts(app_failure& info) const;
  /// --fd: requests queued in the handed-over socket's backlog would wait there for the next run: closed, so
  /// the proxy answers each with the error page.
  void drain_handoff_backlog();

  net::any_io_executor ex_;
  std::vector<std::string> command_;  ///< with placeholders, as configured
  std::string name_;                  ///< "app", or its name among several
  std::vector<std::string> env_;
  std::optional<bool> preload_;
  std::vector<std::filesystem::path> project_dirs_;  ///< never preloaded: the watched directories
  std::string app_host_;
  std::chrono::milliseconds start_timeout_;
  std::optional<tcp_acceptor> handoff_;  ///< --fd mode: the app's listening socket, owned by us
  std::uint16_t app_port_;
  app_target target_;
  std::optional<preload_files> preload_files_;  ///< --preload's directory: outlives the supervisor's runs
  std::optional<supervisor> supervisor_;
  events events_;
  bool ready_ = false;                  ///< the current run has listened
  std::uint64_t port_watch_run_ = 0;
  std::optional<app_exit> last_exit_;   ///< how the last run ended, until one is ready again
  bool start_timed_out_ = false;
  std::optional<std::string> foreign_listen_;  ///< "127.0.0.1:8000": where the run listens instead of our port
  std::optional<std::string> missing_module_;  ///< the Python module the last crash could not import
  std::string missing_module_hint_;            ///< which interpreters do have it
  std::vector<std::string> traceback_;         ///< "file:line" named in the last crash output
  crash_report crash_;                          ///< the error the last run's output ended with
  std::vector<std::filesystem::path> crash_files_;
};

}  // namespace liveproxy
