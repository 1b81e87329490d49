// The default classification rules and first-match-wins evaluation.
#include "watcher/classifier.hpp"

namespace liveproxy::watcher {

// Precedence, first match wins:
//  1. Stylesheets and images are hot-swapped wherever they live (also under templates/ or static/):
//     the browser client can replace them without losing page state.
//  2. Fonts, HTML/templates and front-end scripts reload the page.
//  3. Anything else under a templates/, static/, public/ or assets/ directory reloads the page:
//     these are served or rendered per request, the app does not need a restart.
//  4. No rule matched: the file is (or may be) app code, so the app restarts.
const std::vector<classifier::rule>& classifier::default_rules() {
  static const std::vector<rule> rules = {
      {"*.css", action::css},      {"*.css.map", action::css},  {"*.png", action::css},
      {"*.jpg", action::css},      {"*.jpeg", action::css},     {"*.gif", action::css},
      {"*.svg", action::css},      {"*.webp", action::css},     {"*.avif", action::css},
      {"*.ico", action::css},

      {"*.woff", action::reload},  {"*.woff2", action::reload}, {"*.ttf", action::reload},
      {"*.otf", action::reload},   {"*.eot", action::reload},

      {"*.html", action::reload},  {"*.htm", action::reload},   {"*.jinja", action::reload},
      {"*.jinja2", action::reload}, {"*.j2", action::reload},   {"*.tmpl", action::reload},
      {"*.tpl", action::reload},   {"*.hbs", action::reload},   {"*.ejs", action::reload},
      {"*.pug", action::reload},   {"*.mustache", action::reload}, {"*.twig", action::reload},
      {"*.erb", action::reload},   {"*.liquid", action::reload},

      {"*.js", action::reload},    {"*.mjs", action::reload},   {"*.ts", action::reload},

      {"templates/", action::reload}, {"static/", action::reload}, {"public/", action::reload},
      {"assets/", action::reload},
  };
  return rules;
}

classifier::classifier() : classifier(default_rules()) {}

classifier::classifier(const std::vector<rule>& rules) {
  rules_.reserve(rules.size());
  for (const auto& r : rules) rules_.push_back(compiled{path_pattern(r.glob), r.act});
}

action classifier::classify(std::string_view rel_path) const {
  while (!rel_path.empty() && rel_path.front() == '/') rel_path.remove_prefix(1);
  for (const auto& r : rules_) {
    if (r.pattern.matches_under(rel_path, false)) return r.act;
  }
  return action::restart;
}

}  // namespace liveproxy::watcher
