// Opening a file of a crash in the developer's editor: which editor, its command line for a file and line, and
// running it. The file and line come from liveproxy's own reading of the crash, never from a request.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liveproxy {

/// An editor's command line, with {file}, {line} and {col} in its arguments.
struct editor_command {
  std::vector<std::string> argv;
  /// It runs in a terminal (vim, nvim, nano, hx, emacs without a window): liveproxy prints the command for the
  /// user instead of taking over its own terminal with it.
  bool terminal = false;
};

/// The editor from the setting (--editor, "editor"), else $LIVEPROXY_EDITOR, $VISUAL, $EDITOR (asked of `env`).
/// A value with {file} is a command line of its own (split on blanks; quotes keep a blank in a word); a known
/// editor's name or path gets its own way to say a line (code -r -g FILE:L:C, subl FILE:L:C, idea --line L FILE,
/// vim +L FILE, emacsclient -n +L:C FILE...); an unknown one gets the file alone. Nullopt: none is set.
std::optional<editor_command> choose_editor(std::string_view setting,
                                            const std::function<const char*(const char*)>& env);

/// The command for one place, placeholders filled (a column of 0 becomes 1).
std::vector<std::string> editor_argv(const editor_command& e, const std::string& file, int line, int column);

/// Runs argv detached: its own session, no terminal, stdin and output to /dev/null, not waited for (no zombie
/// is left). No shell: a file name cannot inject a command. False when it cannot be started.
bool launch_detached(const std::vector<std::string>& argv);

}  // namespace liveproxy
