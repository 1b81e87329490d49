#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) into ./build-fuzz and runs each from its
# seed corpus for a fixed number of runs, two targets at a time; prints runs, executions per second and new
# inputs per target, and exits non-zero if any target crashed, hung or broke a property.
#
# usage: tests/fuzz/run.sh [--runs N] [--max-seconds S] [--seed N] [--replay] [TARGET...]
#   --runs N         inputs each target runs, seeds included (default 200000, as CI)
#   --max-seconds S  stop a target after S seconds even if its runs are not done (default 120)
#   --seed N         libFuzzer's random seed (default: a new one each run); CI fixes it, so that what passed
#                    here passes there and a failure can be replayed
#   --replay         run every corpus input once, no mutation
# A crash is saved as build-fuzz/crashes/<target>-crash-<sha1>. Fix the bug, then copy the file into
# tests/fuzz/corpus/<target>/: ctest replays every corpus in every build, so it stays a regression test.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=200000
max_seconds=120
replay=0
seed=
targets=()
while (($#)); do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --max-seconds) max_seconds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --replay) replay=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || for d in tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done

cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIVEPROXY_FUZZ=ON \
  -DLIVEPROXY_WERROR=ON >/dev/null
cmake --build build-fuzz -j2

out=build-fuzz/results
rm -rf "$out"
mkdir -p "$out" build-fuzz/crashes
# UBSan reports must abort (libFuzzer then saves the input); leaks found at exit are crashes too.
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1

dict_for() {
  case "$1" in
    html_injector) echo tests/fuzz/dict/html.dict ;;
    csp_policy) echo tests/fuzz/dict/csp.dict ;;
    config_file|livereload_protocol|watchman_protocol) echo tests/fuzz/dict/json.dict ;;
    request_framing|host_check) echo tests/fuzz/dict/http.dict ;;
    glob|ignore_rules) echo tests/fuzz/dict/glob.dict ;;
  esac
}

run_one() {
  local t="$1" bin="build-fuzz/tests/fuzz/$1_fuzz" seeds="tests/fuzz/corpus/$1" dict
  if ((replay)); then
    "$bin" -runs=0 -artifact_prefix="build-fuzz/crashes/$t-" "$seeds" >"$out/$t.log" 2>&1
    return
  fi
  # New inputs go to a scratch folder first on the line (libFuzzer writes there), never into the seeds.
  mkdir -p "build-fuzz/corpus/$t"
  dict=$(dict_for "$t")
  "$bin" -runs="$runs" -max_total_time="$max_seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$t-" ${dict:+-dict="$dict"} ${seed:+-seed="$seed"} "build-fuzz/corpus/$t" \
    "$seeds" \
    >"$out/$t.log" 2>&1
}

stat_of() { sed -n "s/^stat::$2: *//p" "$out/$1.log" | tail -1; }

# Two at a time: CI has two cores, and each target is single-threaded.
for t in "${targets[@]}"; do
  [[ -x "build-fuzz/tests/fuzz/${t}_fuzz" ]] || { echo "run.sh: no target $t" >&2; exit 2; }
  while (($(jobs -rp | wc -l) >= 2)); do wait -n || true; done
  (
    status=0
    start=$(date +%s.%N)
    run_one "$t" || status=$?
    echo "$start $(date +%s.%N)" >"$out/$t.time"
    echo "$status" >"$out/$t.status"
  ) &
done
wait

failed=()
# exec/s from the wall time of the whole run (libFuzzer's own figure is whole runs over whole seconds).
printf '%-20s %9s %7s %9s %7s %7s  %s\n' target runs seconds exec/s new rss_mb result
for t in "${targets[@]}"; do
  status=$(cat "$out/$t.status")
  result=ok
  ((status == 0)) || { result="FAILED ($status)"; failed+=("$t"); }
  seconds=$(awk '{ printf "%.1f", $2 - $1 }' "$out/$t.time")
  if ((replay)); then
    runs=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
  else
    runs=$(stat_of "$t" number_of_executed_units)
  fi
  rate=$(awk -v n="${runs:-0}" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
  printf '%-20s %9s %7s %9s %7s %7s  %s\n' "$t" "${runs:--}" "$seconds" "$rate" "$(stat_of "$t" new_units_added)" \
    "$(stat_of "$t" peak_rss_mb)" "$result"
done
for t in "${failed[@]}"; do
  echo "---- $t: $out/$t.log (last lines)"
  tail -40 "$out/$t.log"
done
((${#failed[@]} == 0))
