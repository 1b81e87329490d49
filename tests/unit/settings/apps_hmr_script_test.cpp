// A front-end dev server behind `npm run dev`: recognised by the package.json script the command runs.
#include "proxy/settings/apps.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace liveproxy;
using liveproxy::test::temp_dir;
using liveproxy::test::write_file;
using strings = std::vector<std::string>;

TEST_CASE("apps: npm run dev, yarn dev and npm start are dev servers when their script is one", "[unit][fs]") {
  temp_dir dir("liveproxy-hmr-script");
  write_file(dir / "package.json", R"({"scripts": {"dev": "vite --port $PORT", "start": "next dev -p $PORT",
                                       "api": "node server.js", "build": "vite build"}})");
  CHECK(is_hmr_app({"npm", "run", "dev"}, dir.path()));
  CHECK(is_hmr_app({"yarn", "dev"}, dir.path()));
  CHECK(is_hmr_app({"pnpm", "run", "dev"}, dir.path()));
  CHECK(is_hmr_app({"npm", "start"}, dir.path()));
  CHECK_FALSE(is_hmr_app({"npm", "run", "api"}, dir.path()));
  CHECK_FALSE(is_hmr_app({"npm", "run", "build"}, dir.path()));
  CHECK_FALSE(is_hmr_app({"npm", "run", "missing"}, dir.path()));
  // The command itself still counts, with or without a package.json.
  CHECK(is_hmr_app({"npx", "vite"}, dir.path()));
  temp_dir empty("liveproxy-hmr-none");
  CHECK_FALSE(is_hmr_app({"npm", "run", "dev"}, empty.path()));
  write_file(empty / "package.json", "{not json");
  CHECK_FALSE(is_hmr_app({"npm", "run", "dev"}, empty.path()));
}
