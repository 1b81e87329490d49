// What dev_server tells the user: one line per action on the terminal, the same on the status page, the
// URL to open once the app answers. The decisions stay in dev_server.cpp; this file only says them.
#include "proxy/app/open_browser.hpp"
#include "proxy/dev_server.hpp"
#include "proxy/http/local_addresses.hpp"
#include "proxy/base/log.hpp"
#include "proxy/status/report_text.hpp"

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

std::string dev_server::command_text() const {
  std::string text;
  if (supervisor_)
    for (const auto& a : supervisor_->command()) text += (text.empty() ? "" : " ") + a;
  return text;
}

void dev_server::act(const std::string& what, std::string action, std::string outcome) {
  log::action(what + std::string(arrow) + outcome);
  status_.board().begin(what, std::move(action), std::move(outcome));
  status_.changed();
  note_tabs();
}

void dev_server::begin_action(std::string what, std::string action) {
  // A newer change supersedes one still under way (a second save during a restart): one line, the last.
  if (pending_) status_.board().finish("superseded by " + what);
  log::detail(what + std::string(arrow) + action + "…");
  status_.board().begin(what, std::move(action));
  status_.changed();
  pending_ = pending_action{std::move(what), std::chrono::steady_clock::now()};
}

void dev_server::finish_action(std::string outcome, bool line) {
  if (!pending_) return;
  if (line) log::action(pending_->what + std::string(arrow) + outcome);
  status_.board().finish(std::move(outcome));
  status_.changed();
  pending_.reset();
  if (line) note_tabs();
}

void dev_server::announce() {
  if (announced_ || announcing_) return;
  if (!supervisor_) return announce_now();
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
  if (front.address().is_unspecified()) {
    for (const auto& a : local_addresses(front.address().is_v6()))
      log::info("network http://" + a + ":" + std::to_string(front.port()));
  }
  log::detail("status page: " + front_url_ + "/__liveproxy/");
  if (cfg_.open_browser) {
    const auto why_not = open_browser(front_url_);
    if (!why_not.empty()) log::warn("--open: " + why_not + "; open " + front_url_ + " yourself");
  }
}

void dev_server::note_tabs() {
  if (told_no_tabs_ || hub_.size() != 0) return;
  told_no_tabs_ = true;
  log::info("no browser tab is connected: open " + front_url_ + " to see your changes live");
}

std::string dev_server::status_snapshot() {
  const auto now = std::chrono::steady_clock::now();
  if (watcher_ && now - watch_summary_at_ > watch_summary_max_age) {
    watch_summary_at_ = now;
    std::vector<status_board::watched_root> roots;
    for (auto& r : watcher_->summary()) roots.push_back({std::move(r.path), r.dirs, r.files});
    status_.board().set_watching(watcher_->backend_name(), std::move(roots));
  }
  status_.board().set_held(gate_.waiting());
  return status_.snapshot();
}

}  // namespace liveproxy
