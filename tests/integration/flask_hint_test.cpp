// Flask outside debug mode caches its templates: after a template edit liveproxy says what to do, once, unless
// the app reads templates again anyway (TEMPLATES_AUTO_RELOAD, as examples/flask sets it).
#include "support/http_client.hpp"
#include "support/liveproxy_process.hpp"
#include "support/temp_dir.hpp"
#include "support/text_count.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

using namespace liveproxy::test;
using namespace std::chrono_literals;

TEST_CASE("a Flask app without debug mode gets the template hint - unless it sets TEMPLATES_AUTO_RELOAD",
          "[integration][presets]") {
  const bool auto_reload = GENERATE(false, true);
  INFO("TEMPLATES_AUTO_RELOAD set: " << auto_reload);
  temp_dir dir("liveproxy-flask-hint");
  std::filesystem::create_directories(dir / "templates");
  std::ofstream(dir / "templates/index.html") << "<html><head></head><body>one</body></html>\n";
  std::ofstream(dir / "app.py") << "import os\nfrom flask import Flask, render_template\napp = Flask(__name__)\n"
                                << (auto_reload ? "app.config['TEMPLATES_AUTO_RELOAD'] = True\n" : "")
                                << "@app.route('/')\ndef index():\n    return render_template('index.html')\n"
                                << "app.run(host='127.0.0.1', port=int(os.environ['PORT']))\n";
  liveproxy_process proxy({"--port", "0", "--", "/usr/bin/python3", "app.py"}, process_options{dir.path(), {}, ""},
                          20s);
  REQUIRE(wait_until([&] { return http_get(proxy.port(), "/", {}, 5s).body.find("one") != std::string::npos; }, 20s));
  const auto mark = proxy.proc().output().size();
  std::ofstream(dir / "templates/index.html") << "<html><head></head><body>two</body></html>\n";
  REQUIRE(proxy.proc().wait_for_output("templates/index.html \xe2\x86\x92 page", 10s, mark));
  // The hint comes with the change's line or not at all.
  const auto out = proxy.proc().output();
  INFO(out);
  CHECK((count_of(out, "Flask caches templates outside debug mode") == 1) == !auto_reload);
}
