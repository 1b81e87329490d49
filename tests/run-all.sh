#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what is missing, build, run every test with ctest (which also
# replays every fuzz corpus), then the unit and integration tests again under AddressSanitizer and
# UndefinedBehaviorSanitizer, then every fuzz target for a bounded number of runs.
# usage: tests/run-all.sh [--quick]     (--quick: the plain build and ctest only, for a fast local check)
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step says how long it took: CI has 90 minutes on two cores, and the whole run must stay well inside.
step() {
  local start=$SECONDS
  "$@"
  echo "run-all: $* took $((SECONDS - start)) s"
}

step bash tests/scripts/install-deps.sh --tests
step bash tests/scripts/build.sh
step ctest --test-dir build --output-on-failure -j2 --timeout 300
if [[ "${1:-}" != "--quick" ]]; then
  step bash tests/scripts/sanitize.sh
  step bash tests/fuzz/run.sh --exact
fi
echo "run-all: everything took $SECONDS s"
