// The default classification rules (one set for browser-side JavaScript, one for server-side) and
// first-match-wins evaluation.
#include "watcher/classifier.hpp"

#include <algorithm>
#include <cctype>

namespace liveproxy::watcher {
namespace {

using rule = classifier::rule;

// Stylesheets and images are hot-swapped wherever they live (also under templates/ or static/): the
// browser client can replace them without losing page state.
const std::vector<rule> swapped = {
    {"*.css", action::css},  {"*.css.map", action::css}, {"*.png", action::css},  {"*.jpg", action::css},
    {"*.jpeg", action::css}, {"*.gif", action::css},     {"*.svg", action::css},  {"*.webp", action::css},
    {"*.avif", action::css}, {"*.ico", action::css},
};

// Fonts, HTML and templates reload the page: they are read per request (or by the browser).
const std::vector<rule> pages = {
    {"*.woff", action::reload},   {"*.woff2", action::reload}, {"*.ttf", action::reload},
    {"*.otf", action::reload},    {"*.eot", action::reload},

    {"*.html", action::reload},   {"*.htm", action::reload},   {"*.jinja", action::reload},
    {"*.jinja2", action::reload}, {"*.j2", action::reload},    {"*.tmpl", action::reload},
    {"*.tpl", action::reload},    {"*.hbs", action::reload},   {"*.ejs", action::reload},
    {"*.pug", action::reload},    {"*.mustache", action::reload}, {"*.twig", action::reload},
    {"*.erb", action::reload},    {"*.liquid", action::reload},
};

// Anything under these directories is served or rendered per request: the app needs no restart.
const std::vector<rule> served_dirs = {
    {"templates/", action::reload},
    {"static/", action::reload},
    {"public/", action::reload},
    {"assets/", action::reload},
};

// Scripts of an app that is not itself JavaScript run in the browser: a reload picks them up.
const std::vector<rule> browser_scripts = {
    {"*.js", action::reload},
    {"*.mjs", action::reload},
    {"*.ts", action::reload},
};

// Scripts of a JavaScript app (outside the served directories, matched before these) are its code.
// No match would restart too; the rules say it, for a config file that lists them.
const std::vector<rule> server_scripts = {
    {"*.js", action::restart},  {"*.mjs", action::restart}, {"*.cjs", action::restart}, {"*.ts", action::restart},
    {"*.mts", action::restart}, {"*.cts", action::restart}, {"*.jsx", action::restart}, {"*.tsx", action::restart},
};

std::vector<rule> concat(std::initializer_list<const std::vector<rule>*> parts) {
  std::vector<rule> out;
  for (const auto* p : parts) out.insert(out.end(), p->begin(), p->end());
  return out;
}

}  // namespace

// Precedence, first match wins; no match means the file is (or may be) app code: restart.
//  - not server JavaScript: swapped, pages, browser scripts (reload anywhere), served directories.
//  - server JavaScript: swapped, pages, served directories (a script under public/ still runs in
//    the browser), then every other script restarts the app.
const std::vector<classifier::rule>& classifier::default_rules(bool js_runs_on_server) {
  static const std::vector<rule> browser_js = concat({&swapped, &pages, &browser_scripts, &served_dirs});
  static const std::vector<rule> server_js = concat({&swapped, &pages, &served_dirs, &server_scripts});
  return js_runs_on_server ? server_js : browser_js;
}

classifier::classifier() : classifier(default_rules()) {}

classifier::classifier(const std::vector<rule>& rules) {
  rules_.reserve(rules.size());
  for (const auto& r : rules) rules_.push_back(compiled{path_pattern(r.glob), r.act});
}

bool likely_temporary_name(std::string_view rel_path) {
  const auto slash = rel_path.rfind('/');
  const auto name = slash == std::string_view::npos ? rel_path : rel_path.substr(slash + 1);
  const auto tail_is = [&](std::size_t prefix, std::size_t min, std::size_t max, bool underscore) {
    if (name.size() < prefix + min || name.size() > prefix + max) return false;
    return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix), name.end(), [&](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) != 0 || (underscore && ch == '_');
    });
  };
  // GNU sed: mkostemp("sedXXXXXX"); Python: "tmp" + 8 of [a-z0-9_].
  return (name.starts_with("sed") && tail_is(3, 6, 6, false)) || (name.starts_with("tmp") && tail_is(3, 8, 8, true));
}

action classifier::classify(std::string_view rel_path) const {
  while (!rel_path.empty() && rel_path.front() == '/') rel_path.remove_prefix(1);
  for (const auto& r : rules_) {
    if (r.pattern.matches_under(rel_path, false)) return r.act;
  }
  return action::restart;
}

}  // namespace liveproxy::watcher
