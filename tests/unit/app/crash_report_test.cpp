// read_crash: the error, its place in the user's code and the frames, from real tracebacks of Python (Django),
// Node, Ruby, Go and PHP as they print them.
#include "proxy/app/crash_report.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

using namespace liveproxy;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// The project is /srv/app; everything else is someone else's.
bool in_project(const std::string& file) { return file.starts_with("/srv/app/") || file.starts_with("./"); }

crash_report read(const std::string& text) { return read_crash(lines_of(text), in_project); }

}  // namespace

TEST_CASE("crash: a Django settings.py SyntaxError leads with the error and the user's line", "[unit][crash]") {
  const auto r = read(R"(Watching for file changes with StatReloader
Traceback (most recent call last):
  File "/tmp/liveproxy-preload-x1/liveproxy_preload.py", line 207, in <module>
    runpy.run_path(script, run_name="__main__")
  File "/srv/app/manage.py", line 22, in <module>
    main()
  File "/usr/lib/python3/dist-packages/django/conf/__init__.py", line 170, in __init__
    mod = importlib.import_module(self.SETTINGS_MODULE)
          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "<frozen importlib._bootstrap>", line 241, in _call_with_frames_removed
  File "/srv/app/mysite/settings.py", line 26
    ALLOWED_HOSTS = [
                    ^
SyntaxError: '[' was never closed
)");
  CHECK(r.headline == "SyntaxError: '[' was never closed");
  REQUIRE(r.where);
  CHECK(r.where->file == "/srv/app/mysite/settings.py");
  CHECK(r.where->line == 26);
  CHECK(r.where->user);
  CHECK(r.pointer == std::vector<std::string>{"    ALLOWED_HOSTS = [", "                    ^"});
  // Innermost first; liveproxy's preloader and the frozen pseudo-file are not frames at all.
  REQUIRE(r.frames.size() == 3);
  CHECK(r.frames[0].file == "/srv/app/mysite/settings.py");
  CHECK_FALSE(r.frames[1].user);
  CHECK(r.frames[2].file == "/srv/app/manage.py");
  CHECK(r.frames[2].user);
  for (const auto& f : r.frames) CHECK(f.file.find("liveproxy") == std::string::npos);
  CHECK(r.one_line("mysite/settings.py") == "SyntaxError: '[' was never closed (mysite/settings.py:26)");
}

TEST_CASE("crash: a chained Python error gives the last one, at the innermost user frame", "[unit][crash]") {
  const auto r = read(R"(Traceback (most recent call last):
  File "/srv/app/app.py", line 5, in load
    return json.loads(open(path).read())
FileNotFoundError: [Errno 2] No such file or directory: '/nonexistent.json'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/app/app.py", line 9, in <module>
    load("/nonexistent.json")
  File "/srv/app/app.py", line 7, in load
    raise RuntimeError(f"config missing: {path}")
RuntimeError: config missing: /nonexistent.json
)");
  CHECK(r.headline == "RuntimeError: config missing: /nonexistent.json");
  REQUIRE(r.where);
  CHECK(r.where->line == 7);
  CHECK(r.where->function == "load");
  CHECK(r.frames.size() == 2);
}

TEST_CASE("crash: an error in a library called from the user's view points at the user's line", "[unit][crash]") {
  const auto r = read(R"(Traceback (most recent call last):
  File "/srv/app/blog/views.py", line 12, in index
    return render(request, "index.html", {"posts": load()})
  File "/usr/lib/python3/dist-packages/django/shortcuts.py", line 24, in render
    content = loader.render_to_string(template_name, context, request, using=using)
django.template.exceptions.TemplateDoesNotExist: index.html
)");
  CHECK(r.headline == "django.template.exceptions.TemplateDoesNotExist: index.html");
  REQUIRE(r.where);
  CHECK(r.where->file == "/srv/app/blog/views.py");
  CHECK(r.where->line == 12);
}

TEST_CASE("crash: Node, with its throw site, caret and stack", "[unit][crash]") {
  const auto r = read(R"(/srv/app/app.js:3
  return x.foo.bar;
               ^

TypeError: Cannot read properties of undefined (reading 'bar')
    at handler (/srv/app/app.js:3:16)
    at Array.map (<anonymous>)
    at Object.run (/srv/app/node_modules/lib/index.js:1:52)
    at Object.<anonymous> (/srv/app/app.js:5:5)
    at node:internal/main/run_main_module:28:49

Node.js v20.20.2
)");
  CHECK(r.headline == "TypeError: Cannot read properties of undefined (reading 'bar')");
  REQUIRE(r.where);
  CHECK(r.where->file == "/srv/app/app.js");
  CHECK(r.where->line == 3);
  CHECK(r.pointer.size() == 2);
  REQUIRE(r.frames.size() == 3);
  CHECK(r.frames[0] == crash_frame{"/srv/app/app.js", 3, 16, "handler", true});
  CHECK_FALSE(r.frames[1].user);
  CHECK(r.frames[2].column == 5);
}

TEST_CASE("crash: a Node error without a throw site, and an ESM module URL", "[unit][crash]") {
  auto r = read(R"(Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/srv/app/nope.mjs' imported from /srv/app/main.mjs
    at finalizeResolution (node:internal/modules/esm/resolve:264:11)
    at file:///srv/app/main.mjs:2:18
)");
  CHECK(r.headline == "Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/srv/app/nope.mjs' imported from /srv/app/main.mjs");
  REQUIRE(r.where);
  CHECK(r.where->file == "/srv/app/main.mjs");
  CHECK(r.where->line == 2);
}

TEST_CASE("crash: Ruby, old and new quoting", "[unit][crash]") {
  auto r = read("/srv/app/app.rb:1:in 'Object#foo': undefined method 'time' for an instance of Integer (NoMethodError)\n"
                "\tfrom /srv/app/app.rb:2:in '<main>'\n");
  CHECK(r.headline == "NoMethodError: undefined method 'time' for an instance of Integer");
  REQUIRE(r.where);
  CHECK(r.where->line == 1);
  CHECK(r.frames.size() == 2);
  r = read("/usr/local/bundle/gems/bootsnap-1.3.0/lib/x.rb:53:in `block in load': uninitialized constant Oj (NameError)\n"
           "\tfrom /srv/app/config/boot.rb:4:in `<top (required)>'\n");
  CHECK(r.headline == "NameError: uninitialized constant Oj");
  REQUIRE(r.where);
  CHECK(r.where->file == "/srv/app/config/boot.rb");
}

TEST_CASE("crash: a Go panic and a Go build error", "[unit][crash]") {
  auto r = read(R"(panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x28 pc=0x1385f7c]

goroutine 1 [running]:
main.ReadRoutines(0xc000228000, 0xa1)
	/srv/app/parse.go:76 +0x19c
main.main()
	/srv/app/main.go:38 +0x17c
exit status 2
)");
  CHECK(r.headline == "panic: runtime error: invalid memory address or nil pointer dereference");
  REQUIRE(r.where);
  CHECK(r.where->file == "/srv/app/parse.go");
  CHECK(r.where->line == 76);
  CHECK(r.where->function == "main.ReadRoutines");
  r = read("# command-line-arguments\n./main.go:23:27: undefined: SONGS_DIR\n");
  CHECK(r.headline == "undefined: SONGS_DIR");
  REQUIRE(r.where);
  CHECK(r.where->column == 27);
}

TEST_CASE("crash: PHP, an uncaught exception and a parse error", "[unit][crash]") {
  auto r = read(R"(PHP Fatal error:  Uncaught Exception: No No No in /srv/app/index.php:8
Stack trace:
#0 /srv/app/lib.php(7): boom()
#1 {main}
  thrown in /srv/app/index.php on line 8
)");
  CHECK(r.headline == "Exception: No No No");
  REQUIRE(r.where);
  CHECK(r.where->line == 8);
  r = read("PHP Parse error:  syntax error, unexpected token \"<\" in /srv/app/opac.php on line 35\n");
  CHECK(r.headline == "Parse error: syntax error, unexpected token \"<\"");
  REQUIRE(r.where);
  CHECK(r.where->line == 35);
}

TEST_CASE("crash: colours, huge lines and plain output are no error", "[unit][crash]") {
  CHECK(read("Starting development server at http://127.0.0.1:8000/\nQuit the server with CONTROL-C.\n").empty());
  std::string huge(300'000, 'x');
  CHECK(read(huge + "\n" + huge).empty());
  const auto r = read("\x1b[31mTraceback (most recent call last):\x1b[0m\n  File \"/srv/app/a.py\", line 1, in <module>\n"
                      "\x1b[1;35mValueError\x1b[0m: \x1b[35mbad\x1b[0m\n");
  CHECK(r.headline == "ValueError: bad");
}

TEST_CASE("crash: library paths", "[unit][crash]") {
  for (const auto* lib : {"/usr/lib/python3/dist-packages/django/x.py", "/srv/app/.venv/lib/python3.11/site-packages/x.py",
                          "/srv/app/node_modules/express/index.js", "node:internal/x", "<frozen importlib._bootstrap>",
                          "/tmp/liveproxy-preload-ab/liveproxy_preload.py", "/home/u/go/pkg/mod/x@v1.2.3/y.go"})
    CHECK(library_path(lib));
  CHECK_FALSE(library_path("/srv/app/mysite/settings.py"));
  CHECK(liveproxy_path("/tmp/liveproxy-preload-ab/liveproxy_preload.py"));
}
