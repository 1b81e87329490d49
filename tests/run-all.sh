#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what is missing, build, run every test with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/scripts/install-deps.sh --tests
bash tests/scripts/build.sh
ctest --test-dir build --output-on-failure -j2 --timeout 300
