// Decides what a changed file means: hot-swap CSS, reload the page, or restart the app.
#pragma once

#include "watcher/change.hpp"
#include "watcher/path_pattern.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace liveproxy::watcher {

/// An ordered list of (gitignore-style glob → action) rules; the first match wins, no match means restart.
/// A directory glob ("static/") matches everything under such a directory. Plain data, so a config
/// file can supply its own list later.
class classifier {
 public:
  struct rule {
    std::string glob;
    action act;
  };

  /// The built-in rules (see classifier.cpp for the precedence and why). js_runs_on_server: the app
  /// itself is JavaScript (node, deno, bun...), so scripts outside templates/, static/, public/ and
  /// assets/ restart it instead of reloading the page.
  static const std::vector<rule>& default_rules(bool js_runs_on_server = false);

  /// Uses the built-in rules for an app that is not JavaScript.
  classifier();
  explicit classifier(const std::vector<rule>& rules);

  /// Classifies a path relative to its watch root ('/'-separated; an absolute path is matched without its leading '/').
  action classify(std::string_view rel_path) const;

 private:
  struct compiled {
    path_pattern pattern;
    action act;
  };
  std::vector<compiled> rules_;
};

/// A name tools give a file they write and then rename over the real one: sed -i's "sedXXXXXX", Python
/// tempfile's "tmpXXXXXXXX" (no extension). Such a file is still code to the classifier (it may stay), but the
/// app is not worth starting early for it: the rename that follows is the change that counts.
bool likely_temporary_name(std::string_view rel_path);

}  // namespace liveproxy::watcher
