// What dev_server tells the user: one line per action on the terminal, the same on the status page, the
// URL to open once the app answers. The decisions are restart_policy's; this file only says them.
#include "proxy/app/open_browser.hpp"
#include "proxy/base/log.hpp"
#include "proxy/dev_server.hpp"

#include "proxy/status/qr_code.hpp"
#include "proxy/http/local_addresses.hpp"
#include "proxy/status/report_text.hpp"

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace liveproxy {
namespace {

constexpr std::string_view arrow = " \xe2\x86\x92 ";  // →

/// The app's start-up output counts as over after this much quiet, or this long after it is ready.
constexpr auto announce_quiet = std::chrono::milliseconds(100);
constexpr auto announce_max_wait = std::chrono::milliseconds(500);
constexpr auto announce_step = std::chrono::milliseconds(25);

/// How long the watched-tree counts on the status page may be old before a new walk.
constexpr auto watch_summary_max_age = std::chrono::seconds(2);

}  // namespace

std::string dev_server::tabs_text(std::size_t n) const { return " (" + count_of(n, "tab") + ")"; }

namespace {

long long count_ms(std::chrono::milliseconds d) { return static_cast<long long>(d.count()); }

/// The app's own Python files named in its command (a script, or Flask's `--app MODULE[:NAME]`) set
/// TEMPLATES_AUTO_RELOAD: Flask then reads an edited template again without debug mode.
bool sets_template_auto_reload(const std::vector<std::string>& command) {
  for (std::size_t i = 0; i < command.size(); ++i) {
    std::string file = command[i];
    if (i > 0 && command[i - 1] == "--app") {
      file = file.substr(0, file.find(':'));
      std::replace(file.begin(), file.end(), '.', '/');
      file += ".py";
    }
    if (!file.ends_with(".py")) continue;
    std::ifstream in(file, std::ios::binary);
    std::string text(256 * 1024, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.find("TEMPLATES_AUTO_RELOAD") != std::string::npos) return true;
  }
  return false;
}

std::string seconds_text(std::chrono::milliseconds d) {
  std::string s = std::to_string(d.count() / 1000.0);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s + " s";
}

}  // namespace

void dev_server::report(const policy_command& c, std::size_t tabs_reloaded, std::size_t held_released) {
  using kind = policy_command::kind;
  using outcome = policy_command::outcome;
  auto& board = status_.board();
  switch (c.what) {
    case kind::app_ready: {
      if (source_->kind() == app_kind::upstream) {
        if (c.run == 1 || !c.quiet) log::info(source_->target_text() + " answers" + (c.run > 1 ? " again" : ""));
        board.app_state("running");
      } else {
        const std::string line = cfg_.app_name + " ready on port " + std::to_string(source_->target().endpoints.front().port()) +
                                 " in " + std::to_string(count_ms(c.app_took)) + " ms (run " + std::to_string(c.run) +
                                 (cfg_.socket_handoff ? ", socket handed over" : "") + ")";
        if (c.quiet) log::detail(line);
        else log::info(line);
        board.app_ready(c.app_took);
      }
      status_.changed();
      announce();
      break;
    }
    case kind::app_failed: {
      const auto info = source_->failure(true, std::nullopt);
      std::string where;
      if (info.crash.where)
        for (std::size_t i = 0; i < info.crash.frames.size() && i < info.shown_files.size(); ++i)
          if (info.crash.frames[i] == *info.crash.where)
            where = info.shown_files[i] + ":" + std::to_string(info.crash.where->line);
      board.app_exited(c.detail, info.crash.headline, where);
      status_.changed();
      // Saving the file the crash names starts the app again, even outside the watched directories.
      watch_more(source_->crash_files());
      break;
    }
    case kind::crash_restart:
      log::warn(c.text + "; restarting it in " + seconds_text(c.took) + " (--restart-on-crash), or at the next change");
      break;
    case kind::crash_wait:
      log::warn(c.text + "; waiting for a file change to start it again (or type rs)");
      break;
    case kind::early_start:
      log::detail("code changed: restarting now; requests wait until the changes settle");
      break;
    case kind::deferred:
      log::detail(c.text + ": the tabs reload once the app is up");
      break;
    case kind::begin_action:
      log::detail(c.text + std::string(arrow) + c.action + "\xe2\x80\xa6");
      board.begin(c.text, c.action);
      status_.changed();
      break;
    case kind::act: {
      if (c.action == "page reload") maybe_flask_hint();
      const std::size_t tabs = hub_.size();
      // A tab morphs its page in place unless a morph would be wrong (it then reloads): "update" says both.
      const std::string outcome_text =
          (c.action == "page reload" && last_reload_morphs_ ? std::string("page update") : c.action) + tabs_text(tabs);
      log::action(c.text + std::string(arrow) + outcome_text);
      board.begin(c.text, c.action, outcome_text);
      status_.changed();
      note_tabs();
      break;
    }
    case kind::finish_action: {
      std::string text;
      switch (c.result) {
        case outcome::restarted:
          text = "restarted in " + std::to_string(count_ms(c.took)) + " ms (app start " +
                 std::to_string(count_ms(c.app_took)) + " ms" +
                 (source_->run_was_preloaded()              ? ", preloaded)"
                  : !source_->not_preloaded_why().empty() ? ", not preloaded: " + source_->not_preloaded_why() + ")"
                                                           : ")") +
                 ", " + count_of(tabs_reloaded, "tab") + " reloaded";
          if (held_released != 0) text += ", " + count_of(held_released, "held request") + " released";
          break;
        case outcome::failed:
          text = "failed: " + c.detail;
          break;
        case outcome::upstream_restarted:
          text = "the app's reloader restarted it in " + std::to_string(count_ms(c.took)) + " ms, " +
                 count_of(tabs_reloaded, "tab") + " reloaded";
          break;
        case outcome::upstream_stayed_up:
          text = "no restart seen within " + seconds_text(cfg_.upstream_grace) + " (--upstream-grace): page reload" +
                 tabs_text(hub_.size());
          break;
        case outcome::superseded:
          text = "superseded by " + c.detail;
          break;
        case outcome::none:
          break;
      }
      if (!c.quiet) log::action(c.text + std::string(arrow) + text);
      if (c.result == outcome::restarted && (source_->run_was_preloaded() || !source_->not_preloaded_why().empty()))
        board.finish(std::move(text), source_->run_was_preloaded(), source_->not_preloaded_why());
      else
        board.finish(std::move(text));
      status_.changed();
      if (!c.quiet) note_tabs();
      break;
    }
    default:
      break;
  }
}

void dev_server::maybe_flask_hint() {
  const auto* output = source_->output();
  if (flask_hint_given_ || !output || sets_template_auto_reload(cfg_.app_command)) return;
  const auto& lines = output->lines();
  if (std::any_of(lines.begin(), lines.end(),
                  [](const std::string& l) { return l.find(" * Debug mode: off") != std::string::npos; })) {
    flask_hint_given_ = true;
    log::warn("if the page still shows the old template: Flask caches templates outside debug mode; run it "
              "with --debug (flask --app APP run --debug --no-reload), or set "
              "app.config[\"TEMPLATES_AUTO_RELOAD\"] = True");
  }
}

void dev_server::announce() {
  if (announced_ || announcing_) return;
  if (source_->kind() != app_kind::command) return announce_now();
  // Readiness is a TCP connect; the app's banner may still be in its pipe: wait until its output has been
  // quiet for 100 ms (at most half a second), then say the URL after it.
  announcing_ = true;
  ready_at_ = std::chrono::steady_clock::now();
  struct waiter {
    dev_server* self;
    void operator()(error_code ec) const {
      if (ec || self->stopping_) return;
      const auto now = std::chrono::steady_clock::now();
      if (now - self->last_app_output_ < announce_quiet && now - self->ready_at_ < announce_max_wait) {
        self->announce_timer_.expires_after(announce_step);
        self->announce_timer_.async_wait(*this);
        return;
      }
      self->announce_now();
    }
  };
  announce_timer_.expires_after(announce_step);
  announce_timer_.async_wait(waiter{this});
}

void dev_server::announce_now() {
  if (announced_) return;
  announced_ = true;
  announcing_ = false;
  log::highlight("open " + front_url_);
  const auto front = listener_.local_endpoint();
  if (tls_) log::info("https " + https_url(front_url_) + " (the same port answers both)");
  if (front.address().is_unspecified()) {
    for (const auto& a : local_addresses(front.address().is_v6()))
      log::info("network " + std::string(tls_ ? "https://" : "http://") + a + ":" + std::to_string(front.port()));
    // The first Network URL for a phone's camera, on a terminal only (in a log file it is noise).
    if (const auto qr = ctx_.network_url.empty() ? std::nullopt : make_qr(ctx_.network_url);
        qr && ::isatty(STDOUT_FILENO) == 1)
      log::picture(qr_terminal(*qr));
  }
  log::detail("status page: " + front_url_ + "/__liveproxy/");
  if (cfg_.open_browser) {
    const auto why_not = open_browser(front_url_);
    if (!why_not.empty()) log::warn("--open: " + why_not + "; open " + front_url_ + " yourself");
  }
}

std::string dev_server::https_url(const std::string& http_url) {
  return http_url.starts_with("http://") ? "https://" + http_url.substr(7) : http_url;
}

void dev_server::note_tabs() {
  if (told_no_tabs_ || hub_.size() != 0) return;
  told_no_tabs_ = true;
  log::info("no browser tab is connected: open " + front_url_ + " to see your changes live");
}

void dev_server::on_console(std::string_view text) {
  if (!cfg_.browser_console || stopping_) return;
  const auto m = parse_console_message(text);
  if (!m) return;
  print_console(console_.take(*m, clock::now()));
}

void dev_server::print_console(const std::vector<console_relay::line>& lines) {
  for (const auto& l : lines) {
    log::browser(l.text, l.is_error);
    status_.board().console(l.is_error, l.text);
  }
  if (!lines.empty()) status_.changed();
  const auto due = console_.next_due();
  if (!due) return;
  console_timer_.expires_at(*due);
  console_timer_.async_wait([this](error_code ec) {
    if (!ec) print_console(console_.tick(clock::now()));
  });
}

std::shared_ptr<const std::string> dev_server::status_snapshot(bool fresh) {
  const auto now = std::chrono::steady_clock::now();
  if (watcher_ && now - watch_summary_at_ > watch_summary_max_age) {
    watch_summary_at_ = now;
    std::vector<status_board::watched_root> roots;
    for (auto& r : watcher_->summary()) roots.push_back({std::move(r.path), r.dirs, r.files});
    status_.board().set_watching(watcher_->backend_name(), std::move(roots));
  }
  status_.board().set_held(gate_.waiting());
  if (!units_.empty()) {
    std::vector<status_board::app_row> rows;
    status_board::app_row main;
    main.name = cfg_.app_name;
    const bool ours = source_->kind() == app_kind::command;
    main.state = policy_.gate() == restart_policy::gate_state::open     ? "running"
                 : policy_.gate() == restart_policy::gate_state::failed ? (ours && !policy_.running() ? "crashed" : "down")
                 : main_run_ > 1                                         ? "restarting"
                                                                         : "starting";
    main.pid = ours ? main_pid_ : 0;
    main.run = ours ? main_run_ : source_->generation();
    for (const auto& r : cfg_.app_routes) main.routes += (main.routes.empty() ? "" : ", ") + r;
    if (main.routes.empty()) main.routes = "/";
    main.command = ours ? source_->command_text() : source_->target_text();
    main.held = gate_.waiting();
    rows.push_back(std::move(main));
    for (const auto& u : units_) rows.push_back(u->row());
    status_.board().set_apps(std::move(rows));
  }
  return status_.snapshot(fresh);
}

}  // namespace liveproxy
