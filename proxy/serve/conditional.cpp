// ETag and HTTP-date formatting and parsing, RFC 9110 precondition and Range evaluation.
#include "proxy/serve/conditional.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <limits>

namespace liveproxy {
namespace {

constexpr std::array<std::string_view, 12> month_names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
// Indexed like std::chrono::weekday::c_encoding(): Sunday is 0.
constexpr std::array<std::string_view, 7> short_days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> long_days{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                    "Thursday", "Friday", "Saturday"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Reads the fixed-width pieces of an HTTP-date from left to right; every step fails on a mismatch.
class date_reader {
 public:
  explicit date_reader(std::string_view s) : s_(s) {}

  bool literal(std::string_view lit) {
    if (!s_.starts_with(lit)) return false;
    s_.remove_prefix(lit.size());
    return true;
  }
  bool number(std::size_t digits, int& out) {
    if (s_.size() < digits) return false;
    out = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      if (!is_digit(s_[i])) return false;
      out = out * 10 + (s_[i] - '0');
    }
    s_.remove_prefix(digits);
    return true;
  }
  /// One of `names` (names are case-sensitive in HTTP-date); its index in `out`.
  template <std::size_t n>
  bool name(const std::array<std::string_view, n>& names, int& out) {
    for (std::size_t i = 0; i < n; ++i) {
      if (literal(names[i])) {
        out = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }
  bool time_of_day(int& h, int& m, int& s) {
    return number(2, h) && literal(":") && number(2, m) && literal(":") && number(2, s);
  }
  bool done() const { return s_.empty(); }

 private:
  std::string_view s_;
};

std::optional<std::time_t> to_time(int year, int month, int day, int hour, int minute, int second) {
  using namespace std::chrono;
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;  // 60: a leap second
  const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month + 1)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  const auto d = sys_days{ymd}.time_since_epoch().count();
  return static_cast<std::time_t>(d) * 86400 + hour * 3600 + minute * 60 + second;
}

std::optional<std::time_t> parse_imf_fixdate(std::string_view s) {
  date_reader r(s);
  int wd, day, month, year, h, m, sec;
  if (r.name(short_days, wd) && r.literal(", ") && r.number(2, day) && r.literal(" ") &&
      r.name(month_names, month) && r.literal(" ") && r.number(4, year) && r.literal(" ") &&
      r.time_of_day(h, m, sec) && r.literal(" GMT") && r.done())
    return to_time(year, month, day, h, m, sec);
  return std::nullopt;
}

std::optional<std::time_t> parse_rfc850(std::string_view s) {
  date_reader r(s);
  int wd, day, month, year, h, m, sec;
  if (r.name(long_days, wd) && r.literal(", ") && r.number(2, day) && r.literal("-") &&
      r.name(month_names, month) && r.literal("-") && r.number(2, year) && r.literal(" ") &&
      r.time_of_day(h, m, sec) && r.literal(" GMT") && r.done())
    // Two-digit years: files are not from before 1970, so 70-99 are the 1900s.
    return to_time(year < 70 ? 2000 + year : 1900 + year, month, day, h, m, sec);
  return std::nullopt;
}

std::optional<std::time_t> parse_asctime(std::string_view s) {
  date_reader r(s);
  int wd, day, month, year, h, m, sec;
  if (!(r.name(short_days, wd) && r.literal(" ") && r.name(month_names, month) && r.literal(" "))) return std::nullopt;
  // The day is two digits or a space and one digit: "Nov  6".
  if (!(r.literal(" ") ? r.number(1, day) : r.number(2, day))) return std::nullopt;
  if (r.literal(" ") && r.time_of_day(h, m, sec) && r.literal(" ") && r.number(4, year) && r.done())
    return to_time(year, month, day, h, m, sec);
  return std::nullopt;
}

void put2(char* at, unsigned v) {
  at[0] = static_cast<char>('0' + v / 10 % 10);
  at[1] = static_cast<char>('0' + v % 10);
}

/// The tag without a weak prefix: what weak comparison compares.
std::string_view opaque(std::string_view tag) { return tag.starts_with("W/") ? tag.substr(2) : tag; }

/// Calls `match(tag, weak)` for each entity tag of a list ("W/\"a\", \"b\""), the tag with its quotes;
/// true as soon as one call is. A malformed element ends the list (the rest cannot be trusted).
template <typename F>
bool any_tag(std::string_view list, F&& match) {
  for (;;) {
    while (!list.empty() && (list.front() == ' ' || list.front() == '\t' || list.front() == ',')) list.remove_prefix(1);
    if (list.empty()) return false;
    const bool weak = list.starts_with("W/");
    if (weak) list.remove_prefix(2);
    if (!list.starts_with('"')) return false;
    const auto close = list.find('"', 1);
    if (close == std::string_view::npos) return false;
    if (match(list.substr(0, close + 1), weak)) return true;
    list = trim(list.substr(close + 1));
    if (!list.empty() && list.front() != ',') return false;
  }
}

/// Reads a non-empty run of digits as the whole of `s`; saturates instead of overflowing (a huge first-pos
/// is then merely unsatisfiable, a huge last-pos clipped to the file).
bool parse_position(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  out = 0;
  for (const char c : s) {
    if (!is_digit(c)) return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    out = out > (max - d) / 10 ? max : out * 10 + d;
  }
  return true;
}

}  // namespace

std::string make_etag(const struct stat& st) {
  const auto mtime_ns = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000u +
                        static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
  std::string tag;
  tag.reserve(3 * 16 + 4);
  const auto append_hex = [&tag](std::uint64_t v) {
    char digits[16];
    const auto end = std::to_chars(digits, digits + sizeof digits, v, 16).ptr;
    tag.append(digits, end);
  };
  tag += '"';
  append_hex(static_cast<std::uint64_t>(st.st_ino));
  tag += '-';
  append_hex(static_cast<std::uint64_t>(st.st_size));
  tag += '-';
  append_hex(mtime_ns);
  tag += '"';
  return tag;
}

std::string http_date(std::time_t t) {
  using namespace std::chrono;
  // IMF-fixdate has a four-digit year; clamp to what it can say (1970 for files with no real date).
  constexpr std::time_t latest = 253402300799;  // 9999-12-31 23:59:59
  t = t < 0 ? 0 : (t > latest ? latest : t);
  const sys_seconds at{seconds{t}};
  const auto day = floor<days>(at);
  const year_month_day ymd{day};
  const hh_mm_ss hms{at - day};
  std::string out = "Sun, 00 Jan 0000 00:00:00 GMT";
  const auto wd = short_days[weekday{day}.c_encoding()];
  out.replace(0, 3, wd);
  put2(&out[5], static_cast<unsigned>(ymd.day()));
  out.replace(8, 3, month_names[static_cast<unsigned>(ymd.month()) - 1]);
  const auto year = static_cast<unsigned>(static_cast<int>(ymd.year()));
  put2(&out[12], year / 100);
  put2(&out[14], year % 100);
  put2(&out[17], static_cast<unsigned>(hms.hours().count()));
  put2(&out[20], static_cast<unsigned>(hms.minutes().count()));
  put2(&out[23], static_cast<unsigned>(hms.seconds().count()));
  return out;
}

std::optional<std::time_t> parse_http_date(std::string_view text) {
  text = trim(text);
  if (auto t = parse_imf_fixdate(text)) return t;
  if (auto t = parse_rfc850(text)) return t;
  return parse_asctime(text);
}

bool not_modified(std::string_view if_none_match, std::string_view if_modified_since, std::string_view etag,
                  std::time_t mtime) {
  if_none_match = trim(if_none_match);
  if (!if_none_match.empty()) {
    // If-None-Match wins even when it does not match: If-Modified-Since is then not looked at (§13.2.2).
    if (etag.empty()) return false;
    if (if_none_match == "*") return true;
    const auto ours = opaque(etag);
    return any_tag(if_none_match, [&](std::string_view tag, bool) { return tag == ours; });
  }
  if (trim(if_modified_since).empty()) return false;
  const auto since = parse_http_date(if_modified_since);
  return since && mtime <= *since;
}

range_result parse_range(std::string_view range_header, std::uint64_t size, byte_range& out) {
  auto v = trim(range_header);
  if (size == 0 || v.size() < 5) return range_result::none;
  for (std::size_t i = 0; i < 5; ++i) {
    const char c = v[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != "bytes"[i]) return range_result::none;
  }
  v = trim(v.substr(5));
  if (!v.starts_with('=')) return range_result::none;
  v.remove_prefix(1);

  std::size_t ranges = 0;
  bool satisfiable = false;
  byte_range found;
  while (!v.empty()) {
    const auto comma = v.find(',');
    const auto spec = trim(v.substr(0, comma));
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    if (spec.empty()) continue;  // lists may have empty elements ("0-1,,5-6")
    const auto dash = spec.find('-');
    if (dash == std::string_view::npos) return range_result::none;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    if (dash == 0) {
      // Suffix range: the last n bytes, all of them if the file is shorter; "-0" asks for nothing.
      if (!parse_position(spec.substr(1), last)) return range_result::none;
      if (last > 0) {
        satisfiable = true;
        found = {size > last ? size - last : 0, size - 1};
      }
    } else {
      if (!parse_position(spec.substr(0, dash), first)) return range_result::none;
      const auto last_text = spec.substr(dash + 1);
      last = size - 1;
      if (!last_text.empty()) {
        if (!parse_position(last_text, last)) return range_result::none;
        if (last < first) return range_result::none;  // invalid, not unsatisfiable (§14.1.1)
      }
      if (first < size) {
        satisfiable = true;
        found = {first, last < size ? last : size - 1};
      }
    }
    ++ranges;
  }
  if (ranges == 0) return range_result::none;
  if (!satisfiable) return range_result::unsatisfiable;
  if (ranges > 1) return range_result::none;
  out = found;
  return range_result::single;
}

bool if_range_allows(std::string_view if_range, std::string_view etag, std::time_t mtime) {
  if_range = trim(if_range);
  if (if_range.empty()) return true;
  if (if_range.starts_with('"') || if_range.starts_with("W/")) {
    // Strong comparison: a weak tag on either side never matches.
    return !if_range.starts_with("W/") && !etag.starts_with("W/") && if_range == etag;
  }
  const auto date = parse_http_date(if_range);
  return date && *date == mtime;
}

}  // namespace liveproxy
