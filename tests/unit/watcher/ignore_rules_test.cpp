// Table tests of the default ignore list and of gitignore semantics.
#include "watcher/ignore_rules.hpp"

#include <catch2/catch.hpp>

using liveproxy::watcher::ignore_rules;

namespace {

struct row {
  const char* path;
  bool is_dir;
  bool ignored;
};

void check_rows(const ignore_rules& rules, std::initializer_list<row> rows) {
  for (const auto& r : rows) {
    INFO(r.path << (r.is_dir ? "/" : ""));
    CHECK(rules.ignored_path(r.path, r.is_dir) == r.ignored);
  }
}

}  // namespace

TEST_CASE("default ignores cover VCS - dependencies - caches - app output and editor temp files", "[unit][watcher]") {
  const ignore_rules rules;
  check_rows(rules, {
                        {".git", true, true},
                        {".git/HEAD", false, true},
                        {".hg", true, true},
                        {".svn", true, true},
                        {"node_modules", true, true},
                        {"web/node_modules", true, true},
                        {"node_modules/x/index.js", false, true},
                        {"app/__pycache__", true, true},
                        {"app/views.pyc", false, true},
                        {"app/views.pyo", false, true},
                        {".venv", true, true},
                        {"venv", true, true},
                        {"db.sqlite3", false, true},
                        {"db.sqlite3-journal", false, true},
                        {"x.db-journal", false, true},
                        {"data.db", false, true},
                        {"server.log", false, true},
                        {"media", true, true},
                        {"media/upload.png", false, true},
                        {".mypy_cache", true, true},
                        {".pytest_cache", true, true},
                        {".tox", true, true},
                        {".idea", true, true},
                        {".vscode", true, true},
                        {".views.py.swp", false, true},
                        {".views.py.swx", false, true},
                        {".views.py.swo", false, true},
                        {"views.py~", false, true},
                        {".#views.py", false, true},
                        {"#views.py#", false, true},
                        {"4913", false, true},
                        {"views.py.tmp", false, true},
                        {".views.py.kate-swp", false, true},
                        {".goutputstream-AB12CD", false, true},
                        {"views.py___jb_tmp___", false, true},
                        {"views.py___jb_old___", false, true},
                        // Not ignored: ordinary code and names that merely look similar.
                        {"app.py", false, false},
                        {"media.py", false, false},
                        {"media", false, false},
                        {"venv.py", false, false},
                        {"templates/index.html", false, false},
                        {"src", true, false},
                        {"git", true, false},
                        {"notes.md", false, false},
                    });
}

TEST_CASE("gitignore semantics: scoping - negation - anchoring - directory-only - wildcards - escapes", "[unit][watcher]") {
  ignore_rules rules;
  rules.set_gitignore("",
                      "# a comment\n"
                      "\n"
                      "*.o\n"
                      "!keep.o\n"
                      "/build\n"
                      "docs/\n"
                      "**/gen/**\n"
                      "foo/**/bar\n"
                      "\\#hash\n"
                      "\\!bang\n"
                      "space\\ \n"
                      "trailing   \n"
                      "[abc].txt\n"
                      "?.md\n"
                      "out/\n"
                      "!out/keep.txt\n"
                      "lib/*.js\n"
                      "crlf\r\n");
  rules.set_gitignore("sub", "*.txt\n!important.txt\n/local\n!keep.log\n");
  check_rows(rules, {
                        {"a.o", false, true},
                        {"deep/dir/a.o", false, true},
                        {"keep.o", false, false},  // negation, last match wins
                        {"x/keep.o", false, false},
                        {"build", true, true},  // anchored: only at the root
                        {"build", false, true},
                        {"src/build", true, false},
                        {"build/x.c", false, true},  // below an ignored directory
                        {"docs", true, true},  // directory-only
                        {"docs", false, false},
                        {"x/docs", true, true},
                        {"gen/x.py", false, true},
                        {"a/gen/x/y.py", false, true},
                        {"gen", true, false},
                        {"foo/bar", false, true},
                        {"foo/a/b/bar", false, true},
                        {"x/foo/bar", false, false},  // contains '/', so anchored
                        {"#hash", false, true},  // escaped comment character
                        {"!bang", false, true},  // escaped negation
                        {"space ", false, true},  // escaped trailing space
                        {"space", false, false},
                        {"trailing", false, true},  // unescaped trailing spaces dropped
                        {"a.txt", false, true},
                        {"d.txt", false, false},
                        {"x.md", false, true},
                        {"xy.md", false, false},
                        {"out/keep.txt", false, true},  // cannot re-include below an excluded directory
                        {"lib/a.js", false, true},
                        {"lib/x/a.js", false, false},  // '*' does not cross '/'
                        {"crlf", false, true},
                        // Nested .gitignore: scoped to its directory, and wins over the root's.
                        {"sub/d.txt", false, true},
                        {"sub/important.txt", false, false},
                        {"sub/deeper/important.txt", false, false},
                        {"other/d.txt", false, false},
                        {"sub/local", false, true},
                        {"sub/x/local", false, false},
                        {"sub/keep.log", false, false},  // re-includes a default-ignored file
                        {"keep.log", false, true},
                    });
}

TEST_CASE("extra ignores win over .gitignore and defaults - .gitignore can be replaced and removed", "[unit][watcher]") {
  ignore_rules rules;
  rules.add_extra({"*.generated.py", "!debug.log", "/tmp/"});
  rules.set_gitignore("", "*.py\n");
  check_rows(rules, {
                        {"models.generated.py", false, true},
                        {"debug.log", false, false},
                        {"other.log", false, true},
                        {"tmp", true, true},
                        {"x/tmp", true, false},
                        {"app.py", false, true},
                    });
  rules.set_gitignore("", "# nothing\n");
  CHECK_FALSE(rules.ignored_path("app.py", false));
  rules.set_gitignore("", "*.py\n");
  rules.remove_gitignore("");
  CHECK_FALSE(rules.ignored_path("app.py", false));
}

TEST_CASE("ignore_rules without defaults ignores nothing by itself", "[unit][watcher]") {
  const ignore_rules rules(false);
  CHECK_FALSE(rules.ignored_path("node_modules/x.js", false));
  CHECK_FALSE(rules.ignored_path("x.pyc", false));
}

TEST_CASE("gitignore rules move with a renamed directory and replace those at the destination", "[unit][watcher]") {
  ignore_rules r;
  r.set_gitignore("pkg", "*.gen\n");
  r.set_gitignore("pkg/sub", "local/\n");
  r.set_gitignore("pkg-x", "*.other\n");
  r.set_gitignore("app", "*.stale\n");
  CHECK(r.gitignore_dirs_under("pkg").size() == 2);

  r.move_gitignores("pkg", "app");
  CHECK(r.ignored("app/x.gen", false));
  CHECK(r.ignored("app/sub/local", true));
  CHECK_FALSE(r.ignored("pkg/x.gen", false));
  CHECK_FALSE(r.ignored("app/x.stale", false));
  CHECK(r.ignored("pkg-x/y.other", false));
  CHECK(r.gitignore_dirs_under("pkg").empty());
}

TEST_CASE("setting a .gitignore says whether the rules changed", "[unit][watcher]") {
  ignore_rules r;
  CHECK(r.set_gitignore("", "build/\n"));
  CHECK_FALSE(r.set_gitignore("", "build/\n"));  // rewritten with the same text
  CHECK(r.set_gitignore("", "build/\ndist/\n"));
  CHECK_FALSE(r.set_gitignore("sub", "# only a comment\n"));  // no rules, and none before
  CHECK(r.remove_gitignore(""));
  CHECK_FALSE(r.remove_gitignore(""));
  CHECK(r.set_gitignore("", "x\n"));
  CHECK(r.set_gitignore("", ""));  // emptied: its rules are gone
  CHECK_FALSE(r.ignored("x", false));
}
