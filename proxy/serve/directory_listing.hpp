// The page for a served directory that has no index.html.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace liveproxy {

/// A small HTML index of `dir`: directories first (with a trailing '/'), then files, each group by name
/// (case-insensitively, then bytewise), with size in bytes and modification time (UTC). Names are
/// HTML-escaped, links percent-encoded and relative (so the page works behind any prefix); a "../" link
/// except at "/". Names starting with '.' are left out unless `dotfiles`. `url_path` is the decoded path
/// the directory was asked for, ending in '/' (static_target::url_path). Unreadable entries are skipped.
std::string directory_listing_html(const std::filesystem::path& dir, std::string_view url_path, bool dotfiles);

}  // namespace liveproxy
