// Git-style wildcard matching (wildmatch) of '/'-separated relative paths.
#pragma once

#include <string_view>

namespace liveproxy::watcher {

/// Matches text against a git wildmatch pattern with pathname semantics:
/// '*' and '?' never match '/', "**" between slashes (or at either end) matches any number of
/// directories, "[abc]", "[a-z]", "[!x]"/"[^x]" and "[[:alpha:]]"-style classes, '\' escapes the next character.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

}  // namespace liveproxy::watcher
