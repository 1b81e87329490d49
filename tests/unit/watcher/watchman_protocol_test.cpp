// watchman's protocol without a server: the commands we send are the JSON we mean, PDUs read right.
#include "watcher/ignore_rules.hpp"
#include "watcher/watchman_protocol.hpp"

#include <catch2/catch.hpp>

#include <simdjson.h>

#include <algorithm>
#include <string>
#include <vector>

namespace wm = liveproxy::watcher::watchman;
using liveproxy::watcher::ignore_rules;

namespace {

simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::element doc;
  REQUIRE_FALSE(parser.parse(text).get(doc));
  return doc;
}

std::string str(simdjson::dom::element e) {
  std::string_view v;
  REQUIRE_FALSE(e.get(v));
  return std::string(v);
}

}  // namespace

TEST_CASE("watchman subscribe command: files and symlinks minus excluded directories with our fields",
          "[unit][watcher]") {
  simdjson::dom::parser parser;
  const std::string cmd = wm::subscribe_command("/w/proj", "sub\"1", "src/app", {"node_modules", ".git"}, false);
  const auto doc = parse(parser, cmd);
  CHECK(str(doc.at(0)) == "subscribe");
  CHECK(str(doc.at(1)) == "/w/proj");
  CHECK(str(doc.at(2)) == "sub\"1");
  const auto q = doc.at(3);
  CHECK(str(q["relative_root"]) == "src/app");
  bool b = false;
  REQUIRE_FALSE(q["defer_vcs"].get(b));
  CHECK(b);
  REQUIRE_FALSE(q["empty_on_fresh_instance"].get(b));
  CHECK(b);
  CHECK(str(q["expression"].at(0)) == "allof");
  const auto excluded = q["expression"].at(2);
  CHECK(str(excluded.at(0)) == "not");
  CHECK(str(excluded.at(1).at(1).at(1)) == "**/node_modules/**");
  CHECK(str(excluded.at(1).at(2).at(1)) == "**/.git/**");
  simdjson::dom::array fields;
  REQUIRE_FALSE(q["fields"].get(fields));
  CHECK(fields.size() == 4);

  // Without a relative root or exclusions, neither appears; a returning root lists its files.
  const auto plain = parse(parser, wm::subscribe_command("/w", "s", "", {}, true));
  simdjson::dom::element unused;
  CHECK(plain.at(3)["relative_root"].get(unused) == simdjson::NO_SUCH_FIELD);
  simdjson::dom::array expr;
  REQUIRE_FALSE(plain.at(3)["expression"].get(expr));
  CHECK(expr.size() == 2);
  REQUIRE_FALSE(plain.at(3)["empty_on_fresh_instance"].get(b));
  CHECK_FALSE(b);
}

TEST_CASE("watchman commands escape paths as JSON strings", "[unit][watcher]") {
  simdjson::dom::parser parser;
  const std::string odd = "/tmp/a \"quoted\" \\ back\tslash\x01";
  CHECK(str(parse(parser, wm::watch_project_command(odd)).at(1)) == odd);
  CHECK(str(parse(parser, wm::gitignore_query(odd, "", {})).at(1)) == odd);
  const auto version = parse(parser, wm::version_command());
  simdjson::dom::array required;
  REQUIRE_FALSE(version.at(1)["required"].get(required));
  CHECK(required.size() == wm::required_capabilities().size());
}

TEST_CASE("directories left out on watchman's side are the plain default and --ignore ones nobody negates",
          "[unit][watcher]") {
  const auto& defaults = ignore_rules::default_patterns();
  const auto all = wm::excluded_dir_names(defaults, {"scratch/", "*.gen", "build/out/", "tmp*/"}, {});
  const auto has = [&](const std::vector<std::string>& v, const std::string& name) {
    return std::find(v.begin(), v.end(), name) != v.end();
  };
  CHECK(has(all, "node_modules"));
  CHECK(has(all, ".git"));
  CHECK(has(all, "__pycache__"));
  CHECK(has(all, "scratch"));
  // Not plain directory names: left to our own rules.
  CHECK_FALSE(has(all, "*.gen"));
  CHECK_FALSE(has(all, "build/out"));
  CHECK_FALSE(has(all, "tmp*"));
  CHECK(has(all, "media"));  // "media/" is a plain default directory too

  const auto negated = wm::excluded_dir_names(defaults, {"scratch/"}, {"node_modules/", "sub/venv", "!.v*"});
  CHECK_FALSE(has(negated, "node_modules"));
  CHECK_FALSE(has(negated, "venv"));
  CHECK_FALSE(has(negated, ".venv"));
  CHECK_FALSE(has(negated, ".vscode"));
  CHECK(has(negated, ".git"));
  CHECK(wm::excluded_dir_names(defaults, {}, {"**"}).empty());
}

// Found by tests/fuzz/ignore_rules_fuzz.cpp: the negation's last component was cut at a '/' inside a bracket
// expression, so watchman left out a directory our rules (and git's) re-include.
TEST_CASE("a negation with a '/' inside a bracket expression keeps every directory on watchman's side",
          "[unit][watcher]") {
  ignore_rules rules;
  rules.add_extra({"!*[s/x]"});
  REQUIRE_FALSE(rules.ignored("node_modules", true));  // one component: any name ending in 's', 'x' or '/'
  const auto names = wm::excluded_dir_names(ignore_rules::default_patterns(), {}, rules.negations());
  CHECK(std::find(names.begin(), names.end(), "node_modules") == names.end());
  // A bracket after the last '/' is still read as a component of its own.
  const auto after = wm::excluded_dir_names(ignore_rules::default_patterns(), {}, {"x/[ab]"});
  CHECK(std::find(after.begin(), after.end(), "node_modules") != after.end());
}

TEST_CASE("watchman PDUs: answers - subscription results - cancellation - errors", "[unit][watcher]") {
  simdjson::dom::parser parser;
  wm::pdu p;
  REQUIRE(wm::parse_pdu(parser, R"({"version":"4.9.0","watch":"/w","relative_path":"src"})", p).empty());
  CHECK_FALSE(p.unilateral);
  CHECK(p.watch == "/w");
  CHECK(p.relative_path == "src");

  REQUIRE(wm::parse_pdu(parser,
                        R"({"unilateral":true,"subscription":"s1","root":"/w","is_fresh_instance":false,"files":[)"
                        R"({"name":"a.py","exists":true,"new":true,"type":"f"},)"
                        R"({"name":"d/b.css","exists":false,"type":"f"},)"
                        R"({"name":"ln","exists":true,"type":"l"}]})",
                        p)
              .empty());
  CHECK(p.unilateral);
  CHECK(p.subscription == "s1");
  REQUIRE(p.files.size() == 3);
  CHECK(p.files[0].is_new);
  CHECK(p.files[1].name == "d/b.css");
  CHECK_FALSE(p.files[1].exists);
  CHECK_FALSE(p.files[1].is_new);
  CHECK(p.files[2].type == 'l');

  REQUIRE(wm::parse_pdu(parser, R"({"subscription":"s1","canceled":true,"unilateral":true})", p).empty());
  CHECK(p.canceled);
  CHECK(p.files.empty());

  REQUIRE(wm::parse_pdu(parser, R"({"files":["x/.gitignore",".gitignore"],"version":"4.9.0"})", p).empty());
  REQUIRE(p.files.size() == 2);
  CHECK(p.files[0].name == "x/.gitignore");

  REQUIRE(wm::parse_pdu(parser, R"({"version":"4.9.0","error":"client required capability `x` is not supported"})", p)
              .empty());
  CHECK(p.error.find("capability") != std::string::npos);
  CHECK_FALSE(p.has_capabilities);
  REQUIRE(wm::parse_pdu(parser, R"({"version":"4.9.0","capabilities":{"relative_root":true}})", p).empty());
  CHECK(p.has_capabilities);

  CHECK_FALSE(wm::parse_pdu(parser, "not json", p).empty());
  CHECK_FALSE(wm::parse_pdu(parser, "[1,2]", p).empty());
  CHECK_FALSE(wm::parse_pdu(parser, R"({"files":[{"exists":true}]})", p).empty());
}
