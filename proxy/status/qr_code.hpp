// A QR code of a URL, for a phone's camera: encoded by libqrencode, drawn here for a terminal and as SVG.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// The modules of a QR code, row by row (true: dark), without the quiet zone.
struct qr_matrix {
  int size = 0;
  std::vector<bool> dark;
  bool at(int x, int y) const { return x >= 0 && y >= 0 && x < size && y < size && dark[y * size + x]; }
};

/// The code for `text` at error correction level M; nullopt when it cannot be made (too long).
std::optional<qr_matrix> make_qr(std::string_view text);

/// Lines of Unicode half blocks, two module rows per line, black on white whatever the terminal's colours,
/// with a quiet zone of two modules.
std::string qr_terminal(const qr_matrix& qr);

/// An SVG image of the code (black on white, a quiet zone of four modules), `pixels` wide.
std::string qr_svg(const qr_matrix& qr, int pixels = 240);

}  // namespace liveproxy
