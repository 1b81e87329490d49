// CSP rewriting: our script and socket get in; nothing else of the app's policy changes.
#include "proxy/browser/csp_policy.hpp"

#include <catch2/catch.hpp>

using liveproxy::allow_liveproxy;
using liveproxy::csp_targets;

namespace {

const csp_targets targets{"localhost:3000/__liveproxy/client.js",
                          "ws://localhost:3000/__liveproxy/ws wss://localhost:3000/__liveproxy/ws"};

std::string rewrite(std::string_view policy, std::string& nonce) { return allow_liveproxy(policy, targets, nonce, "FRESH"); }

}  // namespace

TEST_CASE("'self' policies already allow us and stay as they are", "[unit][csp]") {
  std::string nonce;
  CHECK(rewrite("default-src 'self'; img-src *", nonce) == "default-src 'self'; img-src *");
  CHECK(nonce.empty());
  CHECK(rewrite("script-src 'self' 'unsafe-inline'; connect-src 'self'", nonce) ==
        "script-src 'self' 'unsafe-inline'; connect-src 'self'");
}

TEST_CASE("a page nonce is reused for our tag", "[unit][csp]") {
  std::string nonce;
  const std::string policy = "default-src 'none'; script-src 'nonce-abc123' 'strict-dynamic'; connect-src 'self'";
  CHECK(rewrite(policy, nonce) == policy);
  CHECK(nonce == "abc123");
}

TEST_CASE("hash-only and strict-dynamic policies get a nonce of ours", "[unit][csp]") {
  std::string nonce;
  CHECK(rewrite("script-src 'sha256-AAAA'", nonce) == "script-src 'sha256-AAAA' 'nonce-FRESH'");
  CHECK(nonce == "FRESH");
  nonce.clear();
  CHECK(rewrite("script-src 'self' 'strict-dynamic' 'sha256-B'", nonce) ==
        "script-src 'self' 'strict-dynamic' 'sha256-B' 'nonce-FRESH'");
}

TEST_CASE("host lists get exactly our script and socket URLs - 'unsafe-inline' keeps working", "[unit][csp]") {
  std::string nonce;
  CHECK(rewrite("script-src cdn.example 'unsafe-inline'; connect-src api.example", nonce) ==
        "script-src cdn.example 'unsafe-inline' localhost:3000/__liveproxy/client.js; connect-src api.example "
        "ws://localhost:3000/__liveproxy/ws wss://localhost:3000/__liveproxy/ws");
  CHECK(nonce.empty());
}

TEST_CASE("default-src 'none' is widened only for scripts and our socket", "[unit][csp]") {
  std::string nonce;
  CHECK(rewrite("default-src 'none'", nonce) ==
        "default-src 'none'; script-src localhost:3000/__liveproxy/client.js; connect-src "
        "ws://localhost:3000/__liveproxy/ws wss://localhost:3000/__liveproxy/ws");
}

TEST_CASE("several policies in one header are each adjusted", "[unit][csp]") {
  std::string nonce;
  CHECK(rewrite("script-src 'self', script-src 'nonce-n1'", nonce) == "script-src 'self', script-src 'nonce-n1'");
  CHECK(nonce == "n1");
}

// Found by tests/fuzz/csp_policy_fuzz.cpp, which judges each policy as a browser does.
TEST_CASE("nonces compare case-sensitively - malformed nonce and hash sources count for nothing", "[unit][csp]") {
  // A nonce chosen by an earlier policy: 'nonce-abc' does not carry "ABC", so ours is added.
  std::string nonce = "ABC";
  CHECK(rewrite("script-src 'nonce-abc'", nonce) == "script-src 'nonce-abc' 'nonce-ABC'");
  // Not base64: a browser ignores the source, so its text must not become our tag's nonce...
  nonce.clear();
  CHECK(rewrite("script-src 'nonce-a\"b' 'unsafe-inline'", nonce) ==
        "script-src 'nonce-a\"b' 'unsafe-inline' localhost:3000/__liveproxy/client.js");
  CHECK(nonce.empty());
  // ...and a malformed hash does not make nonces rule: adding one would switch 'unsafe-inline' off.
  CHECK(rewrite("script-src 'sha256-!!' 'unsafe-inline'", nonce) ==
        "script-src 'sha256-!!' 'unsafe-inline' localhost:3000/__liveproxy/client.js");
  CHECK(nonce.empty());
}
