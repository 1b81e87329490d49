// Whether liveproxy and the tests were built with sanitizers (tests/scripts/sanitize.sh), for the few tests that
// measure what only the release build can show.
#pragma once

#include <catch2/catch.hpp>

namespace liveproxy::test {

/// True in a LIVEPROXY_SANITIZE build. Its allocator pads every block, holds freed memory in a quarantine and
/// maps shadow memory, so resident-memory figures say nothing about liveproxy's own.
inline constexpr bool sanitized = LIVEPROXY_SANITIZED != 0;

}  // namespace liveproxy::test

/// Ends the test in a sanitizer build, saying why; ctest reports it as skipped (tests/CMakeLists.txt).
#define SKIP_UNDER_SANITIZERS(why)                   \
  do {                                               \
    if (::liveproxy::test::sanitized) {              \
      WARN("skipped under sanitizers: " << (why));   \
      return;                                        \
    }                                                \
  } while (false)
