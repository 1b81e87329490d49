// Table tests of the default classification rules and of custom rule lists.
#include "watcher/classifier.hpp"

#include <catch2/catch.hpp>

using liveproxy::watcher::action;
using liveproxy::watcher::classifier;

TEST_CASE("default classification: css hot swap - page reload - app restart", "[unit][watcher]") {
  const classifier c;
  struct row {
    const char* path;
    action expected;
  };
  const row rows[] = {
      {"style.css", action::css},
      {"static/css/site.css", action::css},
      {"static/css/site.css.map", action::css},
      {"templates/logo.png", action::css},  // images hot-swap even under templates/
      {"a/b/photo.jpg", action::css},
      {"x.jpeg", action::css},
      {"x.gif", action::css},
      {"icons/x.svg", action::css},
      {"x.webp", action::css},
      {"x.avif", action::css},
      {"favicon.ico", action::css},
      {"index.html", action::reload},
      {"page.htm", action::reload},
      {"app/templates/base.jinja2", action::reload},
      {"x.jinja", action::reload},
      {"x.j2", action::reload},
      {"x.tmpl", action::reload},
      {"x.tpl", action::reload},
      {"x.hbs", action::reload},
      {"views/x.ejs", action::reload},
      {"x.pug", action::reload},
      {"x.mustache", action::reload},
      {"x.twig", action::reload},
      {"x.erb", action::reload},
      {"x.liquid", action::reload},
      {"templates/emails/welcome.txt", action::reload},  // anything under templates/
      {"blog/templates/blog/post.py", action::reload},
      {"app.js", action::reload},
      {"module.mjs", action::reload},
      {"src/main.ts", action::reload},
      {"fonts/a.woff2", action::reload},
      {"x.woff", action::reload},
      {"x.ttf", action::reload},
      {"x.otf", action::reload},
      {"x.eot", action::reload},
      {"static/data.json", action::reload},
      {"public/robots.txt", action::reload},
      {"assets/manifest.webmanifest", action::reload},
      {"app.py", action::restart},
      {"manage.py", action::restart},
      {"config/settings.toml", action::restart},
      {"Makefile", action::restart},
      {".env", action::restart},
      {"styles.scss", action::restart},  // needs a build step: not hot-swappable
      {"statics/x.py", action::restart},
      {"/usr/lib/python3/dist-packages/django/views.py", action::restart},  // extra files: absolute
      {"/srv/app/templates/x.html", action::reload},
  };
  for (const auto& r : rows) {
    INFO(r.path);
    CHECK(c.classify(r.path) == r.expected);
  }
}

TEST_CASE("classification for server-side JavaScript: scripts restart - served directories still reload",
          "[unit][watcher]") {
  const classifier c(classifier::default_rules(true));
  struct row {
    const char* path;
    action expected;
  };
  const row rows[] = {
      {"server.js", action::restart},
      {"src/app.mjs", action::restart},
      {"lib/config.cjs", action::restart},
      {"src/main.ts", action::restart},
      {"src/util.mts", action::restart},
      {"src/util.cts", action::restart},
      {"components/App.jsx", action::restart},  // server-side rendering
      {"components/App.tsx", action::restart},
      {"package.json", action::restart},
      {"public/app.js", action::reload},  // served as is: runs in the browser
      {"static/js/main.mjs", action::reload},
      {"assets/widget.tsx", action::reload},
      {"templates/partial.js", action::reload},
      {"public/style.css", action::css},
      {"style.css", action::css},
      {"public/logo.svg", action::css},
      {"img/x.png", action::css},
      {"public/index.html", action::reload},
      {"views/index.ejs", action::reload},
      {"views/layout.hbs", action::reload},
      {"fonts/a.woff2", action::reload},
      {"public/robots.txt", action::reload},
      {"/srv/app/node_modules/x/index.js", action::restart},  // extra files: absolute
  };
  for (const auto& r : rows) {
    INFO(r.path);
    CHECK(c.classify(r.path) == r.expected);
  }
  // The other set is unchanged: for a Python or Ruby app, a script is browser code.
  CHECK(classifier().classify("server.js") == action::reload);
  CHECK(classifier(classifier::default_rules(false)).classify("src/main.ts") == action::reload);
}

TEST_CASE("custom classifier rules: first match wins - no match restarts", "[unit][watcher]") {
  const classifier c({{"*.md", action::ignore}, {"docs/", action::reload}, {"docs/*.py", action::restart}});
  CHECK(c.classify("README.md") == action::ignore);
  CHECK(c.classify("docs/conf.py") == action::reload);
  CHECK(c.classify("docs/index.md") == action::ignore);
  CHECK(c.classify("app.py") == action::restart);
  CHECK(c.classify("style.css") == action::restart);
}

TEST_CASE("action names", "[unit][watcher]") {
  using liveproxy::watcher::to_string;
  CHECK(std::string(to_string(action::ignore)) == "ignore");
  CHECK(std::string(to_string(action::css)) == "css");
  CHECK(std::string(to_string(action::reload)) == "reload");
  CHECK(std::string(to_string(action::restart)) == "restart");
}

TEST_CASE("names tools write before renaming them over the real file", "[unit][watcher]") {
  using liveproxy::watcher::likely_temporary_name;
  CHECK(likely_temporary_name("mysite/sedAb12Cd"));  // GNU sed -i
  CHECK(likely_temporary_name("sedXXXXXX"));
  CHECK(likely_temporary_name("/srv/app/tmpk2_9ab8z"));  // Python's tempfile
  CHECK_FALSE(likely_temporary_name("mysite/views.py"));
  CHECK_FALSE(likely_temporary_name("sedan.py"));
  CHECK_FALSE(likely_temporary_name("sediment"));      // 5 after "sed"
  CHECK_FALSE(likely_temporary_name("sedAb12Cd.py"));  // an extension: a file of the project
  CHECK_FALSE(likely_temporary_name("tmp"));
  CHECK_FALSE(likely_temporary_name("mysite/sed/views"));
}
