// Gitignore semantics: line parsing, per-directory scoping and precedence.
#include "watcher/ignore_rules.hpp"

namespace liveproxy::watcher {

const std::vector<std::string>& ignore_rules::default_patterns() {
  static const std::vector<std::string> patterns = {
      // Version control, dependencies, virtualenvs, caches and IDE state: big, noisy, never app code.
      ".git/", ".hg/", ".svn/", "node_modules/", "__pycache__/", ".venv/", "venv/", ".mypy_cache/",
      ".pytest_cache/", ".tox/", ".idea/", ".vscode/",
      // Dev servers' own caches, rewritten as they start (Vite's pre-bundled dependencies, Next's build).
      ".vite/", ".next/", ".nuxt/", ".svelte-kit/", ".parcel-cache/",
      // Files the running app writes itself: reacting to them would restart it in a loop.
      "*.pyc", "*.pyo", "*.sqlite3", "*.sqlite3-journal", "*-journal", "*.db", "*.log", "media/",
      // Editor temporaries (vim, emacs, kate, gedit/GIO, JetBrains safe-write); the real name follows.
      "*.swp", "*.swx", "*.swo", "*~", ".#*", "\\#*#", "4913", "*.tmp", ".*.kate-swp", ".goutputstream-*",
      "*___jb_tmp___", "*___jb_old___"};
  return patterns;
}

ignore_rules::ignore_rules(bool with_defaults) {
  if (!with_defaults) return;
  for (const auto& p : default_patterns()) defaults_.add_line(p);
}

void ignore_rules::add_extra(const std::vector<std::string>& globs) {
  for (const auto& g : globs) extra_.add_line(g);
}

bool ignore_rules::set_gitignore(std::string_view dir_rel, std::string_view text) {
  std::string key(dir_rel);
  if (const auto it = gitignores_.find(key); it != gitignores_.end() && it->second.text == text) return false;
  rule_set set;
  set.text = text;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    set.add_line(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  if (set.rules.empty()) return gitignores_.erase(key) > 0;
  gitignores_.insert_or_assign(std::move(key), std::move(set));
  return true;
}

bool ignore_rules::remove_gitignore(std::string_view dir_rel) { return gitignores_.erase(std::string(dir_rel)) > 0; }

namespace {

bool at_or_below(std::string_view path, std::string_view dir) {
  return dir.empty() || path == dir || (path.starts_with(dir) && path.size() > dir.size() && path[dir.size()] == '/');
}

}  // namespace

std::vector<std::string> ignore_rules::gitignore_dirs_under(std::string_view dir_rel) const {
  std::vector<std::string> out;
  for (const auto& entry : gitignores_)
    if (at_or_below(entry.first, dir_rel)) out.push_back(entry.first);
  return out;
}

void ignore_rules::move_gitignores(std::string_view from_dir, std::string_view to_dir) {
  // Rules already at the destination belonged to what the move replaced.
  for (const auto& gone : gitignore_dirs_under(to_dir)) gitignores_.erase(gone);
  for (const auto& dir : gitignore_dirs_under(from_dir)) {
    auto node = gitignores_.extract(dir);
    node.key() = std::string(to_dir) + dir.substr(from_dir.size());
    gitignores_.insert(std::move(node));
  }
}

void ignore_rules::rule_set::add_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // Trailing spaces are dropped unless the last one is escaped with a backslash.
  while (!line.empty() && line.back() == ' ' && !(line.size() >= 2 && line[line.size() - 2] == '\\'))
    line.remove_suffix(1);
  if (line.empty() || line.front() == '#') return;
  bool negate = false;
  if (line.front() == '!') {
    negate = true;
    line.remove_prefix(1);
  }
  if (line.empty() || line == "/") return;
  rules.push_back(rule{path_pattern(line), negate});
}

std::optional<bool> ignore_rules::rule_set::decide(std::string_view rel_path, bool is_dir) const {
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    if (it->pattern.matches(rel_path, is_dir)) return !it->negate;
  }
  return std::nullopt;
}

bool ignore_rules::ignored(std::string_view rel_path, bool is_dir) const {
  if (auto d = extra_.decide(rel_path, is_dir)) return *d;
  if (!gitignores_.empty()) {
    // Deepest .gitignore first: the directory holding the entry, then each parent up to the root.
    std::string_view dir = rel_path;
    for (;;) {
      const auto slash = dir.rfind('/');
      dir = slash == std::string_view::npos ? std::string_view{} : dir.substr(0, slash);
      const auto it = gitignores_.find(std::string(dir));
      if (it != gitignores_.end()) {
        const std::string_view sub = dir.empty() ? rel_path : rel_path.substr(dir.size() + 1);
        if (auto d = it->second.decide(sub, is_dir)) return *d;
      }
      if (dir.empty()) break;
    }
  }
  return defaults_.decide(rel_path, is_dir).value_or(false);
}

std::vector<std::string> ignore_rules::negations() const {
  std::vector<std::string> out;
  const auto collect = [&](const rule_set& set) {
    for (const auto& r : set.rules)
      if (r.negate) out.push_back(r.pattern.glob());
  };
  collect(extra_);
  for (const auto& entry : gitignores_) collect(entry.second);
  return out;
}

bool ignore_rules::ignored_path(std::string_view rel_path, bool is_dir) const {
  for (std::size_t slash = rel_path.find('/'); slash != std::string_view::npos;
       slash = rel_path.find('/', slash + 1)) {
    if (ignored(rel_path.substr(0, slash), true)) return true;
  }
  return ignored(rel_path, is_dir);
}

}  // namespace liveproxy::watcher
