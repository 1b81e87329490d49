// Reading a command-line option's value: each failure names the option and says what it takes.
#pragma once

#include "proxy/settings/config.hpp"

#include <charconv>
#include <chrono>
#include <string>
#include <string_view>

namespace liveproxy {

/// A whole number from lo to hi: "--port: expected a number from 0 to 65535, got '70000'".
template <typename T>
T option_number(std::string_view opt, std::string_view text, T lo, T hi) {
  T value{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || value < lo || value > hi)
    throw config_error(std::string(opt) + ": expected a number from " + std::to_string(lo) + " to " +
                       std::to_string(hi) + ", got '" + std::string(text) + "'");
  return value;
}

/// Seconds, fractions allowed (0.5), more than 0 and at most a day.
std::chrono::milliseconds option_seconds(std::string_view opt, std::string_view text);

/// --host's value: an address, or a name resolved once; one that does not resolve is a usage error.
std::string option_host(std::string_view text);

}  // namespace liveproxy
