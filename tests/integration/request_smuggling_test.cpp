// Request framing and smuggling (issue 11, D1): CL.TE, TE.CL and TE.TE variants sent as raw bytes through the
// real liveproxy to a strict app (Node's llhttp) and a lenient one (hand-parsed raw socket, Python); the app must
// see exactly the requests the client meant, with framing liveproxy wrote itself, and the next client its own answer.
//
// The contract (RFC 9112 §6.1, §6.3): liveproxy decides a request's framing once, from its own parse.
//  - Transfer-Encoding whose final coding (all fields joined in order) is not chunked: 400, then close.
//  - Transfer-Encoding with chunked last but other codings too (also chunked twice): 400 or 501, then close.
//  - Transfer-Encoding together with Content-Length, in either order, with any values: 400, then close.
//  - Transfer-Encoding in an HTTP/1.0 request: 400.
//  - Content-Length not 1*DIGIT, or differing Content-Lengths: 400. "007", or 5 twice, frame 7 / 5 bytes.
//  - A field named almost like a framing field (Transfer_Encoding, "Transfer-Encoding : x") is refused (400) or
//    dropped; it never reaches the app.
//  - Forwarded bodies carry one framing field written by liveproxy: "Transfer-Encoding: chunked" or a canonical
//    Content-Length, never both, never the client's copied over.
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_site.hpp"
#include "support/wait.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;

namespace {

// ---------------------------------------------------------------------------------------------------------------
// The apps and what they saw.

/// The upstream app behind liveproxy: both parse every request they get and record it in STATE_DIR/requests.log.
enum class app_kind { strict_node, lenient_raw };

std::string app_name(app_kind app) { return app == app_kind::strict_node ? "node (strict)" : "raw python (lenient)"; }

/// One line of requests.log: a request the app read (REQ), one whose body never completed (PARTIAL), or bytes
/// its parser refused (ERROR; method holds the error, body the bytes).
struct seen_request {
  std::string kind;
  std::string method;
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> fields;  ///< as the app received them, in order
};

/// Bytes as C-style escapes, so CR, LF and the like show in failure messages.
std::string printable(std::string_view bytes) {
  std::string out;
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20 || c >= 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\x%02x", c);
      out += esc;
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

/// "x" followed by hex digits, as the apps write every value.
std::string unhex(std::string_view token) {
  std::string out;
  if (token.empty() || token.front() != 'x') return "<bad token " + std::string(token) + ">";
  token.remove_prefix(1);
  for (std::size_t i = 0; i + 1 < token.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(token.substr(i, 2)), nullptr, 16)));
  return out;
}

/// The complete lines of the app's log (a line still being written has no newline yet and is left out).
std::vector<seen_request> parse_log(const std::string& text) {
  std::vector<seen_request> out;
  std::size_t start = 0;
  for (auto end = text.find('\n'); end != std::string::npos; start = end + 1, end = text.find('\n', start)) {
    std::istringstream line(text.substr(start, end - start));
    std::vector<std::string> tokens;
    for (std::string t; line >> t;) tokens.push_back(t);
    if (tokens.empty()) continue;
    seen_request r;
    r.kind = tokens[0];
    if (r.kind == "ERROR") {
      r.method = tokens.size() > 1 ? unhex(tokens[1]) : "";
      r.body = tokens.size() > 2 ? unhex(tokens[2]) : "";
    } else if (tokens.size() >= 4) {
      r.method = unhex(tokens[1]);
      r.url = unhex(tokens[2]);
      r.body = unhex(tokens[3]);
      for (std::size_t i = 4; i < tokens.size(); ++i) {
        const auto eq = tokens[i].find('=');
        r.fields.emplace_back(unhex(tokens[i].substr(0, eq)), eq == std::string::npos ? "" : unhex(tokens[i].substr(eq + 1)));
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

/// One line per request, compared as a whole: kind, method, URL and the exact body.
std::string summary(const seen_request& r) {
  if (r.kind == "ERROR") return "ERROR " + r.method + " on bytes \"" + printable(r.body) + "\"";
  return r.kind + " " + r.method + " " + r.url + " body=\"" + printable(r.body) + "\"";
}

std::vector<std::string> summaries(const std::vector<seen_request>& log) {
  std::vector<std::string> out;
  for (const auto& r : log) out.push_back(summary(r));
  return out;
}

/// Everything the app saw, header fields included, for failure messages.
std::string describe(const std::vector<seen_request>& log) {
  if (log.empty()) return "the app saw nothing\n";
  std::string out;
  for (const auto& r : log) {
    out += "  " + summary(r) + "\n";
    for (const auto& [name, value] : r.fields) out += "      \"" + printable(name) + "\": \"" + printable(value) + "\"\n";
  }
  return out;
}

/// A name as a lenient server matches it: lower case, '_' as '-', spaces and tabs ignored.
std::string loose_name(std::string_view name) {
  std::string out;
  for (const char ch : name) {
    if (ch == ' ' || ch == '\t') continue;
    out.push_back(ch == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y)); });
}

/// What is wrong with the framing fields of a request the app received; empty if they are what liveproxy must
/// write: at most one field, exactly "Transfer-Encoding: chunked" or a canonical "Content-Length: <body size>",
/// and no field that a lenient parser would take for one of them.
std::vector<std::string> framing_problems(const seen_request& r) {
  std::vector<std::string> problems;
  int framing_fields = 0;
  for (const auto& [name, value] : r.fields) {
    const auto loose = loose_name(name);
    if (loose != "transfer-encoding" && loose != "content-length") continue;
    ++framing_fields;
    const auto field = "\"" + printable(name) + ": " + printable(value) + "\"";
    if (!iequals(name, loose)) {
      problems.push_back("look-alike framing field " + field + " reached the app");
    } else if (loose == "transfer-encoding" && value != "chunked") {
      problems.push_back(field + ": the only Transfer-Encoding liveproxy may write is \"chunked\"");
    } else if (loose == "content-length" && value != std::to_string(r.body.size())) {
      problems.push_back(field + " is not the body's size " + std::to_string(r.body.size()) + " written canonically");
    }
  }
  if (framing_fields > 1)
    problems.push_back(std::to_string(framing_fields) + " framing fields (Transfer-Encoding/Content-Length); at most one");
  if (framing_fields == 0 && !r.body.empty()) problems.push_back("a body without a framing field");
  return problems;
}

/// liveproxy in front of one of the two apps, with the app's log emptied of the fixture's own start-up request.
class framing_site {
 public:
  explicit framing_site(app_kind app) : site_(options(app)) { write_file(log_path(), ""); }

  unsigned short port() const { return site_.port(); }
  std::vector<seen_request> log() const { return parse_log(read_file(log_path())); }

 private:
  static site_options options(app_kind app) {
    site_options opts;
    if (app == app_kind::strict_node)
      opts.command = {"/usr/bin/node", "smuggle_node_app.js", "{port}"};
    else
      opts.command = {"/usr/bin/python3", "smuggle_raw_app.py", "{port}"};
    return opts;
  }
  std::filesystem::path log_path() const { return site_.state_dir() / "requests.log"; }

  test_site site_;
};

// ---------------------------------------------------------------------------------------------------------------
// The matrix.

/// What liveproxy must do with a case's bytes.
enum class verdict {
  reject_400,           ///< answer 400, close the connection; the app sees nothing
  reject_400_or_501,    ///< the same with 400 or 501 (a coding liveproxy does not implement)
  forward,              ///< the app sees exactly `requests`, each answered in order
  forward_or_reject,    ///< either forward (as above) or reject_400: both are safe
};

/// A request the client meant, as the app must see it.
struct intended {
  std::string method;
  std::string url;
  std::string body;
};

/// One row of the matrix: raw bytes a client sends on one connection, and what must come of them.
struct framing_case {
  std::string name;
  std::string bytes;
  verdict expect = verdict::reject_400;
  std::vector<intended> requests;  ///< for forward / forward_or_reject
};

const std::string host_field = "Host: 127.0.0.1\r\n";
/// The request an attacker hides in a body. "slow": the app answers it late, so its answer is still on the way
/// when liveproxy hands the pooled app connection to the next client.
const std::string smuggled = "GET /slow-smuggled HTTP/1.1\r\n" + host_field + "\r\n";
/// A chunked body that ends at once, followed by the smuggled request: what a back-end that de-chunks reads as
/// "empty body, then a second request", while one framing by Content-Length reads it as one body.
const std::string end_then_smuggled = "0\r\n\r\n" + smuggled;

std::string hex_size(std::size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%zx", n);
  return buf;
}

/// One chunk: size in hex, CRLF, data, CRLF.
std::string chunk(std::string_view data) { return hex_size(data.size()) + "\r\n" + std::string(data) + "\r\n"; }
const std::string last_chunk = "0\r\n\r\n";

/// A request with the given header fields (each ending in CRLF) after Host, then the body as given.
std::string request(std::string_view method, std::string_view url, std::string_view fields, std::string_view body = {},
                    std::string_view version = "HTTP/1.1") {
  return std::string(method) + " " + std::string(url) + " " + std::string(version) + "\r\n" + host_field +
         std::string(fields) + "\r\n" + std::string(body);
}

std::string post(std::string_view fields, std::string_view body) { return request("POST", "/innocent", fields, body); }
std::string content_length(std::string_view body) { return "Content-Length: " + std::to_string(body.size()) + "\r\n"; }

framing_case reject(std::string name, std::string bytes, verdict v = verdict::reject_400) {
  return {std::move(name), std::move(bytes), v, {}};
}
framing_case accept(std::string name, std::string bytes, std::vector<intended> requests, verdict v = verdict::forward) {
  return {std::move(name), std::move(bytes), v, std::move(requests)};
}
/// The usual intended request: POST /innocent with this body.
std::vector<intended> innocent(std::string body) { return {{"POST", "/innocent", std::move(body)}}; }

/// TE.TE: the value or the fields of Transfer-Encoding are bent so that parsers disagree on "is it chunked".
std::vector<framing_case> te_te_cases() {
  // A chunked body whose content, de-chunked, is "end of body, then a second request".
  const std::string nested = chunk(end_then_smuggled) + last_chunk;
  const std::string hello = chunk("hello") + last_chunk;
  return {
      reject("TE split over two fields, gzip then chunked (issue 11, literal bytes, Connection: close)",
             "POST /innocent HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"
             "Connection: close\r\n\r\n35\r\n0\r\n\r\nGET /slow-ATTACKER HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n\r\n0\r\n\r\n",
             verdict::reject_400_or_501),
      reject("TE split over two fields, gzip then chunked, keep-alive",
             post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", nested), verdict::reject_400_or_501),
      reject("TE: gzip, chunked in one field", post("Transfer-Encoding: gzip, chunked\r\n", nested),
             verdict::reject_400_or_501),
      reject("TE: identity, chunked in one field", post("Transfer-Encoding: identity, chunked\r\n", nested),
             verdict::reject_400_or_501),
      reject("TE: chunked twice in two fields", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", nested),
             verdict::reject_400_or_501),
      reject("TE: chunked, chunked in one field", post("Transfer-Encoding: chunked, chunked\r\n", nested),
             verdict::reject_400_or_501),
      reject("TE split over two fields, chunked then gzip (final coding gzip)",
             post("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", hello)),
      reject("TE: xchunked", post("Transfer-Encoding: xchunked\r\n", hello)),
      reject("TE: chunked, identity", post("Transfer-Encoding: chunked, identity\r\n", hello)),
      reject("TE: chunked;foo (a parameter)", post("Transfer-Encoding: chunked;foo\r\n", hello)),
      reject("TE: \"chunked\" (quoted)", post("Transfer-Encoding: \"chunked\"\r\n", hello)),
      reject("TE: empty value", post("Transfer-Encoding:\r\n", hello)),
      reject("TE: identity", post("Transfer-Encoding: identity\r\n", hello)),
      reject("TE: gzip alone", post("Transfer-Encoding: gzip\r\n", hello)),
      reject("TE: vertical tab before chunked", post("Transfer-Encoding:\x0b" "chunked\r\n", hello)),
      reject("TE: identity folded onto a second line before chunked (obs-fold)",
             post("Transfer-Encoding: identity\r\n chunked\r\n", hello)),
      reject("TE: chunked in an HTTP/1.0 request",
             request("POST", "/innocent", "Transfer-Encoding: chunked\r\n", hello, "HTTP/1.0")),
      accept("TE: the value alone on a folded line (obs-fold): refused, or unfolded to chunked",
             post("Transfer-Encoding:\r\n chunked\r\n", hello), innocent("hello"), verdict::forward_or_reject),
      accept("TE: Chunked (coding names are case-insensitive): refused, or framed as chunked",
             post("Transfer-Encoding: Chunked\r\n", hello), innocent("hello"), verdict::forward_or_reject),
  };
}

/// CL.TE and TE.CL: both framing fields at once, each parser picking a different one.
std::vector<framing_case> cl_te_cases() {
  // TE.CL: by Content-Length the body is only the chunk-size line; the chunk's data is the smuggled request.
  const std::string size_line = hex_size(smuggled.size()) + "\r\n";
  const std::string te_cl_body = size_line + smuggled + "\r\n" + last_chunk;
  return {
      reject("CL.TE: Content-Length then Transfer-Encoding: chunked",
             post(content_length(end_then_smuggled) + "Transfer-Encoding: chunked\r\n", end_then_smuggled)),
      reject("TE.CL: Transfer-Encoding: chunked then Content-Length",
             post("Transfer-Encoding: chunked\r\n" + content_length(size_line), te_cl_body)),
      reject("TE: chunked, identity with Content-Length (issue 11)",
             post("Transfer-Encoding: chunked, identity\r\n" + content_length(end_then_smuggled), end_then_smuggled)),
      reject("TE: xchunked then Content-Length",
             post("Transfer-Encoding: xchunked\r\n" + content_length(end_then_smuggled), end_then_smuggled)),
      reject("Content-Length then TE: xchunked",
             post(content_length(end_then_smuggled) + "Transfer-Encoding: xchunked\r\n", end_then_smuggled)),
      reject("TE: identity with Content-Length", post("Transfer-Encoding: identity\r\nContent-Length: 5\r\n", "hello")),
      reject("TE: gzip then TE: chunked, then Content-Length",
             post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n" + content_length(end_then_smuggled),
                  end_then_smuggled)),
      reject("Content-Length: 0 then Transfer-Encoding: chunked (body de-chunks to a request)",
             post("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", chunk(smuggled) + last_chunk)),
  };
}

/// Content-Length values: 1*DIGIT only, several fields only if equal; the app gets the value normalized.
std::vector<framing_case> content_length_cases() {
  return {
      reject("CL: +5", post("Content-Length: +5\r\n", "hello")),
      reject("CL: -1", post("Content-Length: -1\r\n", "hello")),
      reject("CL: 5 5", post("Content-Length: 5 5\r\n", "hello")),
      reject("CL: 0x5", post("Content-Length: 0x5\r\n", "hello")),
      reject("CL: 5,6", post("Content-Length: 5,6\r\n", "hello!")),
      reject("CL: empty", post("Content-Length:\r\n", "hello")),
      reject("CL: 0 and CL: N in two fields (CL.CL; a lenient app takes the first)",
             post("Content-Length: 0\r\n" + content_length(smuggled), smuggled)),
      reject("CL: 5 and CL: 6 in two fields", post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!")),
      accept("CL: 007 (leading zeros) frames 7 bytes, sent on as Content-Length: 7",
             post("Content-Length: 007\r\n", "hello12"), innocent("hello12")),
      accept("CL: 5 in two identical fields frames 5 bytes, sent on as one field",
             post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), innocent("hello")),
      accept("CL: 5, 5 (a list of one value): refused, or sent on as Content-Length: 5",
             post("Content-Length: 5, 5\r\n", "hello"), innocent("hello"), verdict::forward_or_reject),
      accept("CL: spaces around the value", post("Content-Length:  5 \r\n", "hello"), innocent("hello")),
      accept("CL: tabs around the value", post("Content-Length:\t5\t\r\n", "hello"), innocent("hello")),
  };
}

/// Field names that look like framing fields but are not; a lenient parser honours them.
std::vector<framing_case> look_alike_cases() {
  const auto by_length = [](std::string decoy) {
    return post(decoy + content_length(end_then_smuggled), end_then_smuggled);
  };
  return {
      accept("Transfer_Encoding: chunked next to a real Content-Length", by_length("Transfer_Encoding: chunked\r\n"),
             innocent(end_then_smuggled), verdict::forward_or_reject),
      accept("Content_Length: 0 before the real Content-Length",
             post("Content_Length: 0\r\n" + content_length(smuggled), smuggled), innocent(smuggled),
             verdict::forward_or_reject),
      accept("\"Transfer-Encoding : chunked\" (space before the colon)", by_length("Transfer-Encoding : chunked\r\n"),
             innocent(end_then_smuggled), verdict::forward_or_reject),
      accept("\"Transfer-Encoding\\t: chunked\" (tab before the colon)", by_length("Transfer-Encoding\t: chunked\r\n"),
             innocent(end_then_smuggled), verdict::forward_or_reject),
      accept("\" Transfer-Encoding: chunked\" as the first field line (leading space)",
             "POST /innocent HTTP/1.1\r\n Transfer-Encoding: chunked\r\n" + host_field + content_length(end_then_smuggled) +
                 "\r\n" + end_then_smuggled,
             innocent(end_then_smuggled), verdict::forward_or_reject),
      accept("\" Transfer-Encoding: chunked\" folded onto X-Pad (obs-fold)", by_length("X-Pad: 1\r\n Transfer-Encoding: chunked\r\n"),
             innocent(end_then_smuggled), verdict::forward_or_reject),
  };
}

/// Valid framing written in unusual but legal ways: one request each, the exact body, framing by liveproxy.
std::vector<framing_case> valid_cases() {
  const std::string hello = chunk("hello") + last_chunk;
  const std::string thirty_one(31, 'q');
  return {
      accept("chunked", post("Transfer-Encoding: chunked\r\n", hello), innocent("hello")),
      accept("TE: a tab before chunked", post("Transfer-Encoding:\tchunked\r\n", hello), innocent("hello")),
      accept("TE: a space after chunked", post("Transfer-Encoding: chunked \r\n", hello), innocent("hello")),
      accept("TRANSFER-ENCODING in upper case", post("TRANSFER-ENCODING: chunked\r\n", hello), innocent("hello")),
      accept("chunk extensions", post("Transfer-Encoding: chunked\r\n", "5;name=value\r\nhello\r\n6;x\r\n world\r\n0\r\n\r\n"),
             innocent("hello world")),
      accept("a trailer field", post("Transfer-Encoding: chunked\r\n", chunk("hello") + "0\r\nX-Trailer: t\r\n\r\n"),
             innocent("hello")),
      accept("upper-case hex sizes and leading zeros",
             post("Transfer-Encoding: chunked\r\n", "A\r\n0123456789\r\n001F\r\n" + thirty_one + "\r\n0\r\n\r\n"),
             innocent("0123456789" + thirty_one)),
      accept("a chunked body that reads like a request is one body",
             post("Transfer-Encoding: chunked\r\n", chunk(end_then_smuggled) + last_chunk), innocent(end_then_smuggled)),
      accept("a Content-Length body that reads like a request is one body", post(content_length(end_then_smuggled), end_then_smuggled),
             innocent(end_then_smuggled)),
      accept("two pipelined chunked requests",
             request("POST", "/first", "Transfer-Encoding: chunked\r\n", hello) +
                 request("POST", "/second", "Transfer-Encoding: chunked\r\n", chunk("world") + last_chunk),
             {{"POST", "/first", "hello"}, {"POST", "/second", "world"}}),
      accept("a Content-Length request, then a GET, pipelined",
             request("POST", "/first", "Content-Length: 5\r\n", "hello") + request("GET", "/second", ""),
             {{"POST", "/first", "hello"}, {"GET", "/second", ""}}),
      accept("HTTP/1.0 with Content-Length", request("POST", "/innocent", "Content-Length: 5\r\n", "hello", "HTTP/1.0"),
             innocent("hello")),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Running one case.

/// How long a client waits for an answer or for the close: past the apps' 2 s body timeout, so a request that
/// left the app waiting for a body is in the app's log (as PARTIAL) by the time the test reads it.
constexpr auto client_timeout = 4s;

std::string describe_response(const http_response& res) {
  if (!res.ok()) return "no response (" + res.error + ")";
  return std::to_string(res.status) + " \"" + printable(res.body) + "\"";
}

/// Reads what follows a refusal; returns the bytes and whether the connection was closed (read_until_close
/// also returns at the timeout: only an end well before it is a close).
std::pair<std::string, bool> rest_until_close(http_client& client) {
  const auto started = std::chrono::steady_clock::now();
  auto rest = client.read_until_close();
  const bool closed = std::chrono::steady_clock::now() - started < client_timeout - 500ms;
  return {std::move(rest), closed};
}

void run_case(app_kind app, const framing_case& c) {
  framing_site site(app);
  INFO("app: " << app_name(app));
  INFO("client sends: \"" << printable(c.bytes) << "\"");

  // The client's own connection: its bytes, and every answer in order.
  bool rejected = false;
  {
    http_client client(site.port(), client_timeout);
    REQUIRE(client.connect_error().empty());
    REQUIRE(client.send_raw(c.bytes));
    const auto first = client.read_response();
    INFO("first answer: " << describe_response(first));
    const bool may_reject = c.expect != verdict::forward;
    rejected = may_reject && first.ok() &&
               (first.status == 400 || (c.expect == verdict::reject_400_or_501 && first.status == 501));
    if (c.expect == verdict::reject_400 || c.expect == verdict::reject_400_or_501 || rejected) {
      CHECK(rejected);
      const auto [rest, closed] = rest_until_close(client);
      INFO("after the first answer: \"" << printable(rest) << "\"");
      CHECK(rest.empty());
      CHECK(closed);
    } else {
      for (std::size_t i = 0; i < c.requests.size(); ++i) {
        const auto res = i == 0 ? first : client.read_response();
        INFO("answer " << i << ": " << describe_response(res));
        CHECK(res.ok());
        CHECK(res.status == 200);
        CHECK(res.body == "app saw " + c.requests[i].method + " " + c.requests[i].url + "\n");
      }
    }
  }

  // A separate client on a new connection gets its own answer, not one meant for a smuggled request.
  const auto victim = http_get(site.port(), "/victim", {}, 5s);
  INFO("victim's answer: " << describe_response(victim));
  CHECK(victim.ok());
  CHECK(victim.status == 200);
  CHECK(victim.body == "app saw GET /victim\n");

  // The app's record is written before it answers; only when a smuggled request held up the victim's does
  // the victim's own line come later.
  std::vector<seen_request> seen;
  wait_until(
      [&] {
        seen = site.log();
        return std::any_of(seen.begin(), seen.end(), [](const seen_request& r) { return r.url == "/victim"; });
      },
      3s, 10ms);

  std::vector<std::string> expected;
  if (!rejected)
    for (const auto& r : c.requests) expected.push_back("REQ " + r.method + " " + r.url + " body=\"" + printable(r.body) + "\"");
  expected.push_back("REQ GET /victim body=\"\"");
  INFO("what the app saw:\n" << describe(seen));
  CHECK(summaries(seen) == expected);
  for (const auto& r : seen) {
    if (r.kind != "REQ") continue;
    INFO("framing of " << r.method << " " << r.url);
    CHECK(framing_problems(r) == std::vector<std::string>{});
  }
}

/// GENERATE over both apps and the rows of a matrix; each combination runs as its own named section.
void run_matrix(const std::vector<framing_case>& cases) {
  const auto app = GENERATE(app_kind::strict_node, app_kind::lenient_raw);
  const auto index = GENERATE_COPY(range(std::size_t{0}, cases.size()));
  const auto& c = cases[index];
  DYNAMIC_SECTION(app_name(app) << ": " << c.name) { run_case(app, c); }
}

}  // namespace

TEST_CASE("TE.TE: Transfer-Encoding that is not exactly chunked is refused and the app sees nothing of it",
          "[integration][net]") {
  run_matrix(te_te_cases());
}

TEST_CASE("CL.TE and TE.CL: Transfer-Encoding with Content-Length is refused and the app sees nothing of it",
          "[integration][net]") {
  run_matrix(cl_te_cases());
}

TEST_CASE("Content-Length must be plain digits that agree and reaches the app normalized", "[integration][net]") {
  run_matrix(content_length_cases());
}

TEST_CASE("fields named like framing fields never reach the app", "[integration][net]") {
  run_matrix(look_alike_cases());
}

TEST_CASE("valid chunked and Content-Length requests reach the app exactly and framed by liveproxy", "[integration][net]") {
  run_matrix(valid_cases());
}
