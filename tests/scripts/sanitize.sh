#!/usr/bin/env bash
# The unit and integration tests and the fuzz corpus replays, built with AddressSanitizer and
# UndefinedBehaviorSanitizer into ./build-asan (warnings are errors, as in CI): a memory error, a leak when a
# process exits, or undefined behaviour fails the run. The browser, package and benchmark
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
# Inherited by every process the tests start (liveproxy, its guard). halt_on_error: the first report ends the
# process. Reports go to files, one per process: a liveproxy that leaks or errs as a test stops it at the end is
# caught too, though no test looks at how it exited.
logs="$PWD/build-asan/sanitizer-reports"
rm -rf "$logs"
mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:check_initialization_order=1:strict_init_order=1:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
status=0
ctest --test-dir build-asan --output-on-failure -j2 --timeout 300 "$@" || status=$?
if compgen -G "$logs/*" >/dev/null; then
  echo "sanitize.sh: sanitizer reports (file name: asan|ubsan.<pid>):"
  for f in "$logs"/*; do
    echo "---- $f"
    cat "$f"
  done
  status=1
fi
exit "$status"
