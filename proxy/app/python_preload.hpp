// --preload: can the app's command be run by a warm Python interpreter, and the files that interpreter uses.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace liveproxy {

/// How a command starts Python: `interpreter flags... args...`, where args is `SCRIPT ...` or `-m MODULE ...`.
struct python_command {
  std::string interpreter;
  std::vector<std::string> flags;  ///< interpreter options, kept as given (-u, -B, -X dev, -W error...)
  std::vector<std::string> args;
};

/// Reads a command as Python would: `python3 [flags] manage.py ...`, `python -m flask ...`, or a script whose
/// #! line names a Python (a console script such as `flask` or `gunicorn`, looked up on PATH). Returns nullopt
/// and sets why_not when the command does not start Python that way (another program, -c CODE, -i, -I...).
std::optional<python_command> parse_python_command(const std::vector<std::string>& argv, std::string& why_not);

/// A private directory (removed by the destructor) holding the warm interpreter's script and the list of modules
/// the app's runs imported, which the next warm interpreter preloads.
class preload_files {
 public:
  /// Creates the directory under $XDG_RUNTIME_DIR or the temporary directory; throws std::runtime_error.
  preload_files();
  ~preload_files();
  preload_files(const preload_files&) = delete;
  preload_files& operator=(const preload_files&) = delete;

  /// The command that runs `cmd` through the warm interpreter's script.
  std::vector<std::string> command(const python_command& cmd) const;
  /// Its environment: the module list, and the directories whose modules are the project's (never preloaded).
  std::vector<std::string> env(const std::vector<std::filesystem::path>& project_dirs) const;
  const std::filesystem::path& modules_file() const { return modules_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path script_;
  std::filesystem::path modules_;
};

}  // namespace liveproxy
