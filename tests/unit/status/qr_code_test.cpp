// qr_code: the matrix libqrencode makes, our two drawings of it, and a real decoder (zbarimg) reading it back,
// since a code that looks right but does not scan is worthless on the phone.
#include "proxy/status/qr_code.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/temp_dir.hpp"

using namespace liveproxy;

namespace {

const std::string lan_url = "https://192.168.1.20:3000";

int dark_count(const qr_matrix& m) { return static_cast<int>(std::count(m.dark.begin(), m.dark.end(), true)); }

/// The 7x7 finder pattern with its top-left module at (x0, y0): a dark ring, a light ring, a dark 3x3 core.
bool finder_at(const qr_matrix& m, int x0, int y0) {
  for (int dy = 0; dy < 7; ++dy)
    for (int dx = 0; dx < 7; ++dx) {
      const int ring = std::min({dx, dy, 6 - dx, 6 - dy});
      if (m.at(x0 + dx, y0 + dy) != (ring != 1)) return false;
    }
  return true;
}

/// Counts non-overlapping occurrences of `needle`.
int occurrences(std::string_view haystack, std::string_view needle) {
  int n = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  // Everything ends in a newline: nothing may follow the last one.
  if (start != text.size()) out.push_back(text.substr(start));
  return out;
}

/// Writes the code as a plain (P1) PBM, `scale` pixels a module, with a quiet zone of four modules.
void write_pbm(const std::filesystem::path& file, const qr_matrix& m, int scale) {
  constexpr int quiet = 4;
  const int side = (m.size + 2 * quiet) * scale;
  std::ofstream out(file);
  out << "P1\n" << side << ' ' << side << '\n';
  for (int py = 0; py < side; ++py) {
    for (int px = 0; px < side; ++px) out << (m.at(px / scale - quiet, py / scale - quiet) ? '1' : '0') << ' ';
    out << '\n';
  }
  out.close();
  REQUIRE(out);
}

struct pipe_closer {
  int* status;
  void operator()(FILE* f) const { *status = ::pclose(f); }
};

struct zbar_result {
  std::string out;  ///< the decoded text, one line a symbol
  std::string err;  ///< its complaints (without a D-Bus socket it says so here, harmlessly)
  bool ok = false;  ///< exited 0: a symbol was found
};

/// Runs `zbarimg -q --raw file`; stderr is kept apart so its noise cannot be mistaken for a decoded text.
zbar_result zbarimg(const std::filesystem::path& file) {
  int status = -1;
  std::string out;
  const std::string err_file = file.string() + ".err";
  {
    const std::string command = "/usr/bin/zbarimg -q --raw '" + file.string() + "' 2>'" + err_file + "'";
    std::unique_ptr<FILE, pipe_closer> p(::popen(command.c_str(), "r"), pipe_closer{&status});
    REQUIRE(p);
    std::array<char, 4096> buf{};
    for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), p.get())) > 0;) out.append(buf.data(), n);
  }
  return {out, test::read_file(err_file), WIFEXITED(status) && WEXITSTATUS(status) == 0};
}

}  // namespace

TEST_CASE("qr_code: a LAN URL is a small code with its finder patterns", "[unit][qr]") {
  const auto m = make_qr(lan_url);
  REQUIRE(m);
  INFO("size " << m->size);
  // Versions 2 to 4 (25, 29, 33 modules): small enough for a terminal, as the size rule 17 + 4v says.
  CHECK((m->size == 25 || m->size == 29 || m->size == 33));
  CHECK((m->size - 17) % 4 == 0);
  REQUIRE(m->dark.size() == static_cast<std::size_t>(m->size * m->size));

  CHECK(finder_at(*m, 0, 0));
  CHECK(finder_at(*m, m->size - 7, 0));
  CHECK(finder_at(*m, 0, m->size - 7));
  // The fourth corner has none: that is how a scanner knows which way up the code is.
  CHECK_FALSE(finder_at(*m, m->size - 7, m->size - 7));
  // The light separators around the top-left finder.
  for (int i = 0; i < 8; ++i) {
    CHECK_FALSE(m->at(7, i));
    CHECK_FALSE(m->at(i, 7));
  }
  // The timing patterns between the finders alternate dark and light, starting dark.
  for (int i = 8; i < m->size - 8; ++i) {
    CHECK(m->at(i, 6) == (i % 2 == 0));
    CHECK(m->at(6, i) == (i % 2 == 0));
  }
  // The module beside the bottom-left finder that every version has dark.
  CHECK(m->at(8, m->size - 8));
  // Data, not a blank field: roughly half the modules are dark.
  CHECK(dark_count(*m) > m->size * m->size / 3);
  CHECK(dark_count(*m) < m->size * m->size * 2 / 3);
}

TEST_CASE("qr_code: the same text gives the same code, another text another", "[unit][qr]") {
  const auto a = make_qr(lan_url);
  const auto b = make_qr(lan_url);
  const auto c = make_qr("https://192.168.1.21:3000");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(a->dark == b->dark);
  CHECK(a->dark != c->dark);
}

TEST_CASE("qr_code: at() is false outside the matrix", "[unit][qr]") {
  const auto m = make_qr(lan_url);
  REQUIRE(m);
  // (0,0) is a finder corner, so dark; its neighbours outside are the quiet zone.
  REQUIRE(m->at(0, 0));
  CHECK_FALSE(m->at(-1, 0));
  CHECK_FALSE(m->at(0, -1));
  CHECK_FALSE(m->at(m->size, 0));
  CHECK_FALSE(m->at(0, m->size));
  CHECK_FALSE(qr_matrix{}.at(0, 0));
}

TEST_CASE("qr_code: too long a text has no code", "[unit][qr]") {
  CHECK_FALSE(make_qr(std::string(5000, 'a')));
  // The largest code still holds a long URL: the limit is the standard's, not ours.
  const auto big = make_qr("https://myapp.test/" + std::string(1500, 'p'));
  REQUIRE(big);
  CHECK(big->size <= 177);
  CHECK(big->size > 33);
}

TEST_CASE("qr_code: the terminal drawing is two module rows a line, black on white", "[unit][qr]") {
  const auto m = make_qr(lan_url);
  REQUIRE(m);
  const std::string drawing = qr_terminal(*m);
  REQUIRE_FALSE(drawing.empty());
  CHECK(drawing.back() == '\n');
  const auto lines = lines_of(drawing);
  constexpr int quiet = 2;
  const int width = m->size + 2 * quiet;
  CHECK(static_cast<int>(lines.size()) == (width + 1) / 2);

  constexpr std::string_view on = "\x1b[30;47m", off = "\x1b[0m";
  for (std::size_t row = 0; row < lines.size(); ++row) {
    INFO("line " << row);
    const std::string& line = lines[row];
    REQUIRE(line.starts_with(on));
    REQUIRE(line.ends_with(off));
    std::string_view cells(line);
    cells.remove_prefix(on.size());
    cells.remove_suffix(off.size());
    // Each cell is one of four glyphs; together with its position it must say the two modules it covers.
    int x = -quiet;
    const int y = -quiet + 2 * static_cast<int>(row);
    while (!cells.empty()) {
      bool top = false, bottom = false;
      if (cells.starts_with(" ")) {
        cells.remove_prefix(1);
      } else if (cells.starts_with("\u2588")) {
        top = bottom = true;
        cells.remove_prefix(3);
      } else if (cells.starts_with("\u2580")) {
        top = true;
        cells.remove_prefix(3);
      } else if (cells.starts_with("\u2584")) {
        bottom = true;
        cells.remove_prefix(3);
      } else {
        FAIL("unexpected bytes at column " << x + quiet << " of line " << row);
      }
      INFO("column " << x + quiet);
      CHECK(top == m->at(x, y));
      CHECK(bottom == m->at(x, y + 1));
      ++x;
    }
    CHECK(x + quiet == width);
  }
  // The quiet zone: the first line is blank (both its rows are outside the code).
  CHECK(lines.front().find("\u2588") == std::string::npos);
  CHECK(lines.front().find("\u2580") == std::string::npos);
  CHECK(lines.front().find("\u2584") == std::string::npos);
}

TEST_CASE("qr_code: the SVG has one square per dark module", "[unit][qr]") {
  const auto m = make_qr(lan_url);
  REQUIRE(m);
  const std::string svg = qr_svg(*m);
  CHECK(svg.starts_with("<svg"));
  CHECK(svg.ends_with("</svg>"));
  CHECK(svg.find("xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
  const std::string n = std::to_string(m->size + 8);
  CHECK(svg.find("viewBox=\"0 0 " + n + " " + n + "\"") != std::string::npos);
  CHECK(svg.find("width=\"240\"") != std::string::npos);
  CHECK(occurrences(svg, "<path") == 1);
  CHECK(occurrences(svg, "h1v1h-1z") == dark_count(*m));
  // The top-left module is dark and sits inside the four-module quiet zone.
  CHECK(svg.find("d=\"M4 4h1v1h-1z") != std::string::npos);
  // Every tag that opens is closed.
  CHECK(occurrences(svg, "<") == occurrences(svg, ">"));
  CHECK(occurrences(svg, "\"") % 2 == 0);

  const std::string small = qr_svg(*m, 120);
  CHECK(small.find("width=\"120\" height=\"120\"") != std::string::npos);
}

TEST_CASE("qr_code: zbarimg reads the code back", "[unit][qr]") {
  if (::access("/usr/bin/zbarimg", X_OK) != 0)
    FAIL("zbarimg is missing: install zbar-tools (tests/scripts/install-deps.sh --tests installs it)");
  const std::string text = GENERATE(as<std::string>{}, "https://192.168.1.20:3000", "https://[2001:db8::5]:8443/",
                                    "http://myapp.test:5173/some/page?q=1&r=two#frag");
  INFO(text);
  const auto m = make_qr(text);
  REQUIRE(m);
  test::temp_dir tmp("liveproxy-qr");
  const auto file = tmp / "code.pbm";
  write_pbm(file, *m, 4);
  const auto r = zbarimg(file);
  INFO("zbarimg's stderr: " << r.err);
  CHECK(r.ok);
  CHECK(r.out == text + "\n");
}

TEST_CASE("qr_code: zbarimg finds nothing in a blank image", "[unit][qr]") {
  // The round trip above means something only if the decoder does not answer regardless.
  if (::access("/usr/bin/zbarimg", X_OK) != 0)
    FAIL("zbarimg is missing: install zbar-tools (tests/scripts/install-deps.sh --tests installs it)");
  qr_matrix blank;
  blank.size = 25;
  blank.dark.assign(25 * 25, false);
  test::temp_dir tmp("liveproxy-qr");
  const auto file = tmp / "blank.pbm";
  write_pbm(file, blank, 4);
  const auto r = zbarimg(file);
  INFO("zbarimg's stderr: " << r.err);
  CHECK_FALSE(r.ok);
  CHECK(r.out.empty());
}
