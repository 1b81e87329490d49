// The debounce core stepped with a fake clock: leading edge, trailing batch, settle, swallowing, dedupe.
#include "watcher/debouncer.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace std::chrono_literals;
using liveproxy::watcher::action;
using liveproxy::watcher::batch;
using liveproxy::watcher::change;
using liveproxy::watcher::debouncer;
using liveproxy::watcher::file_event;

namespace {

const debouncer::time_point t0 = debouncer::time_point{} + 1h;

change ch(const std::string& rel, action act) { return change{"/root/" + rel, rel, act}; }

// Steps the fake clock 1 ms at a time and returns the first batch and when it came out.
std::pair<std::optional<batch>, debouncer::time_point> run_until_batch(debouncer& d, debouncer::time_point from,
                                                                          debouncer::duration limit = 10s) {
  for (auto t = from; t <= from + limit; t += 1ms) {
    if (auto b = d.take_due(t)) return {std::move(b), t};
  }
  return {std::nullopt, from + limit};
}

}  // namespace

TEST_CASE("a browser-only change goes out at once (leading edge)", "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  CHECK_FALSE(d.next_due());
  d.add(ch("site.css", action::css), t0);
  REQUIRE(d.next_due() == t0);
  auto b = d.take_due(t0);
  REQUIRE(b);
  CHECK(b->strongest == action::css);
  REQUIRE(b->changes.size() == 1);
  CHECK(b->changes[0].rel_path == "site.css");
  CHECK_FALSE(b->overflow);
  CHECK_FALSE(d.next_due());  // idle: no timer needed
  CHECK_FALSE(d.take_due(t0 + 1s));
}

TEST_CASE("later browser-only changes of a burst come as one trailing batch", "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  d.add(ch("a.css", action::css), t0);
  REQUIRE(d.take_due(t0));
  d.add(ch("b.css", action::css), t0 + 10ms);
  d.add(ch("index.html", action::reload), t0 + 20ms);
  d.add(ch("b.css", action::css), t0 + 25ms);
  CHECK_FALSE(d.take_due(t0 + 25ms));
  REQUIRE(d.next_due() == t0 + 55ms);  // browser_coalesce after the last change
  CHECK_FALSE(d.take_due(t0 + 54ms));
  auto b = d.take_due(t0 + 55ms);
  REQUIRE(b);
  CHECK(b->strongest == action::reload);
  REQUIRE(b->changes.size() == 2);
  CHECK(b->changes[0].rel_path == "b.css");
  CHECK(b->changes[1].rel_path == "index.html");
  CHECK_FALSE(d.next_due());
}

TEST_CASE("after a quiet period the next browser change is a new leading edge", "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  d.add(ch("a.css", action::css), t0);
  REQUIRE(d.take_due(t0));
  d.add(ch("a.css", action::css), t0 + 31ms);
  CHECK(d.take_due(t0 + 31ms));
}

TEST_CASE("a restart waits for restart_settle of quiet", "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  d.add(ch("app.py", action::restart), t0);
  CHECK_FALSE(d.take_due(t0));
  d.add(ch("models.py", action::restart), t0 + 50ms);
  REQUIRE(d.next_due() == t0 + 130ms);
  auto [b, at] = run_until_batch(d, t0 + 50ms);
  REQUIRE(b);
  CHECK(at == t0 + 130ms);
  CHECK(b->strongest == action::restart);
  CHECK(b->changes.size() == 2);
}

TEST_CASE("a pending restart swallows browser-only changes of the same burst", "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  d.add(ch("app.py", action::restart), t0);
  d.add(ch("site.css", action::css), t0 + 5ms);
  d.add(ch("index.html", action::reload), t0 + 10ms);
  auto [b, at] = run_until_batch(d, t0);
  REQUIRE(b);
  CHECK(at == t0 + 90ms);
  CHECK(b->strongest == action::restart);
  CHECK(b->changes.size() == 3);
  CHECK_FALSE(d.next_due());
}

TEST_CASE("css and code arriving together give one restart and no separate css batch", "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  // Both seen before the watcher asks what is due (one read from the kernel).
  d.add(ch("site.css", action::css), t0);
  d.add(ch("app.py", action::restart), t0);
  CHECK_FALSE(d.take_due(t0));
  auto [b, at] = run_until_batch(d, t0);
  REQUIRE(b);
  CHECK(at == t0 + 80ms);
  CHECK(b->strongest == action::restart);
  CHECK(b->changes.size() == 2);
  CHECK_FALSE(d.take_due(t0 + 10s));
}

TEST_CASE("a leading css batch already sent is followed by one restart for code in the burst", "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  d.add(ch("site.css", action::css), t0);
  REQUIRE(d.take_due(t0)->strongest == action::css);
  d.add(ch("app.py", action::restart), t0 + 5ms);
  d.add(ch("other.css", action::css), t0 + 6ms);
  auto [b, at] = run_until_batch(d, t0 + 5ms);
  REQUIRE(b);
  CHECK(at == t0 + 86ms);
  CHECK(b->strongest == action::restart);
  CHECK(b->changes.size() == 2);
}

TEST_CASE("a 5000-file checkout is one restart batch", "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  auto t = t0;
  for (int i = 0; i < 5000; ++i) {
    // Mixed kinds, as in a real checkout; 20 microseconds apart, plus a duplicate write for each.
    const std::string name = "f" + std::to_string(i) + (i % 3 == 0 ? ".css" : i % 3 == 1 ? ".html" : ".py");
    d.add(ch(name, i % 3 == 0 ? action::css : i % 3 == 1 ? action::reload : action::restart), t);
    d.add(ch(name, i % 3 == 0 ? action::css : i % 3 == 1 ? action::reload : action::restart), t);
    t += 20us;
  }
  // The very first change is css: it may go out on the leading edge, but only if asked before code arrived.
  auto [b, at] = run_until_batch(d, t0);
  REQUIRE(b);
  CHECK(b->strongest == action::restart);
  CHECK(b->changes.size() == 5000);
  CHECK_FALSE(d.next_due());
}

TEST_CASE("duplicates are merged by path in first-seen order - keeping the strongest action", "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  d.add(ch("app.py", action::restart), t0);
  d.add(ch("b.py", action::restart), t0 + 1ms);
  d.add(ch("app.py", action::restart), t0 + 2ms);
  d.add(ch("app.py", action::restart), t0 + 3ms);
  auto [b, at] = run_until_batch(d, t0);
  REQUIRE(b);
  REQUIRE(b->changes.size() == 2);
  CHECK(b->changes[0].rel_path == "app.py");
  CHECK(b->changes[1].rel_path == "b.py");
}

TEST_CASE("a change rewritten forever cannot starve the batch past max_delay", "[unit][watcher]") {
  debouncer d(80ms, 30ms, 1s);
  std::optional<batch> got;
  auto t = t0;
  for (; t < t0 + 3s && !got; t += 50ms) {
    d.add(ch("app.py", action::restart), t);
    got = d.take_due(t);
  }
  REQUIRE(got);
  CHECK(t - 50ms == t0 + 1s);
}

TEST_CASE("a slow checkout that keeps adding new paths is not cut by max_delay", "[unit][watcher]") {
  debouncer d(80ms, 30ms, 1s);
  auto t = t0;
  for (int i = 0; i < 100; ++i, t += 50ms) {
    d.add(ch("f" + std::to_string(i) + ".py", action::restart), t);
    REQUIRE_FALSE(d.take_due(t));
  }
  auto [b, at] = run_until_batch(d, t);
  REQUIRE(b);
  CHECK(at == t - 50ms + 80ms);
  CHECK(b->changes.size() == 100);
}

TEST_CASE("overflow gives one conservative restart batch flagged overflow", "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  d.add(ch("site.css", action::css), t0);
  d.add_overflow(t0);
  CHECK_FALSE(d.take_due(t0));
  auto [b, at] = run_until_batch(d, t0);
  REQUIRE(b);
  CHECK(b->overflow);
  CHECK(b->strongest == action::restart);
  CHECK_FALSE(d.next_due());
}

TEST_CASE("ignore-classified changes are dropped", "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  d.add(ch("README.md", action::ignore), t0);
  CHECK(d.idle());
  CHECK_FALSE(d.next_due());
}

TEST_CASE("a file created and renamed away before its batch is due is left out - the real file leads",
          "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  // tempfile / sed -i: write tmpAbC123 (no extension: it would restart), rename it over site.css.
  d.add(ch("tmpAbC123", action::restart), t0, file_event::created);
  d.add(ch("tmpAbC123", action::restart), t0, file_event::removed);
  CHECK(d.idle());
  CHECK_FALSE(d.next_due());
  d.add(ch("site.css", action::css), t0);
  auto b = d.take_due(t0);  // still the leading edge: the temporary file left no trace
  REQUIRE(b);
  CHECK(b->strongest == action::css);
  REQUIRE(b->changes.size() == 1);
  CHECK(b->changes[0].rel_path == "site.css");
  CHECK_FALSE(d.next_due());
}

TEST_CASE("the same save split over two reads: the temporary file never reaches a batch", "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  d.add(ch("tmpAbC123", action::restart), t0, file_event::created);
  CHECK_FALSE(d.take_due(t0));
  d.add(ch("tmpAbC123", action::restart), t0 + 1ms, file_event::removed);
  d.add(ch("site.css", action::css), t0 + 1ms);
  auto [b, at] = run_until_batch(d, t0 + 1ms);
  REQUIRE(b);
  CHECK(at == t0 + 1ms);
  CHECK(b->strongest == action::css);
  REQUIRE(b->changes.size() == 1);
  CHECK(b->changes[0].rel_path == "site.css");
}

TEST_CASE("a created browser file is never a leading edge - so no batch names a temporary file",
          "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  // sed -i static/style.css: its temporary file under static/ would reload the page.
  d.add(ch("static/sed4xQ1z", action::reload), t0, file_event::created);
  CHECK_FALSE(d.take_due(t0));
  CHECK(d.next_due() == t0 + 30ms);
  d.add(ch("static/sed4xQ1z", action::reload), t0 + 1ms, file_event::removed);
  d.add(ch("static/style.css", action::css), t0 + 1ms);
  auto b = d.take_due(t0 + 1ms);
  REQUIRE(b);
  CHECK(b->strongest == action::css);
  REQUIRE(b->changes.size() == 1);
  CHECK(b->changes[0].rel_path == "static/style.css");

  // A new file that stays is sent once the coalesce window has passed.
  d.add(ch("static/new.css", action::css), t0 + 1s, file_event::created);
  CHECK_FALSE(d.take_due(t0 + 1s));
  auto [later, at] = run_until_batch(d, t0 + 1s);
  REQUIRE(later);
  CHECK(at == t0 + 1s + 30ms);
  CHECK(later->changes.size() == 1);
}

TEST_CASE("a created file arriving with a leading change holds it back until it is known to stay",
          "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  d.add(ch("a.css", action::css), t0);
  d.add(ch("static/tmp9", action::reload), t0, file_event::created);
  CHECK_FALSE(d.take_due(t0));
  SECTION("it goes away: the leading edge is back") {
    d.add(ch("static/tmp9", action::reload), t0, file_event::removed);
    auto b = d.take_due(t0);
    REQUIRE(b);
    CHECK(b->strongest == action::css);
    CHECK(b->changes.size() == 1);
  }
  SECTION("it stays: both go out after the coalesce window") {
    auto [b, at] = run_until_batch(d, t0);
    REQUIRE(b);
    CHECK(at == t0 + 30ms);
    CHECK(b->strongest == action::reload);
    CHECK(b->changes.size() == 2);
  }
}

TEST_CASE("dropping a temporary file keeps the rest of its batch and lowers the strongest action",
          "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  d.add(ch("a.css", action::css), t0);
  REQUIRE(d.take_due(t0));
  d.add(ch("b.css", action::css), t0 + 5ms);
  d.add(ch("tmpXyZ", action::restart), t0 + 6ms, file_event::created);
  d.add(ch("tmpXyZ", action::restart), t0 + 7ms, file_event::removed);
  d.add(ch("c.html", action::reload), t0 + 8ms);
  auto [b, at] = run_until_batch(d, t0 + 5ms);
  REQUIRE(b);
  CHECK(at == t0 + 38ms);  // browser coalesce, not the restart settle
  CHECK(b->strongest == action::reload);
  REQUIRE(b->changes.size() == 2);
  CHECK(b->changes[0].rel_path == "b.css");
  CHECK(b->changes[1].rel_path == "c.html");
}

TEST_CASE("removing a file that existed before the batch is a change - also one created in an earlier batch",
          "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  d.add(ch("views.py", action::restart), t0, file_event::removed);
  auto [b, at] = run_until_batch(d, t0);
  REQUIRE(b);
  CHECK(b->strongest == action::restart);
  CHECK(b->changes.size() == 1);

  d.add(ch("new.py", action::restart), t0 + 1s, file_event::created);
  REQUIRE(run_until_batch(d, t0 + 1s).first);
  d.add(ch("new.py", action::restart), t0 + 2s, file_event::removed);
  auto [gone, when] = run_until_batch(d, t0 + 2s);
  REQUIRE(gone);
  CHECK(gone->changes.size() == 1);
  CHECK(gone->changes[0].rel_path == "new.py");

  // Written, then removed in the same batch, it existed before: the removal is reported.
  d.add(ch("old.py", action::restart), t0 + 3s);
  d.add(ch("old.py", action::restart), t0 + 3s, file_event::removed);
  auto [both, t] = run_until_batch(d, t0 + 3s);
  REQUIRE(both);
  CHECK(both->changes.size() == 1);
}

TEST_CASE("a temporary file does not drop an overflow", "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  d.add(ch("tmpA", action::restart), t0, file_event::created);
  d.add_overflow(t0);
  d.add(ch("tmpA", action::restart), t0, file_event::removed);
  auto [b, at] = run_until_batch(d, t0);
  REQUIRE(b);
  CHECK(b->overflow);
  CHECK(b->strongest == action::restart);
  CHECK(b->changes.empty());
}

TEST_CASE("restart_pending says a restart batch is on its way, and stops saying it if it was only temporary files",
          "[unit][watcher]") {
  debouncer d(80ms, 30ms);
  CHECK_FALSE(d.restart_pending());
  d.add(ch("site.css", action::css), t0);
  CHECK_FALSE(d.restart_pending());
  d.add(ch("tmp1234.py", action::restart), t0 + 1ms, file_event::created);
  CHECK(d.restart_pending());
  d.add(ch("tmp1234.py", action::restart), t0 + 2ms, file_event::removed);
  CHECK_FALSE(d.restart_pending());
  d.add(ch("views.py", action::restart), t0 + 3ms);
  CHECK(d.restart_pending());
  auto [b, at] = run_until_batch(d, t0 + 3ms);
  REQUIRE(b);
  CHECK(b->strongest == action::restart);
  CHECK_FALSE(d.restart_pending());
  d.add_overflow(at + 1ms);
  CHECK(d.restart_pending());
}

TEST_CASE("one file saved whole settles after the quick settle - anything more waits the full settle", "[unit][watcher]") {
  const auto due_after = [](auto&& events) {
    debouncer d(80ms, 30ms, 2s, 20ms);
    for (const auto& [rel, ev, at] : events) d.add(ch(rel, action::restart), t0 + at, ev);
    return d.next_due() ? std::optional<debouncer::duration>(*d.next_due() - t0) : std::nullopt;
  };
  using ev = std::tuple<std::string, file_event, debouncer::duration>;
  // An editor writing in place, or renaming onto the file (JetBrains, sed -i after its temporary file).
  CHECK(due_after(std::vector<ev>{{"views.py", file_event::changed, 0ms}}) == 20ms);
  CHECK(due_after(std::vector<ev>{{"views.py", file_event::removed, 0ms}, {"views.py", file_event::changed, 1ms}}) ==
        21ms);
  CHECK(due_after(std::vector<ev>{{"sedAb12Cd", file_event::created, 0ms},
                                  {"sedAb12Cd", file_event::removed, 2ms},
                                  {"views.py", file_event::changed, 2ms}}) == 22ms);
  // Half a save (the file renamed away), a new file (a checkout deletes and creates), two files, lost events.
  CHECK(due_after(std::vector<ev>{{"views.py", file_event::removed, 0ms}}) == 80ms);
  CHECK(due_after(std::vector<ev>{{"views.py", file_event::removed, 0ms}, {"views.py", file_event::created, 1ms}}) ==
        81ms);
  CHECK(due_after(std::vector<ev>{{"new.py", file_event::created, 0ms}}) == 80ms);
  CHECK(due_after(std::vector<ev>{{"a.py", file_event::changed, 0ms}, {"b.py", file_event::changed, 5ms}}) == 85ms);
  debouncer lost(80ms, 30ms, 2s, 20ms);
  lost.add(ch("a.py", action::restart), t0);
  lost.add_overflow(t0 + 1ms);
  CHECK(lost.next_due() == t0 + 81ms);
}

TEST_CASE("a second file after a quick settle began is a batch of its own - a checkout is one batch", "[unit][watcher]") {
  debouncer d(80ms, 30ms, 2s, 20ms);
  d.add(ch("a.py", action::restart), t0);
  d.add(ch("b.py", action::restart), t0 + 10ms);  // within the quick settle: the full one now
  CHECK(d.next_due() == t0 + 90ms);
  REQUIRE(d.take_due(t0 + 90ms));
  // 2,000 files deleted and created, a few microseconds apart: one batch, after the full settle.
  for (int i = 0; i < 2000; ++i) {
    const auto at = t0 + 1s + std::chrono::microseconds(i * 5);
    d.add(ch("f" + std::to_string(i) + ".py", action::restart), at, file_event::removed);
    d.add(ch("f" + std::to_string(i) + ".py", action::restart), at, file_event::created);
  }
  auto [b, when] = run_until_batch(d, t0 + 1s);
  REQUIRE(b);
  CHECK(b->changes.size() == 2000);
  CHECK(when == t0 + 1s + 90ms);  // the full settle after the last event (9,995 us in), on the 1 ms step
}

TEST_CASE("a settle time below the quick one is used for every batch", "[unit][watcher]") {
  debouncer d(5ms, 30ms, 2s, 20ms);
  d.add(ch("a.py", action::restart), t0);
  CHECK(d.next_due() == t0 + 5ms);
}
