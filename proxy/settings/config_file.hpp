// liveproxy.json: finding it and reading it onto a config (each key through the settings table).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/settings/config.hpp"

namespace liveproxy {

/// The name liveproxy looks for in the current directory.
inline constexpr std::string_view config_file_name = "liveproxy.json";

/// dir/liveproxy.json if something by that name exists there (even a file that cannot be read, so that
/// reading it reports why rather than liveproxy silently running without it). find_config_file("") gives
/// the relative path "liveproxy.json", so messages name it as the user sees it.
std::optional<std::filesystem::path> find_config_file(const std::filesystem::path& dir);

/// Reads a liveproxy.json and sets on cfg the settings it names; the others stay as they are. Relative
/// paths ("watch", "serve") are resolved against the file's directory and made canonical.
///
/// Throws config_error "<file>:<line>:<col>: <what>" (the file as given; the line and column, from 1, of
/// the offending key or value, columns counted in characters) for invalid JSON, a key of the wrong type or
/// out of range, an unknown key (with "did you mean" when one is close), a key given twice, and settings the
/// file itself makes contradictory (two of "command", "upstream", "serve"; a key of one of those modes with
/// another). A file that cannot be read is "<file>: cannot read: <reason>". On any error cfg is unchanged.
///
/// Combinations with the command line (e.g. "spa" here and --serve there) are not judged here: the merged
/// config goes through the same checks as a command line.
void apply_config_file(config& cfg, const std::filesystem::path& file);

}  // namespace liveproxy
