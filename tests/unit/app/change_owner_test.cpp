// Several apps in one tree: which app a changed file restarts, and which changes a dev server shows itself.
#include "proxy/app/change_owner.hpp"

#include <catch2/catch.hpp>

using namespace liveproxy;
using list = std::vector<std::size_t>;

namespace {

// The example: Django at the root (main), Vite in web/, a Tailwind watcher beside them.
change_owner example() {
  return change_owner({{"/p", true, {}, false},        // 0: api (Django), routes /api/
                       {"/p/web", true, {}, true},     // 1: web (Vite), routes /
                       {"/p", false, {}, false},       // 2: css (tailwindcss --watch), a side process
                       {"/p", false, {"worker/**/*.py"}, false}});  // 3: a worker restarted for its own code
}

}  // namespace

TEST_CASE("a code change restarts the routed app with the deepest directory holding it", "[unit]") {
  const auto o = example();
  CHECK(o.owners("/p/api/views.py") == list{0});
  CHECK(o.owners("/p/manage.py") == list{0});
  // Under the hot-reloading dev server: its own to show (and Vite restarts itself for its config).
  CHECK(o.owners("/p/web/vite.config.js").empty());
  CHECK(o.owners("/p/web/src/deep/App.jsx").empty());
  // A dev server without hot reload of its own restarts for its code as any app does.
  const change_owner plain({{"/p", true, {}, false}, {"/p/web", true, {}, false}});
  CHECK(plain.owners("/p/web/server.js") == list{1});
  // Outside every app's directory: nobody's.
  CHECK(o.owners("/elsewhere/x.py").empty());
  CHECK(o.owners("/pweb/x.py").empty());
}

TEST_CASE("side processes restart only for their own watch globs, which apply besides the directories", "[unit]") {
  const auto o = example();
  CHECK(o.owners("/p/worker/tasks.py") == list{3, 0});
  CHECK(o.owners("/p/worker/sub/jobs.py") == list{3, 0});
  CHECK(o.owners("/p/worker/README.md") == list{0});
}

TEST_CASE("apps sharing a directory all restart for its code", "[unit]") {
  const change_owner o({{"/p", true, {}, false}, {"/p", true, {}, false}});
  CHECK(o.owners("/p/app.py") == list{0, 1});
}

TEST_CASE("changes under a hot-reloading dev server's own directory are its to show", "[unit]") {
  const auto o = example();
  CHECK(o.hmr_owned("/p/web/src/App.jsx"));
  CHECK(o.hmr_owned("/p/web/index.html"));
  CHECK_FALSE(o.hmr_owned("/p/templates/base.html"));
  CHECK_FALSE(o.hmr_owned("/p/static/site.css"));
  // The same directory as an app without hot reload: liveproxy keeps it.
  const change_owner shared({{"/p", true, {}, false}, {"/p", true, {}, true}});
  CHECK_FALSE(shared.hmr_owned("/p/x.js"));
  const change_owner alone({{"/p", true, {}, true}});
  CHECK(alone.hmr_owned("/p/x.js"));
  CHECK(alone.owners("/p/x.js").empty());
  // Its watch globs still restart it.
  const change_owner globbed({{"/p", true, {"vite.config.*"}, true}});
  CHECK(globbed.owners("/p/vite.config.ts") == list{0});
}
