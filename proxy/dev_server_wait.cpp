// GET /__liveproxy/wait carried out: live_waits decides, this file reads the watcher and the apps for it and
// writes the answers (the status snapshot, with what happened to the changes the wait covered).
#include "proxy/dev_server.hpp"

#include "proxy/browser/event_json.hpp"
#include "proxy/base/terminal_text.hpp"

namespace liveproxy {
namespace {

/// The last `n` lines, colours and other escapes taken out: for a script or a model, not a terminal.
std::vector<std::string> plain_tail(const std::vector<std::string>& lines, std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i)
    out.push_back(strip_ansi(lines[i]));
  return out;
}

void append_strings(std::string& out, const std::vector<std::string>& items) {
  out.push_back('[');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    event_json::append_string(out, items[i]);
  }
  out.push_back(']');
}

/// How many output lines an error carries: enough for a traceback, not the whole log.
constexpr std::size_t error_output_lines = 40;

}  // namespace

std::optional<std::uint64_t> dev_server::begin_wait(std::chrono::milliseconds timeout,
                                                    std::function<void(std::string)> done) {
  if (stopping_) return std::nullopt;
  // What was written before the request was sent is in the kernel's queue now: take it in first, so that the
  // wait covers it (due batches go out at once; a restart among them closes the gate before we look).
  if (watcher_) watcher_->read_now();
  const auto now = clock::now();
  const auto which = waits_.begin(watcher_ ? watcher_->changes_seen() : 0, now, timeout);
  if (!which) return std::nullopt;
  waiting_[*which] = {std::move(done), status_.board().actions_begun()};
  check_waits();
  return which;
}

void dev_server::cancel_wait(std::uint64_t which) {
  waits_.cancel(which);
  waiting_.erase(which);
}

bool dev_server::apps_settled() const {
  // Closed: starting or restarting. Open (ready) and failed (crashed, start timed out, upstream down) are both
  // answers. A side process serves no request: it never keeps anyone waiting.
  if (source_->kind() != app_kind::folder && policy_.gate() == restart_policy::gate_state::closed) return false;
  for (const auto& u : units_)
    if (!u->side_process() && u->policy().gate() == restart_policy::gate_state::closed) return false;
  return true;
}

void dev_server::schedule_wait_check() {
  if (waiting_.empty() || wait_check_posted_) return;
  // After the watcher has finished delivering: its count of what was handed out is updated last.
  wait_check_posted_ = true;
  net::post(ex_, [this] {
    wait_check_posted_ = false;
    check_waits();
  });
}

void dev_server::check_waits() {
  if (waiting_.empty()) return;
  const auto delivered = watcher_ ? watcher_->changes_delivered() : 0;
  for (const auto& a : waits_.update(delivered, apps_settled() || stopping_, clock::now())) {
    const auto it = waiting_.find(a.which);
    if (it == waiting_.end()) continue;
    auto w = std::move(it->second);
    waiting_.erase(it);
    w.done(wait_answer(a.settled, a.waited, w.actions_before));
  }
  const auto due = waits_.next_due();
  if (!due) {
    wait_timer_.cancel();
    return;
  }
  wait_timer_.expires_at(*due);
  wait_timer_.async_wait([this](error_code ec) {
    if (!ec) check_waits();
  });
}

std::string dev_server::wait_answer(bool settled, std::chrono::milliseconds waited, std::uint64_t actions_before) {
  const auto snapshot = status_snapshot(true);
  std::string out(*snapshot, 0, snapshot->size() - 1);  // the snapshot's object, still open
  out += settled ? ",\"settled\":true,\"timed_out\":false" : ",\"settled\":false,\"timed_out\":true";
  out += ",\"waited_ms\":" + std::to_string(waited.count());

  // What was done for the changes the wait covered (the last action if they had all been done before it).
  const auto& board = status_.board();
  const auto& actions = board.actions();
  const auto fresh = static_cast<std::size_t>(std::min<std::uint64_t>(board.actions_begun() - actions_before,
                                                                      actions.size()));
  const std::size_t first = actions.size() - std::max<std::size_t>(fresh, actions.empty() ? 0 : 1);
  bool restarted = false;
  out += ",\"changes\":[";
  for (std::size_t i = first; i < actions.size(); ++i) {
    const auto& r = actions[i];
    if (i != first) out.push_back(',');
    out += "{\"files\":";
    event_json::append_string(out, r.files);
    out += ",\"action\":";
    event_json::append_string(out, r.action);
    out += ",\"outcome\":";
    event_json::append_string(out, r.outcome);
    out += fresh == 0 ? ",\"before_wait\":true}" : "}";  // done before the wait began: for context only
    restarted = restarted || (fresh != 0 && r.action == "restart" && r.outcome.starts_with("restarted"));
  }
  out += "]";
  out += ",\"restart_ms\":";
  out += restarted && board.last_start().count() >= 0 ? std::to_string(board.last_start().count()) : "null";

  // The app that failed, if one did: the error page's facts, as data.
  std::optional<app_failure> failed;
  std::string name = cfg_.app_name;
  if (source_->kind() != app_kind::folder && policy_.gate() == restart_policy::gate_state::failed) {
    failed = describe_failure();
  } else {
    for (auto& u : units_)
      if (!u->side_process() && u->policy().gate() == restart_policy::gate_state::failed) {
        failed = u->context().app_failure();
        name = u->spec().name;
        break;
      }
  }
  out += ",\"error\":";
  if (!failed) {
    out += "null";
  } else {
    out += "{\"app\":";
    event_json::append_string(out, name);
    out += ",\"title\":";
    event_json::append_string(out, failed->cause_title);
    out += ",\"cause\":";
    event_json::append_string(out, failed->cause);
    out += ",\"headline\":";
    event_json::append_string(out, failed->crash.headline);
    // file:line of the frames in the user's code, innermost first (as the project shows them).
    std::vector<std::string> frames;
    std::string where;
    for (std::size_t i = 0; i < failed->crash.frames.size(); ++i) {
      const auto& f = failed->crash.frames[i];
      const auto shown = (i < failed->shown_files.size() ? failed->shown_files[i] : f.file) + ":" +
                         std::to_string(f.line);
      if (failed->crash.where && f == *failed->crash.where && where.empty()) where = shown;
      if (f.user) frames.push_back(shown);
    }
    out += ",\"where\":";
    event_json::append_string(out, where);
    out += ",\"frames\":";
    append_strings(out, frames);
    out += ",\"output\":";
    append_strings(out, plain_tail(failed->output, error_output_lines));
    out += "}";
  }
  out += "}";
  return out;
}

}  // namespace liveproxy
