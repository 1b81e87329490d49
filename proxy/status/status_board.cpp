// The status snapshot: small (tens of actions, the tail of the output), so it is rebuilt whole at each update.
#include "proxy/status/status_board.hpp"

#include "proxy/base/limits.hpp"
#include "proxy/base/terminal_text.hpp"
#include "proxy/browser/event_json.hpp"

#include <iterator>

namespace liveproxy {
namespace {

long long epoch_ms(status_board::clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void field(std::string& out, std::string_view name, std::string_view value) {
  event_json::append_string(out, name);
  out.push_back(':');
  event_json::append_string(out, value);
  out.push_back(',');
}

void field(std::string& out, std::string_view name, long long value) {
  event_json::append_string(out, name);
  out.push_back(':');
  out += std::to_string(value);
  out.push_back(',');
}

void end_object(std::string& out) {
  if (out.back() == ',') out.pop_back();
  out.push_back('}');
}

}  // namespace

void status_board::set_mode(std::string mode, std::string target, std::string command, std::string front_url) {
  mode_ = std::move(mode);
  target_ = std::move(target);
  command_ = std::move(command);
  front_url_ = std::move(front_url);
}

void status_board::set_watching(std::string backend, std::vector<watched_root> roots) {
  backend_ = std::move(backend);
  roots_ = std::move(roots);
}

void status_board::app_starting(std::uint64_t run, long pid) {
  state_ = "starting";
  run_ = run;
  pid_ = pid;
  started_at_ = clock::now();
  exit_.clear();
  error_headline_.clear();
  error_where_.clear();
}

void status_board::app_ready(std::chrono::milliseconds took) {
  state_ = "running";
  last_start_ = took;
}

void status_board::app_exited(std::string how, std::string headline, std::string where) {
  state_ = "exited";
  exit_ = std::move(how);
  error_headline_ = std::move(headline);
  error_where_ = std::move(where);
}

void status_board::app_state(std::string state) {
  if (state_ != state && state == "running") started_at_ = clock::now();
  state_ = std::move(state);
}

void status_board::begin(std::string files, std::string action, std::string outcome) {
  ++actions_begun_;
  if (actions_.size() == max_actions) actions_.pop_front();
  actions_.push_back({clock::now(), std::move(files), std::move(action), std::move(outcome)});
}

void status_board::console(bool is_error, std::string text) {
  console_.push_back({clock::now(), is_error, std::move(text)});
  if (console_.size() > max_console) console_.pop_front();
}

void status_board::finish(std::string outcome, std::optional<bool> preloaded, std::string not_preloaded_why) {
  for (auto it = actions_.rbegin(); it != actions_.rend(); ++it)
    if (it->outcome.empty()) {
      it->outcome = std::move(outcome);
      it->preloaded = preloaded;
      it->not_preloaded_why = std::move(not_preloaded_why);
      return;
    }
}

std::string status_board::json(std::size_t tabs, const std::deque<std::string>& output) const {
  std::string out = "{";
  field(out, "type", "status");
  field(out, "mode", mode_);
  field(out, "url", front_url_);
  field(out, "target", target_);
  field(out, "now", epoch_ms(clock::now()));
  field(out, "since", epoch_ms(liveproxy_started_));
  field(out, "tabs", static_cast<long long>(tabs));
  field(out, "held", static_cast<long long>(held_));

  out += "\"app\":{";
  field(out, "state", state_);
  field(out, "command", command_);
  if (run_ != 0) {
    field(out, "run", static_cast<long long>(run_));
    field(out, "pid", pid_);
  }
  if (started_at_ != clock::time_point{}) field(out, "started", epoch_ms(started_at_));
  if (last_start_.count() >= 0) field(out, "start_ms", last_start_.count());
  if (!exit_.empty()) field(out, "exit", exit_);
  if (!paused_prompt_.empty()) field(out, "prompt", paused_prompt_);
  if (!error_headline_.empty()) {
    out += "\"error\":{";
    field(out, "headline", error_headline_);
    if (!error_where_.empty()) field(out, "where", error_where_);
    end_object(out);
    out.push_back(',');
  }
  end_object(out);
  out.push_back(',');

  if (!apps_.empty()) {
    out += "\"apps\":[";
    for (const auto& a : apps_) {
      out.push_back('{');
      field(out, "name", a.name);
      field(out, "state", a.state);
      if (a.pid) field(out, "pid", a.pid);
      if (a.run) field(out, "run", static_cast<long long>(a.run));
      field(out, "routes", a.routes);
      field(out, "command", a.command);
      field(out, "last", a.last);
      field(out, "held", static_cast<long long>(a.held));
      end_object(out);
      out.push_back(',');
    }
    if (out.back() == ',') out.pop_back();
    out += "],";
  }

  if (!phone_url_.empty()) {
    out += "\"phone\":{";
    field(out, "url", phone_url_);
    if (!ca_fingerprint_.empty()) field(out, "ca_fingerprint", ca_fingerprint_);
    end_object(out);
    out.push_back(',');
  }

  out += "\"watch\":{";
  field(out, "backend", backend_);
  out += "\"roots\":[";
  for (const auto& r : roots_) {
    out.push_back('{');
    field(out, "path", r.path);
    field(out, "dirs", static_cast<long long>(r.dirs));
    field(out, "files", static_cast<long long>(r.files));
    end_object(out);
    out.push_back(',');
  }
  if (out.back() == ',') out.pop_back();
  out += "]},";

  out += "\"actions\":[";
  for (auto it = actions_.rbegin(); it != actions_.rend(); ++it) {
    out.push_back('{');
    field(out, "at", epoch_ms(it->at));
    field(out, "files", it->files);
    field(out, "action", it->action);
    field(out, "outcome", it->outcome);
    if (it->preloaded) {
      event_json::append_string(out, "preloaded");
      out += *it->preloaded ? ":true," : ":false,";
      if (!*it->preloaded) field(out, "not_preloaded_why", it->not_preloaded_why);
    }
    end_object(out);
    out.push_back(',');
  }
  if (out.back() == ',') out.pop_back();
  out += "],";

  out += "\"console\":[";
  for (auto it = console_.rbegin(); it != console_.rend(); ++it) {
    out.push_back('{');
    field(out, "at", epoch_ms(it->at));
    field(out, "level", it->is_error ? "error" : "warn");
    field(out, "text", it->text);
    end_object(out);
    out.push_back(',');
  }
  if (out.back() == ',') out.pop_back();
  out += "],";

  // The tail of the output, up to status_output_bytes: the page shows where the app is, the error page has the
  // rest. Colours kept, other escapes (cursor moves, titles) not.
  auto first = output.end();
  for (std::size_t bytes = 0; first != output.begin() && bytes + std::prev(first)->size() <= limits::status_output_bytes;)
    bytes += (--first)->size();
  out += "\"output\":[";
  for (auto it = first; it != output.end(); ++it) {
    event_json::append_string(out, keep_colours(*it));
    out.push_back(',');
  }
  if (out.back() == ',') out.pop_back();
  out += "]}";
  return out;
}

}  // namespace liveproxy
