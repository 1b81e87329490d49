// Recognising a Python command, and the warm interpreter's private directory.
#include "proxy/app/python_preload.hpp"

#include "proxy/app/project_presets.hpp"
#include "proxy/base/assets.hpp"

#include <cstdlib>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

namespace liveproxy {
namespace fs = std::filesystem;
namespace {

bool is_python_name(const std::string& program) {
  static const std::regex name(R"(python([0-9]+(\.[0-9]+)*)?)");
  return std::regex_match(fs::path(program).filename().string(), name);
}

/// The interpreter a script's #! line names ("/usr/bin/env python3" gives "python3"), with its one argument.
std::optional<std::pair<std::string, std::string>> shebang(const fs::path& script) {
  std::ifstream in(script, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line) || !line.starts_with("#!")) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::string rest = line.substr(2);
  auto word = [&rest]() {
    const auto b = rest.find_first_not_of(" \t");
    if (b == std::string::npos) return std::string();
    const auto e = rest.find_first_of(" \t", b);
    std::string w = rest.substr(b, e == std::string::npos ? std::string::npos : e - b);
    rest = e == std::string::npos ? "" : rest.substr(e);
    return w;
  };
  std::string interpreter = word();
  std::string arg = word();
  if (fs::path(interpreter).filename() == "env") {
    interpreter = arg;
    arg = word();
  }
  if (interpreter.empty()) return std::nullopt;
  return std::make_pair(interpreter, arg);
}

/// Interpreter options that only change how the interpreter runs: kept for the warm one. Anything else (-c, -i,
/// -I, -, --help...) changes what runs or where modules come from.
constexpr std::string_view plain_flag_letters = "bBdEOqsuvRP";

}  // namespace

std::optional<python_command> parse_python_command(const std::vector<std::string>& argv, std::string& why_not) {
  if (argv.empty()) {
    why_not = "there is no command";
    return std::nullopt;
  }
  python_command cmd;
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (is_python_name(argv[0])) {
    cmd.interpreter = argv[0];
  } else {
    const std::string found = argv[0].find('/') == std::string::npos ? find_program(argv[0]) : argv[0];
    const auto line = found.empty() ? std::nullopt : shebang(found);
    if (!line || !is_python_name(line->first)) {
      why_not = "the command does not start Python (" + fs::path(argv[0]).filename().string() + ")";
      return std::nullopt;
    }
    // A console script: `python3 SCRIPT args`, with the #! line's own option if it has one.
    cmd.interpreter = line->first;
    if (!line->second.empty()) rest.insert(rest.begin(), line->second);
    rest.insert(rest.begin() + (line->second.empty() ? 0 : 1), found);
  }
  std::size_t i = 0;
  for (; i < rest.size(); ++i) {
    const std::string& a = rest[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;  // the script ("-" alone is stdin: refused below)
    if (a == "-m" || (a.starts_with("-m") && a.size() > 2)) break;
    if (a == "-W" || a == "-X") {
      if (i + 1 >= rest.size()) break;
      cmd.flags.push_back(a);
      cmd.flags.push_back(rest[++i]);
      continue;
    }
    if (a.starts_with("-W") || a.starts_with("-X")) {
      cmd.flags.push_back(a);
      continue;
    }
    if (a.starts_with("--") || a.find_first_not_of(plain_flag_letters, 1) != std::string::npos) {
      why_not = "Python's option " + a + " is not supported with --preload";
      return std::nullopt;
    }
    cmd.flags.push_back(a);
  }
  if (i >= rest.size()) {
    why_not = "the Python command runs no script or module";
    return std::nullopt;
  }
  if (rest[i] == "-") {
    why_not = "the Python command reads its program from standard input";
    return std::nullopt;
  }
  if (rest[i].starts_with("-m") && rest[i].size() > 2) {
    cmd.args = {"-m", rest[i].substr(2)};
    ++i;
  } else if (rest[i] == "-m") {
    if (i + 1 >= rest.size()) {
      why_not = "-m names no module";
      return std::nullopt;
    }
    cmd.args = {"-m", rest[i + 1]};
    i += 2;
  }
  cmd.args.insert(cmd.args.end(), rest.begin() + static_cast<std::ptrdiff_t>(i), rest.end());
  return cmd;
}

preload_files::preload_files() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  std::error_code ec;
  fs::path base = runtime != nullptr && *runtime != '\0' && fs::is_directory(runtime, ec) ? fs::path(runtime)
                                                                                           : fs::temp_directory_path(ec);
  if (base.empty()) base = "/tmp";
  std::string templ = (base / "liveproxy-preload-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr)
    throw std::runtime_error("--preload: cannot create a directory in " + base.string() + ": " +
                             std::generic_category().message(errno));
  dir_ = templ;
  script_ = dir_ / "liveproxy_preload.py";
  modules_ = dir_ / "modules.txt";
  std::ofstream out(script_, std::ios::binary);
  out << assets::python_preload_py;
  std::ofstream(modules_, std::ios::binary).flush();
  if (!out.flush()) throw std::runtime_error("--preload: cannot write " + script_.string());
}

preload_files::~preload_files() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::vector<std::string> preload_files::command(const python_command& cmd) const {
  std::vector<std::string> out{cmd.interpreter};
  out.insert(out.end(), cmd.flags.begin(), cmd.flags.end());
  out.push_back(script_.string());
  out.insert(out.end(), cmd.args.begin(), cmd.args.end());
  return out;
}

std::vector<std::string> preload_files::env(const std::vector<fs::path>& project_dirs) const {
  std::string dirs;
  for (const auto& d : project_dirs) {
    std::error_code ec;
    const auto real = fs::weakly_canonical(fs::absolute(d, ec), ec);
    dirs += (dirs.empty() ? "" : ":") + (ec ? d.string() : real.string());
  }
  return {"LIVEPROXY_PRELOAD_LEARN=" + modules_.string(), "LIVEPROXY_PRELOAD_EXCLUDE=" + dirs};
}

}  // namespace liveproxy
