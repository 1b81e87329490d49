// Editors by name, and starting one without a shell.
#include "proxy/app/editor.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

namespace liveproxy {
namespace {

struct known_editor {
  std::string_view name;
  std::vector<std::string> args;  ///< after the program
  bool terminal = false;
};

const std::vector<known_editor>& known() {
  static const std::vector<known_editor> table{
      {"code", {"-r", "-g", "{file}:{line}:{col}"}},         {"code-insiders", {"-r", "-g", "{file}:{line}:{col}"}},
      {"codium", {"-r", "-g", "{file}:{line}:{col}"}},       {"cursor", {"-r", "-g", "{file}:{line}:{col}"}},
      {"subl", {"{file}:{line}:{col}"}},                     {"sublime_text", {"{file}:{line}:{col}"}},
      {"zed", {"{file}:{line}:{col}"}},                      {"mate", {"--line", "{line}", "{file}"}},
      {"idea", {"--line", "{line}", "--column", "{col}", "{file}"}},
      {"pycharm", {"--line", "{line}", "--column", "{col}", "{file}"}},
      {"webstorm", {"--line", "{line}", "--column", "{col}", "{file}"}},
      {"goland", {"--line", "{line}", "--column", "{col}", "{file}"}},
      {"phpstorm", {"--line", "{line}", "--column", "{col}", "{file}"}},
      {"rubymine", {"--line", "{line}", "--column", "{col}", "{file}"}},
      {"clion", {"--line", "{line}", "--column", "{col}", "{file}"}},
      {"emacsclient", {"-n", "+{line}:{col}", "{file}"}},
      {"gvim", {"+{line}", "{file}"}},
      {"vim", {"+{line}", "{file}"}, true},                  {"vi", {"+{line}", "{file}"}, true},
      {"nvim", {"+{line}", "{file}"}, true},                 {"nano", {"+{line},{col}", "{file}"}, true},
      {"micro", {"+{line}:{col}", "{file}"}, true},          {"hx", {"{file}:{line}:{col}"}, true},
      {"helix", {"{file}:{line}:{col}"}, true},              {"emacs", {"-nw", "+{line}:{col}", "{file}"}, true},
      {"kak", {"+{line}:{col}", "{file}"}, true},
  };
  return table;
}

/// Words of a command line: blanks separate, single or double quotes keep blanks in a word.
std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (const char c : line) {
    if (quote) {
      if (c == quote) quote = 0;
      else word.push_back(c);
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) out.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) out.push_back(std::move(word));
  return out;
}

std::string_view basename_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

void replace_all(std::string& s, std::string_view what, const std::string& with) {
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size())) s.replace(at, what.size(), with);
}

}  // namespace

std::optional<editor_command> choose_editor(std::string_view setting,
                                            const std::function<const char*(const char*)>& env) {
  std::string value(setting);
  for (const char* name : {"LIVEPROXY_EDITOR", "VISUAL", "EDITOR"}) {
    if (!value.empty()) break;
    if (const char* v = env(name); v != nullptr) value = v;
  }
  auto argv = words(value);
  if (argv.empty()) return std::nullopt;
  editor_command e;
  const auto program = basename_of(argv.front());
  const known_editor* k = nullptr;
  for (const auto& candidate : known())
    if (candidate.name == program) k = &candidate;
  e.terminal = k && k->terminal;
  if (value.find("{file}") != std::string::npos) {
    e.argv = std::move(argv);  // the user's own template
    return e;
  }
  e.argv = std::move(argv);
  if (k) e.argv.insert(e.argv.end(), k->args.begin(), k->args.end());
  else e.argv.emplace_back("{file}");  // an unknown editor: a line it might not understand is worse than none
  return e;
}

std::vector<std::string> editor_argv(const editor_command& e, const std::string& file, int line, int column) {
  std::vector<std::string> out;
  for (auto arg : e.argv) {
    replace_all(arg, "{line}", std::to_string(std::max(line, 1)));
    replace_all(arg, "{col}", std::to_string(std::max(column, 1)));
    replace_all(arg, "{file}", file);  // last: a file name holding "{line}" stays as it is
    out.push_back(std::move(arg));
  }
  return out;
}

bool launch_detached(const std::vector<std::string>& argv) {
  if (argv.empty()) return false;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Twice forked: the editor is nobody's child here, so it is never a zombie of ours and outlives liveproxy.
  const pid_t child = ::fork();
  if (child < 0) return false;
  if (child == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
    }
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace liveproxy
