// Crash output for the error page: traceback files, ANSI colours to HTML, escaping, the rendered page.
#include "proxy/app/output_log.hpp"
#include "proxy/app/traceback_files.hpp"
#include "proxy/base/terminal_text.hpp"
#include "proxy/browser/error_page.hpp"

#include <catch2/catch.hpp>

using namespace liveproxy;

TEST_CASE("Python traceback frames name their files and lines", "[unit][crash]") {
  const std::vector<std::string> out = {
      "Traceback (most recent call last):",
      "  File \"/srv/site/manage.py\", line 22, in <module>",
      "    main()",
      "  File \"<frozen importlib._bootstrap>\", line 1050, in _gcd_import",
      "  File \"/srv/site/mysite/settings.py\", line 12",
      "    DEBUG = = True",
      "            ^",
      "SyntaxError: invalid syntax",
      "  File \"/srv/site/manage.py\", line 22, in <module>",
      "  File \"relative/app.py\", line 3, in <module>",
  };
  const auto files = traceback_files(out);
  REQUIRE(files.size() == 3);
  CHECK(files[0] == source_location{"/srv/site/manage.py", 22});
  CHECK(files[1] == source_location{"/srv/site/mysite/settings.py", 12});
  CHECK(files[2] == source_location{"relative/app.py", 3});
}

TEST_CASE("Node stack frames name their files and lines", "[unit][crash]") {
  const std::vector<std::string> out = {
      "/home/me/app/server.js:14",
      "    throw new Error('boom');",
      "Error: boom",
      "    at handler (/home/me/app/server.js:14:11)",
      "    at /home/me/app/lib/util.js:3:7",
      "    at Module._compile (node:internal/modules/cjs/loader:1105:14)",
      "    at async main (file:///home/me/app/main.mjs:8:3)",
      "    at Object.<anonymous> (/home/me/my app/x:y.js:1:2)",
      "    at new Promise (<anonymous>)",
  };
  const auto files = traceback_files(out);
  REQUIRE(files.size() == 4);
  CHECK(files[0] == source_location{"/home/me/app/server.js", 14});
  CHECK(files[1] == source_location{"/home/me/app/lib/util.js", 3});
  CHECK(files[2] == source_location{"/home/me/app/main.mjs", 8});
  CHECK(files[3] == source_location{"/home/me/my app/x:y.js", 1});
}

TEST_CASE("traceback parsing ignores colours and ordinary lines", "[unit][crash]") {
  const std::vector<std::string> out = {"\x1b[31m  File \"/a/b.py\", line 7, in f\x1b[0m", "at the end of the day",
                                        "Listening at: http://127.0.0.1:8000 (42)", "File \"x\", line zero"};
  const auto files = traceback_files(out);
  REQUIRE(files.size() == 1);
  CHECK(files[0] == source_location{"/a/b.py", 7});
}

TEST_CASE("ANSI colours become spans - everything else is escaped", "[unit][crash]") {
  CHECK(ansi_to_html("plain <b> & 'q'") == "plain &lt;b&gt; &amp; &#39;q&#39;");
  CHECK(ansi_to_html("\x1b[31mred\x1b[0m ok") == "<span class=\"ansi-fg1\">red</span> ok");
  CHECK(ansi_to_html("\x1b[1;92mB\x1b[22mN") == "<span class=\"ansi-bold ansi-fg10\">B</span><span class=\"ansi-fg10\">N</span>");
  // Unclosed at the end of the line: closed anyway.
  CHECK(ansi_to_html("\x1b[4m<u>") == "<span class=\"ansi-underline\">&lt;u&gt;</span>");
  // 256-colour and RGB map onto the 16 classes; cursor moves and OSC links vanish.
  CHECK(ansi_to_html("\x1b[38;5;196mx\x1b[m") == "<span class=\"ansi-fg9\">x</span>");
  CHECK(ansi_to_html("\x1b[38;2;0;0;0;48;5;4mx") == "<span class=\"ansi-fg0 ansi-bg4\">x</span>");
  CHECK(ansi_to_html("\x1b[2K\x1b[1Gdone") == "done");
  CHECK(ansi_to_html("\x1b]8;;http://x\x07link\x1b]8;;\x1b\\") == "link");
  CHECK(strip_ansi("\x1b[31mred\x1b[0m \x1b]0;title\x07x") == "red x");
  // A lone escape at the end does not run past the line.
  CHECK(ansi_to_html("a\x1b") == "a");
  CHECK(ansi_to_html("a\x1b[31") == "a");
}

TEST_CASE("the error page escapes the output and lists traceback files", "[unit][crash]") {
  error_info info;
  info.title = "The app is not running";
  info.message = "generic";
  info.cause_title = "The app exited during start-up";
  info.cause = "The app exited with status 1.";
  info.command = "python3 app.py <x>";
  info.output = {"\x1b[31mSyntaxError: <script>alert(1)</script>\x1b[0m"};
  info.files = {"/srv/app.py:3"};
  const auto html = render_error_html(info, "<script src=\"/__liveproxy/client.js\"></script>");
  CHECK(html.find("The app exited during start-up") != std::string::npos);
  CHECK(html.find("generic") == std::string::npos);
  CHECK(html.find("<script>alert(1)") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("<span class=\"ansi-fg1\">SyntaxError") != std::string::npos);
  CHECK(html.find("python3 app.py &lt;x&gt;") != std::string::npos);
  CHECK(html.find("<code>/srv/app.py:3</code>") != std::string::npos);
  CHECK(html.find("/__liveproxy/client.js") != std::string::npos);
  CHECK(html.find("{{") == std::string::npos);

  const auto text = render_error_text(info);
  CHECK(text.find("The app exited during start-up") != std::string::npos);
  CHECK(text.find("/srv/app.py:3") != std::string::npos);
  CHECK(text.find("\x1b") == std::string::npos);

  info.files.clear();
  CHECK(render_error_html(info, "").find("<section hidden>") != std::string::npos);
}

TEST_CASE("the error page is filled in one pass: placeholders in the app's output stay text", "[unit][crash]") {
  const std::string tag = R"(<script src="/__liveproxy/client.js" data-token="t0k"></script>)";
  error_info info;
  info.title = "{{script}} in a title";
  info.command = "python3 {{output}}";
  info.output = {"GET /?q={{script}} 200", "{{title}}{{status}}{{", "}}{{output}}"};
  const auto html = render_error_html(info, tag);
  // The tag once (its place in <head>), never inside the output or the title.
  std::size_t tags = 0;
  for (auto at = html.find("data-token"); at != std::string::npos; at = html.find("data-token", at + 1)) ++tags;
  CHECK(tags == 1);
  CHECK(html.find("GET /?q={{script}} 200") != std::string::npos);
  CHECK(html.find("{{title}}{{status}}{{") != std::string::npos);
  CHECK(html.find("python3 {{output}}") != std::string::npos);
}

TEST_CASE("filling the error page is linear in what is inserted", "[unit][crash]") {
  // 600k placeholders in the output took 35 s when each insertion was scanned again; now one pass.
  error_info info;
  std::string line;
  for (int i = 0; i < 6000; ++i) line += "{{script}}";
  info.output.assign(100, line);
  const auto html = render_error_html(info, "<script data-token=x></script>");
  CHECK(html.size() < 8u * 1024 * 1024);
  std::size_t tags = 0;
  for (auto at = html.find("data-token"); at != std::string::npos; at = html.find("data-token", at + 1)) ++tags;
  CHECK(tags == 1);
}

TEST_CASE("kept app output is bounded: lines cut and marked, the unfinished line and the total capped", "[unit][crash]") {
  output_log log(200, 8, 100);
  std::string through;
  const auto pass = [&](std::string_view bytes) { through.append(bytes); };
  log.append("short\nthis line is much longer than eight\n", pass);
  REQUIRE(log.lines().size() == 2);
  CHECK(log.lines()[0] == "short");
  CHECK(log.lines()[1].starts_with("this lin"));
  CHECK(log.lines()[1].find("line cut: 27 more bytes") != std::string::npos);
  // The terminal got everything, as it came.
  CHECK(through == "short\nthis line is much longer than eight\n");
  // An unfinished line is kept up to the cap, however much comes.
  for (int i = 0; i < 1000; ++i) log.append("xxxxxxxxxx", pass);
  CHECK(log.partial() == "xxxxxxxx");
  CHECK(through.size() == 10'000 + 42);
  log.flush();
  CHECK(log.lines().back().find("line cut: 9992 more bytes") != std::string::npos);
  // The total: old lines go first.
  for (int i = 0; i < 20; ++i) log.append("12345678\n", pass);
  std::size_t total = 0;
  for (const auto& l : log.lines()) total += l.size();
  CHECK(total <= 100);
  CHECK(log.lines().back() == "12345678");
  // A prompt without a newline is passed through at once.
  through.clear();
  log.append("(Pdb) ", pass);
  CHECK(through == "(Pdb) ");
}
