#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what is missing, build, run every test with ctest; then the
# unit and integration tests again under ASan and UBSan, and every fuzz target for a bounded number of runs.
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
step bash tests/scripts/sanitize.sh
step bash tests/fuzz/run.sh --runs 200000 --max-seconds 120
echo "run-all: everything took $SECONDS s"
