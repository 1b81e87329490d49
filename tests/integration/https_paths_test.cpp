// --https through each way a response reaches the browser, now that the session itself runs over TLS: relayed
// bodies (splice over plain, the relay buffer over TLS), served files (sendfile over plain, reads over TLS), ranges,
// HEAD, large uploads with and without Expect, keep-alive and pipelining, the app's own WebSocket (the tunnel),
// a response ended by the close, and the injected script. Real clients: curl, openssl s_client, Python's websockets.
#include "support/http_client.hpp"
#include "support/https_support.hpp"
#include "support/script_tag.hpp"
#include "support/temp_dir.hpp"
#include "support/test_site.hpp"
#include "support/text_count.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace liveproxy::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// The test app behind liveproxy --https, with a private CA home and a folder for what the clients exchange.
struct tls_app_site {
  temp_dir data{"liveproxy-https-data"};
  temp_dir work{"liveproxy-https-work"};
  test_site site{[this] {
    site_options opts;
    opts.proxy_args = {"--https"};
    opts.env = {{"XDG_DATA_HOME", data.path().string()}};
    return opts;
  }()};
  fs::path ca = work / "ca.pem";

  tls_app_site() { write_file(ca, read_file(data / "liveproxy" / "ca.pem")); }
  unsigned short port() const { return site.port(); }
  std::string plain_url(std::string_view target) const {
    return "http://127.0.0.1:" + std::to_string(port()) + std::string(target);
  }
};

/// What the test app's /bytes and /close-delimited send: byte i is i * 7 mod 251.
std::string app_pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 7) % 251);
  return out;
}

/// Bytes with no short period (a linear congruential sequence): a piece sent from the wrong offset shows.
std::string file_pattern(std::size_t n) {
  std::string out(n, '\0');
  std::uint32_t x = 12345;
  for (auto& c : out) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return out;
}

/// Where a and b first differ (npos if they are equal), so a failed check names an offset, not megabytes.
std::size_t first_difference(const std::string& a, const std::string& b) {
  const auto n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return i;
  return a.size() == b.size() ? std::string::npos : n;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// A header field's value in a raw response head ("" if absent).
std::string field(std::string_view head, std::string_view name) {
  const auto h = lower(head);
  const auto at = h.find("\r\n" + lower(name) + ":");
  if (at == std::string::npos) return {};
  auto begin = at + 3 + name.size();
  const auto end = head.find("\r\n", begin);
  while (begin < end && head[begin] == ' ') ++begin;
  return std::string(head.substr(begin, end - begin));
}

/// One response cut from raw bytes: its head (without the blank line) and its body by Content-Length.
struct raw_response {
  std::string head;
  std::string body;
};

/// Takes the next response off the front of raw; a HEAD's response has no body whatever its Content-Length.
std::optional<raw_response> next_response(std::string_view& raw, bool head_request = false) {
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  raw_response r{std::string(raw.substr(0, end)), {}};
  raw.remove_prefix(end + 4);
  const auto length = field(r.head, "Content-Length");
  if (head_request || length.empty()) return r;
  const auto n = std::min<std::size_t>(std::stoul(length), raw.size());
  r.body = std::string(raw.substr(0, n));
  raw.remove_prefix(n);
  return r;
}

/// What openssl s_client received (stdout), what it said (stderr), and how it exited.
struct s_client_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Sends request (any number of requests, written at once) over one TLS connection to 127.0.0.1:port, verifying
/// the certificate for localhost against ca, and reads until liveproxy closes (-quiet: stdin's end is not ours).
s_client_result s_client(unsigned short port, const fs::path& ca, const fs::path& work, const std::string& request) {
  const auto in = work / "s_client.in";
  const auto out = work / "s_client.out";
  const auto err = work / "s_client.err";
  write_file(in, request);
  const auto r = run({"/bin/sh", "-c",
                      "exec /usr/bin/openssl s_client -quiet -connect 127.0.0.1:\"$1\" -servername localhost "
                      "-verify_hostname localhost -verify_return_error -CAfile \"$2\" < \"$3\" > \"$4\" 2> \"$5\"",
                      "sh", std::to_string(port), ca.string(), in.string(), out.string(), err.string()},
                     10s);
  return {r.exit_code, read_file(out), read_file(err)};
}

/// Runs curl with the CA trusted; the body goes to file (removed first: curl creates it only once bytes come),
/// what --write-out prints is returned. A transfer stalled for 3 s is given up (exit 28) rather than waited on
/// for curl's whole --max-time.
run_result curl_to(const fs::path& ca, const fs::path& file, std::vector<std::string> args) {
  fs::remove(file);
  args.insert(args.begin(), {"--cacert", ca.string(), "--output", file.string(), "--speed-limit", "1",
                             "--speed-time", "3"});
  return curl(std::move(args));
}

}  // namespace

TEST_CASE("liveproxy --https: a large proxied response arrives byte-exact over TLS as over plain HTTP",
          "[integration][net][fs][https]") {
  tls_app_site s;
  // Over plain HTTP these bodies are spliced socket to socket; over TLS they go through the relay buffer.
  constexpr std::size_t n = 3'000'000;
  const std::string target = "/bytes?n=" + std::to_string(n);
  const auto tls = curl_to(s.ca, s.work / "tls.bin", {"--write-out", "%{http_code}", https_url(s.port(), target)});
  INFO("TLS: exit " << tls.exit_code << " " << tls.out << " in " << tls.elapsed.count() << " ms");
  CHECK(tls.exit_code == 0);
  CHECK(tls.out == "200");
  const auto plain = curl_to(s.ca, s.work / "plain.bin", {"--write-out", "%{http_code}", s.plain_url(target)});
  INFO("plain: exit " << plain.exit_code << " " << plain.out);
  CHECK(plain.exit_code == 0);
  CHECK(plain.out == "200");
  const auto over_tls = read_file(s.work / "tls.bin");
  const auto over_plain = read_file(s.work / "plain.bin");
  CHECK(over_tls.size() == n);
  CHECK(over_plain.size() == n);
  CHECK(first_difference(over_tls, over_plain) == std::string::npos);
  CHECK(first_difference(over_tls, app_pattern(n)) == std::string::npos);

  // Body bytes read together with the header go out in the header's write, the rest through the buffer.
  constexpr std::size_t together = 300'000;
  const auto one = curl_to(s.ca, s.work / "one.bin", {"--write-out", "%{http_code}",
                                                      https_url(s.port(), "/one-write?n=" + std::to_string(together))});
  INFO("header and body in one write: exit " << one.exit_code << " " << one.out);
  CHECK(one.exit_code == 0);
  CHECK(first_difference(read_file(s.work / "one.bin"), app_pattern(together)) == std::string::npos);

  // 20 MB that the app writes a megabyte at a time, as fast as liveproxy takes them: backpressure through TLS.
  constexpr std::size_t big = 20'000'000;
  const auto large = curl_to(s.ca, s.work / "big.bin",
                             {"--write-out", "%{http_code}", https_url(s.port(), "/big?n=" + std::to_string(big))});
  INFO("20 MB over TLS: exit " << large.exit_code << " " << large.out << " in " << large.elapsed.count() << " ms");
  CHECK(large.exit_code == 0);
  CHECK(large.out == "200");
  const auto body = read_file(s.work / "big.bin");
  CHECK(body.size() == big);
  CHECK(body.find_first_not_of('x') == std::string::npos);
}

TEST_CASE("liveproxy --https --serve: a file larger than the inline limit, its ranges and HEAD, over TLS",
          "[integration][net][fs][https]") {
  https_site s;
  // Larger than static_handler's 16 KiB inline limit and than one relay buffer: read and written in pieces.
  constexpr std::size_t size = 300'000;
  const auto content = file_pattern(size);
  write_file(s.site / "big.bin", content);
  const auto proxy = s.start({"--https", "--port", "0"});
  const auto port = proxy->port();
  fetch_ca(s, port);
  const auto url = https_url(port, "/big.bin");

  SECTION("the whole file") {
    const auto r = curl_to(s.ca_file(), s.work / "whole.bin", {"--write-out", "%{http_code}", url});
    INFO("exit " << r.exit_code << " " << r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "200");
    const auto got = read_file(s.work / "whole.bin");
    CHECK(got.size() == size);
    CHECK(first_difference(got, content) == std::string::npos);
  }

  SECTION("ranges: 206 with the asked bytes") {
    struct range_case {
      std::string asked;
      std::size_t first;
      std::size_t last;
    };
    // A small one, one straddling buffer-sized boundaries, and an open-ended one.
    for (const auto& c : std::vector<range_case>{{"100-199", 100, 199},
                                                 {"65000-140000", 65000, 140000},
                                                 {"200000-", 200000, size - 1}}) {
      INFO("Range: bytes=" << c.asked);
      fs::remove(s.work / "range.head");
      const auto r = curl_to(s.ca_file(), s.work / "range.bin",
                             {"--dump-header", (s.work / "range.head").string(), "--range", c.asked, "--write-out",
                              "%{http_code}", url});
      INFO("exit " << r.exit_code << " " << r.out << "\n" << read_file(s.work / "range.head"));
      CHECK(r.exit_code == 0);
      CHECK(r.out == "206");
      const auto head = read_file(s.work / "range.head");
      CHECK(field(head, "Content-Range") == "bytes " + std::to_string(c.first) + "-" + std::to_string(c.last) + "/" +
                                                std::to_string(size));
      const auto got = read_file(s.work / "range.bin");
      CHECK(got.size() == c.last - c.first + 1);
      CHECK(first_difference(got, content.substr(c.first, c.last - c.first + 1)) == std::string::npos);
    }
  }

  SECTION("an HTML page larger than 16 KiB: whole, with the script") {
    // Pages are read whole for the injection and sent with their header in one write, whatever their size.
    std::string page = "<!doctype html><html><head><title>big page</title></head><body>\n";
    for (int i = 0; page.size() < 100'000; ++i) page += "<p>paragraph " + std::to_string(i) + "</p>\n";
    page += "</body></html>\n";
    write_file(s.site / "big.html", page);
    const auto r =
        curl_to(s.ca_file(), s.work / "big.html", {"--write-out", "%{http_code}", https_url(port, "/big.html")});
    INFO("exit " << r.exit_code << " " << r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "200");
    const auto got = read_file(s.work / "big.html");
    CHECK(count_injected(got) == 1);
    CHECK(got.size() > page.size());
    CHECK(first_difference(without_injected(got), page) == std::string::npos);
  }

  SECTION("HEAD: the length, no body (the next response on the connection follows the header at once)") {
    const auto host = "Host: localhost:" + std::to_string(port) + "\r\n";
    const auto r = s_client(port, s.ca_file(), s.work.path(),
                            "HEAD /big.bin HTTP/1.1\r\n" + host + "\r\nGET /style.css HTTP/1.1\r\n" + host +
                                "Connection: close\r\n\r\n");
    INFO("s_client exit " << r.exit_code << "\nstderr: " << r.err << "\nstdout: " << r.out);
    std::string_view raw = r.out;
    const auto head = next_response(raw, true);
    REQUIRE(head);
    CHECK(head->head.starts_with("HTTP/1.1 200"));
    CHECK(field(head->head, "Content-Length") == std::to_string(size));
    const auto css = next_response(raw);
    REQUIRE(css);
    CHECK(css->head.starts_with("HTTP/1.1 200"));
    CHECK(css->body == "h1 { color: teal; }\n");
    CHECK(raw.empty());
    // And curl's own HEAD.
    const auto curl_head = curl({"--cacert", s.ca_file().string(), "--head", url});
    CHECK(curl_head.exit_code == 0);
    CHECK(field(curl_head.out, "Content-Length") == std::to_string(size));
  }
}

TEST_CASE("liveproxy --https: a 5 MB upload is echoed byte-exact over TLS, with Expect: 100-continue and without",
          "[integration][net][fs][https]") {
  tls_app_site s;
  constexpr std::size_t size = 5'000'000;
  const auto body = file_pattern(size);
  write_file(s.work / "upload.bin", body);
  for (const bool expect : {true, false}) {
    INFO((expect ? "with Expect: 100-continue" : "without Expect"));
    // curl asks for 100-continue by itself for a body this large; an empty "Expect:" stops it.
    std::vector<std::string> args{"--verbose", "--data-binary", "@" + (s.work / "upload.bin").string(), "-H",
                                  "Content-Type: application/octet-stream", "--write-out", "\nstatus=%{http_code}\n"};
    if (!expect) args.insert(args.end(), {"-H", "Expect:"});
    args.push_back(https_url(s.port(), "/echo"));
    const auto r = curl_to(s.ca, s.work / "echoed.bin", args);
    INFO("exit " << r.exit_code << " in " << r.elapsed.count() << " ms\n" << r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("status=200") != std::string::npos);
    CHECK((r.out.find("> Expect: 100-continue") != std::string::npos) == expect);
    // liveproxy answers the Expect itself, at once: curl does not wait out its 1 s before sending.
    CHECK((r.out.find("< HTTP/1.1 100 Continue") != std::string::npos) == expect);
    CHECK(r.elapsed < 5s);
    const auto echoed = read_file(s.work / "echoed.bin");
    CHECK(echoed.size() == size);
    CHECK(first_difference(echoed, body) == std::string::npos);
  }
}

TEST_CASE("liveproxy --https: several requests on one TLS keep-alive connection, and pipelined ones answered in order",
          "[integration][net][fs][https]") {
  tls_app_site s;
  const auto pid = s.site.app_pid();
  REQUIRE(pid);

  SECTION("curl reuses its connection") {
    const auto r = curl({"--verbose", "--cacert", s.ca.string(), "--output", (s.work / "one.bin").string(),
                         https_url(s.port(), "/bytes?n=100000"), "--output", (s.work / "two.html").string(),
                         https_url(s.port(), "/chunked-html"), "--output", (s.work / "three.txt").string(),
                         https_url(s.port(), "/pid")});
    INFO("exit " << r.exit_code << "\n" << r.out);
    CHECK(r.exit_code == 0);
    CHECK(count_of(r.out, "Re-using existing connection") == 2);
    CHECK(count_of(r.out, "Connected to") == 1);
    CHECK(first_difference(read_file(s.work / "one.bin"), app_pattern(100000)) == std::string::npos);
    CHECK(count_injected(read_file(s.work / "two.html")) == 1);
    CHECK(read_file(s.work / "three.txt") == std::to_string(*pid));
  }

  SECTION("openssl s_client sends three requests at once") {
    const auto host = "Host: localhost:" + std::to_string(s.port()) + "\r\n";
    // The first is answered late: the others wait behind it, already read.
    const auto r = s_client(s.port(), s.ca, s.work.path(),
                            "GET /slow?ms=200 HTTP/1.1\r\n" + host + "\r\nGET /bytes?n=50000 HTTP/1.1\r\n" + host +
                                "\r\nGET /pid HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n");
    INFO("s_client exit " << r.exit_code << "\nstderr: " << r.err << "\nstdout: " << r.out.substr(0, 2000));
    std::string_view raw = r.out;
    const auto slow = next_response(raw);
    REQUIRE(slow);
    CHECK(slow->head.starts_with("HTTP/1.1 200"));
    CHECK(slow->body == "slow done");
    const auto bytes = next_response(raw);
    REQUIRE(bytes);
    CHECK(bytes->head.starts_with("HTTP/1.1 200"));
    CHECK(first_difference(bytes->body, app_pattern(50000)) == std::string::npos);
    const auto last = next_response(raw);
    REQUIRE(last);
    CHECK(last->head.starts_with("HTTP/1.1 200"));
    CHECK(last->body == std::to_string(*pid));
    CHECK(raw.empty());
    // liveproxy closed after the last one with a close_notify: s_client saw a clean end.
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("unexpected eof") == std::string::npos);
  }
}

TEST_CASE("liveproxy --https: the app's own WebSocket echoes through liveproxy over wss",
          "[integration][net][fs][https]") {
  tls_app_site s;
  // Python's websockets (Debian's python3-websockets) as the browser: it checks the handshake and the framing.
  const std::string client = R"(
import asyncio, ssl, sys, time, websockets
async def main():
    ctx = ssl.create_default_context(cafile=sys.argv[2]) if sys.argv[1].startswith('wss:') else None
    async with websockets.connect(sys.argv[1], ssl=ctx, open_timeout=5, close_timeout=5, max_size=None) as ws:
        await ws.send('hello over the tunnel')
        print('text:', await asyncio.wait_for(ws.recv(), 5), flush=True)
        blob = bytes(range(256)) * 400
        await ws.send(blob)
        back = await asyncio.wait_for(ws.recv(), 5)
        print('binary:', len(back), back == blob, flush=True)
        await asyncio.wait_for(await ws.ping(), 5)
        print('pong', flush=True)
        start = time.monotonic()
    print('closed: %s in %.3f s' % (ws.close_code, time.monotonic() - start), flush=True)
asyncio.run(main())
)";
  for (const auto& url : {"wss://localhost:" + std::to_string(s.port()) + "/ws-echo",
                          "ws://127.0.0.1:" + std::to_string(s.port()) + "/ws-echo"}) {
    INFO(url);
    const auto r = run({"/usr/bin/python3", "-c", client, url, s.ca.string()}, 20s);
    INFO("exit " << r.exit_code << " in " << r.elapsed.count() << " ms\n" << r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("text: hello over the tunnel\n") != std::string::npos);
    CHECK(r.out.find("binary: 102400 True\n") != std::string::npos);
    CHECK(r.out.find("pong\n") != std::string::npos);
    // The app answers the close and hangs up; liveproxy then ends the browser's side at once.
    CHECK(r.out.find("closed: 1000 in 0.") != std::string::npos);
    CHECK(r.elapsed < 5s);
  }
}

TEST_CASE("liveproxy --https: a response that the app ends by closing arrives whole, and curl sees a clean end",
          "[integration][net][fs][https]") {
  tls_app_site s;
  constexpr std::size_t n = 1'000'000;
  const std::string target = "/close-delimited?n=" + std::to_string(n);
  // To an HTTP/1.1 client liveproxy frames the body anew; to an HTTP/1.0 one it ends it by its own close, which over
  // TLS must follow a close_notify (else curl fails with 56, "unexpected eof while reading"). Plain HTTP to compare.
  struct variant {
    const char* name;
    std::string url;
    std::vector<std::string> extra;
  };
  for (const auto& v : std::vector<variant>{{"HTTP/1.1 over TLS", https_url(s.port(), target), {}},
                                            {"HTTP/1.0 over TLS", https_url(s.port(), target), {"--http1.0"}},
                                            {"HTTP/1.1 over plain HTTP", s.plain_url(target), {}}}) {
    INFO(v.name);
    std::vector<std::string> args{"--verbose", "--write-out", "\nstatus=%{http_code}\n"};
    args.insert(args.end(), v.extra.begin(), v.extra.end());
    args.push_back(v.url);
    const auto r = curl_to(s.ca, s.work / "closed.bin", args);
    INFO("exit " << r.exit_code << " in " << r.elapsed.count() << " ms\n" << r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("status=200") != std::string::npos);
    CHECK(r.out.find("unexpected eof") == std::string::npos);
    const auto body = read_file(s.work / "closed.bin");
    CHECK(body.size() == n);
    CHECK(first_difference(body, app_pattern(n)) == std::string::npos);
  }

  // openssl s_client as the HTTP/1.0 client: it reports a close without close_notify as "unexpected eof".
  const auto r = s_client(s.port(), s.ca, s.work.path(),
                          "GET " + target + " HTTP/1.0\r\nHost: localhost:" + std::to_string(s.port()) + "\r\n\r\n");
  INFO("s_client exit " << r.exit_code << "\nstderr: " << r.err << "\nstdout: " << r.out.substr(0, 500));
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("unexpected eof") == std::string::npos);
  std::string_view raw = r.out;
  const auto res = next_response(raw);
  REQUIRE(res);
  CHECK(res->head.find(" 200 ") != std::string::npos);
  const std::string body = res->body.empty() ? std::string(raw) : res->body;
  CHECK(body.size() == n);
  CHECK(first_difference(body, app_pattern(n)) == std::string::npos);
}

TEST_CASE("liveproxy --https: the app's chunked HTML page carries the injected script over TLS",
          "[integration][net][fs][https]") {
  tls_app_site s;
  const auto r = curl({"--cacert", s.ca.string(), "--dump-header", (s.work / "page.head").string(),
                       https_url(s.port(), "/chunked-html")});
  INFO("exit " << r.exit_code << "\n" << read_file(s.work / "page.head") << r.out);
  CHECK(r.exit_code == 0);
  CHECK(count_injected(r.out) == 1);
  CHECK(without_injected(r.out) ==
        "<!doctype html><html><head><title>chunked</title></head><body><p>chunked body</p></body></html>");
  CHECK(find_injected(r.out) > r.out.find("<html"));
  CHECK(find_injected(r.out) < r.out.rfind("</html>"));

  // Larger pages, sent whole by the app: plain, and gzip-compressed (decoded, injected, sent whole by liveproxy).
  constexpr std::size_t n = 300'000;
  const std::string start = "<!doctype html><html><head><title>big</title></head><body><p>";
  const std::string end = "</p></body></html>";
  const auto expected = start + std::string(n - start.size() - end.size(), 'x') + end;
  for (const char* target : {"/big-html", "/gzip-html"}) {
    INFO(target);
    const auto big = curl_to(s.ca, s.work / "big.html",
                             {"--write-out", "%{http_code}", https_url(s.port(), std::string(target) + "?n=300000")});
    INFO("exit " << big.exit_code << " " << big.out);
    CHECK(big.exit_code == 0);
    CHECK(big.out == "200");
    const auto got = read_file(s.work / "big.html");
    CHECK(count_injected(got) == 1);
    CHECK(first_difference(without_injected(got), expected) == std::string::npos);
  }
}
