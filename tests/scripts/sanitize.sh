#!/usr/bin/env bash
# The unit and integration tests and the fuzz corpus replays, built with AddressSanitizer and
# UndefinedBehaviorSanitizer into ./build-asan (warnings are errors, as in CI): a memory error, a leak when a
# process exits, or undefined behaviour fails the test that reached it. The browser, package and benchmark
# targets are left out of this build (tests/CMakeLists.txt says why).
# usage: tests/scripts/sanitize.sh [ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/../.."
# Unoptimised, with line tables and assertions (Beast's and Asio's too): GCC compiles the Beast and Asio code with
# ASan and UBSan five times slower at -O2 than at -O0, where it is faster than a release build, and the tests wait
# on sockets and processes far more than they compute. (-O0 also spares GCC's optimiser-based warnings, which
# misread the instrumentation: -Wmaybe-uninitialized, -Wmismatched-new-delete.)
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DLIVEPROXY_WERROR=ON \
  -DLIVEPROXY_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j2
# Inherited by the liveproxy processes the integration tests start. halt_on_error: the first report ends the
# process, so its test fails on it.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:check_initialization_order=1:strict_init_order=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ctest --test-dir build-asan --output-on-failure -j2 --timeout 300 "$@"
