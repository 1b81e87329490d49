// Error pages: the template lives in assets/error.html; here we only escape and fill it.
#include "proxy/browser/error_page.hpp"

#include "proxy/base/assets.hpp"
#include "proxy/base/terminal_text.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <utility>

namespace liveproxy {
namespace {

/// The template with each {{name}} replaced by its value, in one pass: what is inserted is never scanned again
/// (app output holding "{{script}}" stays text), and the work is linear in the page's size.
std::string fill(std::string_view tmpl, std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  std::size_t size = tmpl.size();
  for (const auto& [name, value] : values) size += value.size();
  std::string out;
  out.reserve(size);
  for (std::size_t pos = 0;;) {
    const auto open = tmpl.find("{{", pos);
    const auto close = open == std::string_view::npos ? open : tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out.append(tmpl.substr(pos));
      return out;
    }
    const auto name = tmpl.substr(open + 2, close - open - 2);
    out.append(tmpl.substr(pos, open - pos));
    const auto it = std::find_if(values.begin(), values.end(), [&](const auto& v) { return v.first == name; });
    if (it != values.end()) out.append(it->second);
    else out.append(tmpl.substr(open, close + 2 - open));  // not a placeholder of ours: as written
    pos = close + 2;
  }
}

/// The current SGR state, as the classes of one span.
struct sgr_state {
  bool bold = false, dim = false, italic = false, underline = false;
  int fg = -1, bg = -1;  ///< 0-15, or -1 for the default

  bool plain() const { return !bold && !dim && !italic && !underline && fg < 0 && bg < 0; }
  std::string classes() const {
    std::string c;
    auto add = [&c](std::string_view cls) { c.append(c.empty() ? "" : " ").append(cls); };
    if (bold) add("ansi-bold");
    if (dim) add("ansi-dim");
    if (italic) add("ansi-italic");
    if (underline) add("ansi-underline");
    if (fg >= 0) add("ansi-fg" + std::to_string(fg));
    if (bg >= 0) add("ansi-bg" + std::to_string(bg));
    return c;
  }
};

/// Maps a 256-colour index to the nearest of the 16 basic colours (the page has no palette for more).
int nearest16(int idx) {
  if (idx < 16) return idx;
  int r, g, b;
  if (idx >= 232) {
    const int level = (idx - 232) * 10 + 8;
    return level < 60 ? 0 : level < 150 ? 8 : level < 220 ? 7 : 15;
  }
  idx -= 16;
  r = idx / 36, g = (idx / 6) % 6, b = idx % 6;
  const bool bright = r > 3 || g > 3 || b > 3;
  const int bits = (r >= 2 ? 1 : 0) | (g >= 2 ? 2 : 0) | (b >= 2 ? 4 : 0);
  return bits + (bright ? 8 : 0);
}

int rgb16(int r, int g, int b) {
  const int bits = (r >= 128 ? 1 : 0) | (g >= 128 ? 2 : 0) | (b >= 128 ? 4 : 0);
  return bits + ((r > 200 || g > 200 || b > 200) ? 8 : 0);
}

void apply_sgr(std::string_view params, sgr_state& st) {
  std::vector<int> codes;
  for (std::size_t pos = 0; pos <= params.size();) {
    auto end = params.find_first_of(";:", pos);
    if (end == std::string_view::npos) end = params.size();
    int v = 0;
    std::from_chars(params.data() + pos, params.data() + end, v);
    codes.push_back(v);
    pos = end + 1;
  }
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const int c = codes[i];
    if (c == 0) st = {};
    else if (c == 1) st.bold = true;
    else if (c == 2) st.dim = true;
    else if (c == 3) st.italic = true;
    else if (c == 4) st.underline = true;
    else if (c == 22) st.bold = st.dim = false;
    else if (c == 23) st.italic = false;
    else if (c == 24) st.underline = false;
    else if (c >= 30 && c <= 37) st.fg = c - 30;
    else if (c >= 90 && c <= 97) st.fg = c - 90 + 8;
    else if (c == 39) st.fg = -1;
    else if (c >= 40 && c <= 47) st.bg = c - 40;
    else if (c >= 100 && c <= 107) st.bg = c - 100 + 8;
    else if (c == 49) st.bg = -1;
    else if ((c == 38 || c == 48) && i + 1 < codes.size()) {
      int colour = -1;
      if (codes[i + 1] == 5 && i + 2 < codes.size()) {
        colour = nearest16(codes[i + 2] & 0xff);
        i += 2;
      } else if (codes[i + 1] == 2 && i + 4 < codes.size()) {
        colour = rgb16(codes[i + 2], codes[i + 3], codes[i + 4]);
        i += 4;
      }
      (c == 38 ? st.fg : st.bg) = colour;
    }
  }
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string ansi_to_html(std::string_view line) {
  std::string out;
  out.reserve(line.size() + 16);
  sgr_state st;
  bool open = false;
  std::size_t text_start = 0;
  auto flush_text = [&](std::size_t end) { out += html_escape(line.substr(text_start, end - text_start)); };
  for (std::size_t i = 0; i < line.size();) {
    if (line[i] != '\x1b') {
      ++i;
      continue;
    }
    flush_text(i);
    const auto len = ansi_escape_length(line, i);
    const auto seq = line.substr(i, len);
    i += len;
    text_start = i;
    if (seq.size() < 3 || seq[1] != '[' || seq.back() != 'm') continue;
    apply_sgr(seq.substr(2, seq.size() - 3), st);
    if (open) out += "</span>";
    open = !st.plain();
    if (open) out += "<span class=\"" + st.classes() + "\">";
  }
  flush_text(line.size());
  if (open) out += "</span>";
  return out;
}

namespace {

std::string shown_file(const error_info& info, std::size_t frame) {
  return frame < info.shown_files.size() ? info.shown_files[frame] : info.crash.frames[frame].file;
}

/// A frame's place as a link the page's script opens in the editor (or copies): "mysite/settings.py:26".
std::string frame_link(const error_info& info, std::size_t frame) {
  const auto& f = info.crash.frames[frame];
  const std::string where = shown_file(info, frame) + ":" + std::to_string(f.line);
  return "<a class=\"open\" href=\"#\" data-frame=\"" + std::to_string(frame) + "\" data-where=\"" +
         html_escape(where + (f.column > 0 ? ":" + std::to_string(f.column) : "")) + "\">" + html_escape(where) +
         "</a>" + (f.function.empty() ? "" : " <span class=\"fn\">in " + html_escape(f.function) + "</span>");
}

/// The user's frames with their source, library frames folded between them.
std::string frames_html(const error_info& info) {
  const auto& frames = info.crash.frames;
  std::string out;
  std::vector<std::size_t> folded;
  auto fold = [&] {
    if (folded.empty()) return;
    out += "<details class=\"lib\"><summary>" + std::to_string(folded.size()) + " library frame" +
           (folded.size() == 1 ? "" : "s") + "</summary><ul>";
    for (const auto i : folded) out += "<li>" + frame_link(info, i) + "</li>";
    out += "</ul></details>";
    folded.clear();
  };
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (!frames[i].user) {
      folded.push_back(i);
      continue;
    }
    fold();
    out += "<div class=\"frame\"><div class=\"loc\">" + frame_link(info, i) + "</div>";
    for (const auto& e : info.excerpts) {
      if (e.frame != i) continue;
      out += "<pre class=\"source\">";
      for (std::size_t k = 0; k < e.lines.size(); ++k) {
        const int n = e.first_line + static_cast<int>(k);
        const bool here = n == frames[i].line;
        out += std::string(here ? "<mark>" : "") + "<span class=\"ln\">" + std::to_string(n) + "</span>" +
               html_escape(e.lines[k]) + (here ? "</mark>" : "\n");  // (a mark is a block: it ends its line)
        // Under the failing line, the caret the runtime printed (a SyntaxError's), when this is its frame.
        if (here && info.crash.where && *info.crash.where == frames[i] && info.crash.pointer.size() >= 2)
          out += "<span class=\"caret\"><span class=\"ln\"></span>" +
                 html_escape(info.crash.pointer[1].substr(std::min<std::size_t>(4, info.crash.pointer[1].size()))) +
                 "</span>\n";
      }
      out += "</pre>";
    }
    out += "</div>";
  }
  fold();
  return out;
}

}  // namespace

std::string render_error_html(const error_info& info, std::string_view script_tag) {
  std::string output;
  for (const auto& line : info.output) output.append(ansi_to_html(line)).push_back('\n');
  if (output.empty()) output = "(no output)";
  const bool caused = !info.cause_title.empty();
  const bool crashed = !info.crash.headline.empty();
  // The headline is the error itself when one was recognised; how the app ended is the line under it.
  std::string where;
  if (crashed && info.crash.where)
    for (std::size_t i = 0; i < info.crash.frames.size(); ++i)
      if (info.crash.frames[i] == *info.crash.where) {
        where = frame_link(info, i);
        break;
      }
  // The page is built from trusted template text; every inserted value is escaped first, and filled in once.
  const std::string status = std::to_string(info.status);
  const std::string title = html_escape(crashed ? info.crash.headline : caused ? info.cause_title : info.title);
  const std::string how = crashed && caused ? html_escape(info.cause_title) + ". " : "";
  const std::string message = how + html_escape(caused ? info.cause : info.message);
  const std::string command = html_escape(info.command);
  const std::string lines = std::to_string(info.output.size());
  const std::string frames = crashed ? frames_html(info) : "";
  const std::string page = fill(assets::error_html, {{"status", status},
                                                     {"title", title},
                                                     {"where", where},
                                                     {"where_hidden", where.empty() ? " hidden" : ""},
                                                     {"message", message},
                                                     {"frames", frames},
                                                     {"frames_hidden", frames.empty() ? " hidden" : ""},
                                                     {"editor", html_escape(info.editor)},
                                                     {"command", command},
                                                     {"lines", lines},
                                                     {"output", output},
                                                     {"script", script_tag}});
  return page;
}

std::string render_error_text(const error_info& info) {
  const bool caused = !info.cause_title.empty();
  std::string shown_where;
  if (info.crash.where)
    for (std::size_t i = 0; i < info.crash.frames.size(); ++i)
      if (info.crash.frames[i] == *info.crash.where) shown_where = shown_file(info, i);
  // The error first, when there is one; how the app ended under it.
  std::string out = "liveproxy: " + std::to_string(info.status) + " " +
                    (!info.crash.headline.empty() ? info.crash.one_line(shown_where)
                     : caused                     ? info.cause_title
                                                  : info.title) +
                    "\n\n" + (!info.crash.headline.empty() && caused ? info.cause_title + ". " : "") +
                    (caused ? info.cause : info.message) + "\n";
  if (!info.command.empty()) out += "\ncommand: " + info.command + "\n";
  if (!info.files.empty()) {
    out += "\nfiles in the traceback (watched):\n";
    for (const auto& f : info.files) out += "  " + f + "\n";
  }
  if (!info.output.empty()) {
    out += "\napp output (last " + std::to_string(info.output.size()) + " lines):\n";
    for (const auto& line : info.output) out.append(strip_ansi(line)).push_back('\n');
  }
  return out;
}

}  // namespace liveproxy
