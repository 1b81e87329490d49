// QR codes through libqrencode; the drawing (terminal half blocks, SVG) is ours.
#include "proxy/status/qr_code.hpp"

#include <qrencode.h>

#include <memory>

namespace liveproxy {

std::optional<qr_matrix> make_qr(std::string_view text) {
  const std::string s(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(QRcode_encodeString8bit(s.c_str(), 0, QR_ECLEVEL_M),
                                                       &QRcode_free);
  if (!code) return std::nullopt;
  qr_matrix m;
  m.size = code->width;
  m.dark.resize(static_cast<std::size_t>(m.size) * static_cast<std::size_t>(m.size));
  for (int i = 0; i < m.size * m.size; ++i) m.dark[static_cast<std::size_t>(i)] = (code->data[i] & 1) != 0;
  return m;
}

std::string qr_terminal(const qr_matrix& qr) {
  // Explicit colours (black on white) so the code reads on a dark and a light terminal alike: a scanner wants
  // dark modules on a light ground.
  constexpr int quiet = 2;
  constexpr std::string_view on = "\x1b[30;47m", off = "\x1b[0m";
  std::string out;
  for (int y = -quiet; y < qr.size + quiet; y += 2) {
    out += on;
    for (int x = -quiet; x < qr.size + quiet; ++x) {
      const bool top = qr.at(x, y), bottom = qr.at(x, y + 1);
      out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
    }
    out += off;
    out += '\n';
  }
  return out;
}

std::string qr_svg(const qr_matrix& qr, int pixels) {
  constexpr int quiet = 4;
  const int n = qr.size + 2 * quiet;
  std::string path;
  for (int y = 0; y < qr.size; ++y)
    for (int x = 0; x < qr.size; ++x)
      if (qr.at(x, y)) path += "M" + std::to_string(x + quiet) + " " + std::to_string(y + quiet) + "h1v1h-1z";
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(n) + " " + std::to_string(n) +
         "\" width=\"" + std::to_string(pixels) + "\" height=\"" + std::to_string(pixels) +
         "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"" +
         path + "\"/></svg>";
}

}  // namespace liveproxy
