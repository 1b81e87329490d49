// allow_liveproxy: for any Content-Security-Policy value, every policy it returns lets our tag's script and our
// socket through (judged as a browser reads the policy, CSP Level 3), and each policy is the app's own with
// sources only added. Input: one byte of options, then the header value.
#include "proxy/browser/csp_policy.hpp"

#include "fuzz/fuzz_input.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

using liveproxy::allow_liveproxy;
using liveproxy::csp_targets;

namespace {

const csp_targets targets{"localhost:3000/__liveproxy/client.js",
                          "ws://localhost:3000/__liveproxy/ws wss://localhost:3000/__liveproxy/ws"};
constexpr std::string_view fresh = "FRESHnonce0";

struct directive {
  std::string name;
  std::vector<std::string_view> sources;
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const auto start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

/// A policy as a browser parses it: directives in order, a repeated one ignored.
std::vector<directive> parse(std::string_view policy) {
  std::vector<directive> out;
  for (const auto part : split(policy, ';')) {
    const auto w = words(part);
    if (w.empty()) continue;
    directive d{std::string(w[0]), {w.begin() + 1, w.end()}};
    std::transform(d.name.begin(), d.name.end(), d.name.begin(), [](unsigned char c) { return std::tolower(c); });
    if (std::none_of(out.begin(), out.end(), [&](const directive& x) { return x.name == d.name; }))
      out.push_back(std::move(d));
  }
  return out;
}

const directive* governing(const std::vector<directive>& policy, std::initializer_list<std::string_view> chain) {
  for (const auto name : chain)
    for (const auto& d : policy)
      if (d.name == name) return &d;
  return nullptr;
}

bool lists(const directive& d, std::string_view source) {
  return std::any_of(d.sources.begin(), d.sources.end(), [&](std::string_view s) { return iequals(s, source); });
}

/// A nonce or hash as CSP3 writes it: 1*( ALPHA / DIGIT / "+" / "/" / "-" / "_" ) then at most two '='.
bool base64_value(std::string_view v) {
  const auto end = v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_");
  const auto body = end == std::string_view::npos ? v.size() : end;
  const auto rest = v.substr(body);
  return body > 0 && (rest.empty() || rest == "=" || rest == "==");
}

/// The value of a well-formed source with this keyword prefix ("'nonce-", "'sha256-"...), or "".
std::string_view keyed_value(std::string_view s, std::string_view prefix) {
  if (s.size() <= prefix.size() + 1 || !iequals(s.substr(0, prefix.size()), prefix) || s.back() != '\'') return {};
  const auto value = s.substr(prefix.size(), s.size() - prefix.size() - 1);
  return base64_value(value) ? value : std::string_view{};
}

/// The keyword part of a nonce source is case-insensitive, the nonce itself is not; a malformed one is ignored.
bool lists_nonce(const directive& d, std::string_view nonce) {
  return !nonce.empty() && std::any_of(d.sources.begin(), d.sources.end(),
                                       [&](std::string_view s) { return keyed_value(s, "'nonce-") == nonce; });
}

/// Nonces or hashes in a directive switch 'unsafe-inline' off in a browser.
bool nonces_or_hashes_rule(const directive& d) {
  return std::any_of(d.sources.begin(), d.sources.end(), [](std::string_view s) {
    return !keyed_value(s, "'nonce-").empty() || !keyed_value(s, "'sha256-").empty() ||
           !keyed_value(s, "'sha384-").empty() || !keyed_value(s, "'sha512-").empty() || iequals(s, "'strict-dynamic'");
  });
}

bool script_allowed(const std::vector<directive>& policy, std::string_view nonce) {
  const directive* d = governing(policy, {"script-src-elem", "script-src", "default-src"});
  if (!d || lists_nonce(*d, nonce)) return true;
  // 'strict-dynamic' makes a browser ignore host sources and 'self'.
  if (lists(*d, "'strict-dynamic'")) return false;
  return lists(*d, "'self'") || lists(*d, "*") || lists(*d, "http:") || lists(*d, targets.script_source);
}

bool socket_allowed(const std::vector<directive>& policy) {
  const directive* d = governing(policy, {"connect-src", "default-src"});
  if (!d || lists(*d, "'self'") || lists(*d, "*") || lists(*d, "ws:")) return true;
  const auto ours = words(targets.socket_sources);
  return std::all_of(ours.begin(), ours.end(), [&](std::string_view s) { return lists(*d, s); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// One policy alone: allowed through, and changed only by added sources ('none' dropped where one is added)
/// and by a script-src or connect-src copied from default-src at the end.
void check_one(std::string_view policy) {
  std::string nonce;
  const std::string out = allow_liveproxy(policy, targets, nonce, fresh);
  const auto before = parse(policy);
  const auto after = parse(out);
  FUZZ_CHECK(script_allowed(after, nonce));
  FUZZ_CHECK(socket_allowed(after));
  // The page's inline scripts keep working: a nonce is added only where nonces or hashes already rule.
  const directive* was = governing(before, {"script-src-elem", "script-src", "default-src"});
  if (was && !nonces_or_hashes_rule(*was))
    FUZZ_CHECK(!nonces_or_hashes_rule(*governing(after, {"script-src-elem", "script-src", "default-src"})));
  FUZZ_CHECK(after.size() >= before.size() && after.size() <= before.size() + 2);
  for (std::size_t i = 0; i < before.size(); ++i) {
    FUZZ_CHECK(after[i].name == before[i].name);
    if (after[i].sources == before[i].sources) continue;
    // Widened: the app's sources in their order, then ours.
    std::vector<std::string_view> kept;
    for (const auto s : before[i].sources)
      if (!iequals(s, "'none'")) kept.push_back(s);
    FUZZ_CHECK(after[i].sources.size() > kept.size());
    FUZZ_CHECK(std::equal(kept.begin(), kept.end(), after[i].sources.begin()));
  }
  for (std::size_t i = before.size(); i < after.size(); ++i) {
    FUZZ_CHECK(after[i].name == "script-src" || after[i].name == "connect-src");
    FUZZ_CHECK(governing(before, {"default-src"}) != nullptr);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  liveproxy::fuzz::input in(data, size);
  const auto options = in.byte();
  const std::string_view value = in.rest();
  // What an HTTP parser lets through as a field value: no control characters but tab.
  if (std::any_of(value.begin(), value.end(), [](char c) { return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f; }))
    return 0;

  for (const auto policy : split(value, ','))
    if (!trim(policy).empty()) check_one(trim(policy));

  // The whole value (several policies share one nonce), maybe after another field already chose the nonce.
  std::string nonce = options & 1 ? "EARLIERnonce" : "";
  const std::string before_nonce = nonce;
  const std::string out = allow_liveproxy(value, targets, nonce, fresh);
  FUZZ_CHECK(before_nonce.empty() || nonce == before_nonce);
  // No new characters: nothing that could end the header line or start a new field.
  for (const char c : out)
    FUZZ_CHECK(value.find(c) != std::string_view::npos || (c >= 0x20 && c < 0x7f));
  for (const auto policy : split(out, ','))
    if (!trim(policy).empty()) {
      const auto p = parse(policy);
      FUZZ_CHECK(script_allowed(p, nonce));
      FUZZ_CHECK(socket_allowed(p));
    }
  return 0;
}
