// watchman's JSON protocol: the commands we send and the PDUs we read, without any I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace simdjson::dom {
class parser;
}

namespace liveproxy::watcher::watchman {

/// Capabilities we rely on; a server without one of them is too old.
const std::vector<std::string>& required_capabilities();

/// ["version", {"required": [...]}]: the server answers with an error naming a missing capability.
std::string version_command();
/// ["watch-project", path]
std::string watch_project_command(std::string_view path);
/// The subscription of one root: files and symlinks, minus the excluded directory names, with the
/// fields we read. relative_path: the root inside the watched project ("" when it is the project).
/// report_fresh: the first result lists every file (a root that came back), else it is empty.
std::string subscribe_command(std::string_view watch, std::string_view name, std::string_view relative_path,
                              const std::vector<std::string>& excluded_dirs, bool report_fresh);
/// ["unsubscribe", watch, name]
std::string unsubscribe_command(std::string_view watch, std::string_view name);
/// A query for every .gitignore under the root (outside the excluded directories): their rules
/// are needed before the first change arrives.
std::string gitignore_query(std::string_view watch, std::string_view relative_path,
                            const std::vector<std::string>& excluded_dirs);

/// Directory names that can be left out on watchman's side because they are ignored whatever the
/// rest of the rules say: the plain "name/" patterns among the defaults and the --ignore globs,
/// except those a negation ("!...", from --ignore or a .gitignore) might re-include.
std::vector<std::string> excluded_dir_names(const std::vector<std::string>& default_patterns,
                                            const std::vector<std::string>& extra_globs,
                                            const std::vector<std::string>& negations);

/// One file of a query or subscription result.
struct file {
  std::string name;  ///< relative to the subscription's relative_root
  bool exists = true;
  bool is_new = false;  ///< created since the previous result ("new"; with !exists: created and gone again)
  char type = 'f';  ///< 'f' file, 'd' directory, 'l' symlink, ...
};

/// One PDU (a line of JSON), reduced to what we use.
struct pdu {
  std::string error;         ///< the server's error message, if any
  bool unilateral = false;   ///< not an answer to a command (subscription results, logs)
  std::string subscription;  ///< the subscription this result is for
  bool canceled = false;     ///< the subscription ended (its root was deleted or moved away)
  bool fresh_instance = false;
  std::vector<file> files;
  std::string version;
  bool has_capabilities = false;  ///< version: the server negotiates capabilities (3.8 and later)
  std::string watch;          ///< watch-project: the watched project
  std::string relative_path;  ///< watch-project: where our root is inside it
  std::string sockname;       ///< get-sockname
};

/// Parses one PDU into out. Returns an empty string, or why the text is not a watchman PDU.
/// The parser is reused across calls; nothing in out refers into it.
std::string parse_pdu(simdjson::dom::parser& parser, std::string_view text, pdu& out);

/// Appends text as a JSON string literal.
void append_json_string(std::string& out, std::string_view text);

}  // namespace liveproxy::watcher::watchman
