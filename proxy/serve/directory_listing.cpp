// Directory index: read, sort, render; no styling beyond what keeps it readable.
#include "proxy/serve/directory_listing.hpp"

#include "proxy/browser/error_page.hpp"
#include "proxy/serve/percent_encoding.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <system_error>
#include <vector>

namespace liveproxy {
namespace {

struct entry {
  std::string name;
  bool directory = false;
  std::uint64_t size = 0;
  std::time_t mtime = 0;
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool listed_before(const entry& a, const entry& b) {
  if (a.directory != b.directory) return a.directory;
  const auto n = std::min(a.name.size(), b.name.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(lower(a.name[i]));
    const auto y = static_cast<unsigned char>(lower(b.name[i]));
    if (x != y) return x < y;
  }
  if (a.name.size() != b.name.size()) return a.name.size() < b.name.size();
  return a.name < b.name;  // "A" and "a" both exist: still one order
}

/// "2024-01-31 12:34" in UTC.
std::string short_date(std::time_t t) {
  using namespace std::chrono;
  const sys_seconds at{seconds{t}};
  const auto day = floor<days>(at);
  const year_month_day ymd{day};
  const hh_mm_ss hms{at - day};
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02ld:%02ld", static_cast<int>(ymd.year()),
                              static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                              static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()));
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::vector<entry> read_entries(const std::filesystem::path& dir, bool dotfiles) {
  std::vector<entry> entries;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    auto name = it->path().filename().string();
    if (!dotfiles && name.starts_with('.')) continue;
    // stat, not lstat: a link is listed as what it leads to, as it will be served. Dangling links are skipped.
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0) continue;
    entries.push_back({std::move(name), S_ISDIR(st.st_mode), static_cast<std::uint64_t>(st.st_size), st.st_mtime});
  }
  std::sort(entries.begin(), entries.end(), listed_before);
  return entries;
}

}  // namespace

std::string directory_listing_html(const std::filesystem::path& dir, std::string_view url_path, bool dotfiles) {
  const auto entries = read_entries(dir, dotfiles);
  const auto title = "Index of " + html_escape(url_path);
  std::string out;
  out.reserve(512 + entries.size() * 160);
  out += "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>";
  out += title;
  out += "</title>\n<style>body{font-family:system-ui,sans-serif;margin:2em}th{text-align:left}"
         "td,th{padding:.1em 1.5em .1em 0}.n{text-align:right;font-variant-numeric:tabular-nums}</style>"
         "</head>\n<body>\n<h1>";
  out += title;
  out += "</h1>\n<table>\n<tr><th>Name</th><th class=\"n\">Size</th><th>Modified (UTC)</th></tr>\n";
  if (url_path != "/") out += "<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n";
  for (const auto& e : entries) {
    const auto slash = e.directory ? "/" : "";
    out += "<tr><td><a href=\"";
    out += percent_encode_path(e.name);  // only unreserved characters and %XX remain: nothing to escape
    out += slash;
    out += "\">";
    out += html_escape(e.name);
    out += slash;
    out += "</a></td><td class=\"n\">";
    out += e.directory ? std::string("-") : std::to_string(e.size);
    out += "</td><td>";
    out += short_date(e.mtime);
    out += "</td></tr>\n";
  }
  out += "</table>\n</body></html>\n";
  return out;
}

}  // namespace liveproxy
