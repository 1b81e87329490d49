// How far apart two words are, for "did you mean ...?" suggestions (options, config keys, program names).
#pragma once

#include <cstddef>
#include <string_view>

namespace liveproxy {

/// Edit distance with adjacent transpositions counted as one edit ("prot" is one away from "port").
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace liveproxy
