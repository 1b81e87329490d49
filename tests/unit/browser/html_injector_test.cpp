// The injector must find the real <head> in any chunking, and never inject twice.
#include "proxy/browser/html_injector.hpp"

#include <catch2/catch.hpp>

#include <string>

using liveproxy::html_injector;

namespace {

const std::string tag = R"(<script src="/__liveproxy/client.js"></script>)";

/// Feeds `html` in pieces of `chunk` bytes and returns the output.
std::string run(const std::string& html, std::size_t chunk, html_injector::outcome* out_state = nullptr) {
  html_injector inj(tag);
  std::string out;
  for (std::size_t i = 0; i < html.size(); i += chunk) inj.feed(std::string_view(html).substr(i, chunk), out);
  inj.finish(out);
  if (out_state) *out_state = inj.state();
  return out;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("script goes right after the head start tag - in any chunking", "[unit][inject]") {
  const std::string html = "<!DOCTYPE html><html lang=en><HEAD data-x=\"a>b\"><title>t</title></head><body>hi</body></html>";
  const std::string expected =
      "<!DOCTYPE html><html lang=en><HEAD data-x=\"a>b\">" + tag + "<title>t</title></head><body>hi</body></html>";
  const auto chunk = GENERATE(1u, 2u, 3u, 7u, 1000u);
  CHECK(run(html, chunk) == expected);
}

TEST_CASE("a head inside comments - scripts and titles does not count", "[unit][inject]") {
  const std::string html =
      "<!-- <head> --><script>var s = '<head>'; if (a<b) {}</script ><title><head></title><head><meta charset=utf-8>";
  const auto out = run(html, GENERATE(1u, 5u, 4096u));
  CHECK(out == "<!-- <head> --><script>var s = '<head>'; if (a<b) {}</script ><title><head></title><head>" + tag +
                   "<meta charset=utf-8>");
}

TEST_CASE("<header> is not <head> - <body> is the fallback", "[unit][inject]") {
  CHECK(run("<html><header>x</header><body class=a><p>hi", 3) == "<html><header>x</header><body class=a>" + tag + "<p>hi");
}

TEST_CASE("a fragment without head or body gets the script at the end", "[unit][inject]") {
  CHECK(run("<p>just a fragment</p>", 4) == "<p>just a fragment</p>" + tag);
  CHECK(run("", 4) == tag);
}

TEST_CASE("a page that already loads our client or livereload.js is left alone", "[unit][inject]") {
  html_injector::outcome state{};
  const std::string ours = "<script src=\"/__liveproxy/client.js\"></script><p>x</p>";
  CHECK(run(ours, 3, &state) == ours);
  CHECK(state == html_injector::outcome::suppressed);
  const std::string lr = "<SCRIPT src='http://localhost:35729/LiveReload.js?snipver=1'></SCRIPT><div>";
  CHECK(run(lr, 1, &state) == lr);
  const std::string inline_lr = "<script>document.write('<script src=\"//' + location.host + '/livereload.js\"></' + 'script>')</script>";
  CHECK(run(inline_lr, 2, &state) == inline_lr);
}

TEST_CASE("injected exactly once even when head and body both follow", "[unit][inject]") {
  const auto out = run("<html><head></head><body><head></head></body></html>", 2);
  CHECK(count(out, tag) == 1);
  CHECK(out.find("<head>" + tag) == 6);
}

TEST_CASE("decided() tells when the length change is known", "[unit][inject]") {
  html_injector inj(tag);
  std::string out;
  inj.feed("<!doctype html><html><he", out);
  CHECK_FALSE(inj.decided());
  inj.feed("ad>", out);
  CHECK(inj.decided());
  CHECK(inj.added_bytes() == tag.size());
  CHECK(out == "<!doctype html><html><head>" + tag);
}
