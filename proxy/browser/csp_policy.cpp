// CSP rewriting: parse policies -> directives -> source lists, adjust the effective script and connect lists.
#include "proxy/browser/csp_policy.hpp"
#include "proxy/base/text.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cctype>
#include <vector>

namespace liveproxy {
namespace {

struct directive {
  std::string name;  ///< lower-case
  std::vector<std::string> sources;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    auto end = s.find(sep, pos);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::vector<directive> parse_policy(std::string_view policy) {
  std::vector<directive> out;
  for (auto part : split(policy, ';')) {
    part = trim(part);
    if (part.empty()) continue;
    directive d;
    std::size_t pos = 0;
    bool first = true;
    while (pos < part.size()) {
      while (pos < part.size() && (part[pos] == ' ' || part[pos] == '\t')) ++pos;
      auto end = part.find_first_of(" \t", pos);
      if (end == std::string_view::npos) end = part.size();
      if (end > pos) {
        std::string token(part.substr(pos, end - pos));
        if (first) {
          d.name = lower_ascii(token);
          first = false;
        } else {
          d.sources.push_back(std::move(token));
        }
      }
      pos = end;
    }
    // A repeated directive is ignored by browsers: keep only the first.
    if (std::none_of(out.begin(), out.end(), [&](const directive& x) { return x.name == d.name; }))
      out.push_back(std::move(d));
  }
  return out;
}

std::string serialize(const std::vector<directive>& policy) {
  std::string out;
  for (const auto& d : policy) {
    if (!out.empty()) out += "; ";
    out += d.name;
    for (const auto& s : d.sources) out += " " + s;
  }
  return out;
}

bool has(const directive& d, std::string_view source) {
  return std::any_of(d.sources.begin(), d.sources.end(), [&](const std::string& s) { return beast::iequals(s, source); });
}

bool starts_with_i(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && beast::iequals(s.substr(0, prefix.size()), prefix);
}

/// base64-value of CSP3 (what a nonce or a hash is): 1*( ALPHA / DIGIT / "+" / "/" / "-" / "_" ) *2"=".
bool base64_value(std::string_view v) {
  std::size_t n = 0;
  while (n < v.size() && (std::isalnum(static_cast<unsigned char>(v[n])) || v[n] == '+' || v[n] == '/' || v[n] == '-' ||
                          v[n] == '_'))
    ++n;
  const std::size_t padding = v.size() - n;
  return n > 0 && padding <= 2 && v.substr(n) == std::string_view("==").substr(0, padding);
}

/// The nonce of a nonce-source ("'nonce-" base64-value "'", the keyword in any case), or "". A browser ignores
/// a malformed one, so reusing its text for our tag would leave our script blocked.
std::string_view nonce_of(std::string_view source) {
  if (source.size() < 9 || !starts_with_i(source, "'nonce-") || source.back() != '\'') return {};
  const auto value = source.substr(7, source.size() - 8);
  return base64_value(value) ? value : std::string_view{};
}

/// True for a well-formed hash-source ("'sha256-" base64-value "'"): a browser ignores a malformed one, so it
/// does not make the directive one where nonces and hashes rule.
bool is_hash_source(std::string_view source) {
  for (const std::string_view algorithm : {"'sha256-", "'sha384-", "'sha512-"})
    if (source.size() > algorithm.size() + 1 && starts_with_i(source, algorithm) && source.back() == '\'')
      return base64_value(source.substr(algorithm.size(), source.size() - algorithm.size() - 1));
  return false;
}

/// Does the directive carry this nonce? Nonces compare case-sensitively, unlike the rest of a policy.
bool has_nonce(const directive& d, std::string_view nonce) {
  return std::any_of(d.sources.begin(), d.sources.end(), [&](const std::string& s) { return nonce_of(s) == nonce; });
}

/// Index of the directive that governs a kind of fetch (the first of `chain` present), or -1: anything goes.
int effective(const std::vector<directive>& policy, std::initializer_list<std::string_view> chain) {
  for (auto name : chain)
    for (std::size_t i = 0; i < policy.size(); ++i)
      if (policy[i].name == name) return static_cast<int>(i);
  return -1;
}

/// The directive to widen: default-src is copied into its own directive first, so nothing else widens.
directive& writable(std::vector<directive>& policy, int index, std::string_view create_as) {
  if (policy[index].name != "default-src") return policy[index];
  policy.push_back(directive{std::string(create_as), policy[index].sources});
  return policy.back();
}

void add_source(directive& d, std::string_view source) {
  // 'none' alone means nothing; with another source it would be ignored with a console warning.
  d.sources.erase(std::remove_if(d.sources.begin(), d.sources.end(),
                                 [](const std::string& s) { return beast::iequals(s, "'none'"); }),
                  d.sources.end());
  for (auto s : split(source, ' '))
    if (!s.empty()) d.sources.emplace_back(s);
}

std::string adjust(std::string_view policy_text, const csp_targets& t, std::string& nonce, std::string_view fresh_nonce) {
  auto policy = parse_policy(policy_text);
  if (const int si = effective(policy, {"script-src-elem", "script-src", "default-src"}); si >= 0) {
    const directive& script = policy[si];
    const bool strict_dynamic = has(script, "'strict-dynamic'");
    bool nonce_or_hash = false;
    std::string existing_nonce;
    for (const auto& s : script.sources) {
      if (const auto n = nonce_of(s); !n.empty()) {
        nonce_or_hash = true;
        if (existing_nonce.empty()) existing_nonce = n;
      }
      if (is_hash_source(s)) nonce_or_hash = true;
    }
    if (nonce.empty() && !existing_nonce.empty()) nonce = existing_nonce;
    const bool allowed = (!nonce.empty() && has_nonce(script, nonce)) ||
                         (!strict_dynamic && (has(script, "'self'") || has(script, "*") || has(script, "http:")));
    if (!allowed) {
      if (nonce_or_hash || strict_dynamic) {
        if (nonce.empty()) nonce = std::string(fresh_nonce);
        add_source(writable(policy, si, "script-src"), "'nonce-" + nonce + "'");
      } else {
        add_source(writable(policy, si, "script-src"), t.script_source);
      }
    }
  }
  if (const int ci = effective(policy, {"connect-src", "default-src"}); ci >= 0) {
    const directive& connect = policy[ci];
    const bool allowed = has(connect, "'self'") || has(connect, "ws:") || has(connect, "*");
    if (!allowed) add_source(writable(policy, ci, "connect-src"), t.socket_sources);
  }
  return serialize(policy);
}

}  // namespace

std::string allow_liveproxy(std::string_view header_value, const csp_targets& targets, std::string& nonce,
                            std::string_view fresh_nonce) {
  // One header may carry several policies separated by commas; each is enforced on its own.
  std::string out;
  for (auto policy : split(header_value, ',')) {
    policy = trim(policy);
    if (policy.empty()) continue;
    if (!out.empty()) out += ", ";
    out += adjust(policy, targets, nonce, fresh_nonce);
  }
  return out;
}

}  // namespace liveproxy
