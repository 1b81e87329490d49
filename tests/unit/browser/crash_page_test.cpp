// Crash output for the error page: ANSI colours to HTML, escaping, the rendered page led by the error.
#include "proxy/app/output_log.hpp"
#include "proxy/base/terminal_text.hpp"
#include "proxy/browser/error_page.hpp"

#include <catch2/catch.hpp>

using namespace liveproxy;

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

TEST_CASE("the error page escapes the output", "[unit][crash]") {
  error_info info;
  info.title = "The app is not running";
  info.message = "generic";
  info.cause_title = "The app exited during start-up";
  info.cause = "The app exited with status 1.";
  info.command = "python3 app.py <x>";
  info.output = {"\x1b[31mSyntaxError: <script>alert(1)</script>\x1b[0m"};
  const auto html = render_error_html(info, "<script src=\"/__liveproxy/client.js\"></script>");
  CHECK(html.find("<h1>The app exited during start-up</h1>") != std::string::npos);
  CHECK(html.find("generic") == std::string::npos);
  CHECK(html.find("<script>alert(1)") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("<span class=\"ansi-fg1\">SyntaxError") != std::string::npos);
  CHECK(html.find("python3 app.py &lt;x&gt;") != std::string::npos);
  CHECK(html.find("/__liveproxy/client.js") != std::string::npos);
  CHECK(html.find("{{") == std::string::npos);
  // No error recognised: no frames and no place.
  CHECK(html.find("<section class=\"frames\" hidden>") != std::string::npos);
  CHECK(html.find("<p class=\"where\" hidden>") != std::string::npos);

  const auto text = render_error_text(info);
  CHECK(text.find("The app exited during start-up") != std::string::npos);
  CHECK(text.find("\x1b") == std::string::npos);
}

TEST_CASE("the error page leads with the error, the user's frame first with its source, libraries folded",
          "[unit][crash]") {
  error_info info;
  info.status = 502;
  info.title = "The app is not running";
  info.cause_title = "The app exited during start-up";
  info.cause = "It exited with status 1.";
  info.crash.headline = "SyntaxError: '(' was never closed";
  const crash_frame user{"/srv/site/mysite/settings.py", 26, 0, "", true};
  const crash_frame lib{"/usr/lib/python3/dist-packages/django/conf/__init__.py", 71, 0, "_setup", false};
  info.crash.frames = {user, lib};
  info.crash.where = user;
  info.crash.pointer = {"    DEBUG = (True", "            ^"};
  info.shown_files = {"mysite/settings.py", "/usr/lib/python3/dist-packages/django/conf/__init__.py"};
  info.excerpts = {{0, 24, {"# SECURITY WARNING", "", "DEBUG = (True <b>", "", "ALLOWED_HOSTS = []"}}};
  info.editor = "editor";
  const auto html = render_error_html(info, "");
  CHECK(html.find("<h1>SyntaxError: &#39;(&#39; was never closed</h1>") != std::string::npos);
  // Where, as a link the page's script opens (frame 0 of the crash), before how the app ended.
  const auto where = html.find("<p class=\"where\"><a class=\"open\" href=\"#\" data-frame=\"0\" "
                               "data-where=\"mysite/settings.py:26\">mysite/settings.py:26</a>");
  CHECK(where != std::string::npos);
  CHECK(where < html.find("The app exited during start-up. It exited with status 1."));
  // The failing line marked, escaped, with the caret under it; the user's frame before the folded library one.
  CHECK(html.find("<mark><span class=\"ln\">26</span>DEBUG = (True &lt;b&gt;</mark>") != std::string::npos);
  CHECK(html.find("<span class=\"caret\"><span class=\"ln\"></span>        ^</span>") != std::string::npos);
  const auto folded = html.find("<details class=\"lib\"><summary>1 library frame</summary>");
  CHECK(folded != std::string::npos);
  CHECK(folded > html.find("<mark>"));
  CHECK(html.find("data-frame=\"1\"") > folded);
  CHECK(html.find("data-editor=\"editor\"") != std::string::npos);

  const auto text = render_error_text(info);
  CHECK(text.rfind("liveproxy: 502 SyntaxError: '(' was never closed (mysite/settings.py:26)\n", 0) == 0);
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
  for (auto at = html.find("data-token="); at != std::string::npos; at = html.find("data-token=", at + 1)) ++tags;
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
  for (auto at = html.find("data-token="); at != std::string::npos; at = html.find("data-token=", at + 1)) ++tags;
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
