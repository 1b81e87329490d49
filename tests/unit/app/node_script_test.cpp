// Which package.json scripts liveproxy runs itself (without npm's start-up at every restart), and how.
#include "proxy/app/project_presets.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using liveproxy::direct_script_command;
using words = std::vector<std::string>;

TEST_CASE("a plain node script is run directly - a watcher's own watching is left out", "[unit][presets]") {
  CHECK(direct_script_command("node server.js") == words{"node", "server.js"});
  CHECK(direct_script_command("  node   src/index.js  --verbose ") == words{"node", "src/index.js", "--verbose"});
  CHECK(direct_script_command("node --watch server.js") == words{"node", "server.js"});
  CHECK(direct_script_command("node --enable-source-maps server.js") ==
        words{"node", "--enable-source-maps", "server.js"});
  CHECK(direct_script_command("nodemon server.js") == words{"node", "server.js"});
  CHECK(direct_script_command("tsx watch src/server.ts") == words{"tsx", "src/server.ts"});
  CHECK(direct_script_command("tsx src/server.ts") == words{"tsx", "src/server.ts"});
}

TEST_CASE("shell syntax, a watcher's options and other tools are left to npm", "[unit][presets]") {
  for (const char* script :
       {"node server.js && echo done", "NODE_ENV=development node server.js", "node $ENTRY", "node 'my server.js'",
        "node server.js | pino-pretty", "nodemon --watch src server.js", "nodemon", "vite", "next dev",
        "node --watch-path=src server.js", "tsx watch --clear-screen=false x.ts", "", "   ", "node",
        "concurrently \"a\" \"b\"", "node server.js > log.txt", "node *.js"}) {
    INFO(script);
    CHECK_FALSE(direct_script_command(script));
  }
}
