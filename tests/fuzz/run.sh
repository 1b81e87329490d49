#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) and runs each from its seed corpus for a
# number of runs, two targets at a time; prints runs, executions per second, new inputs and final coverage per
# target, and exits non-zero if any target crashed, hung or broke a property.
#
# usage: tests/fuzz/run.sh [--exact] [--runs N] [--max-seconds S] [--seed N] [--replay] [--build-dir D] [TARGET...]
#   --exact          the CI gate, replay-exact: it passes or fails alike on every machine, with the same figures.
#                    The seeds sorted by name (C locale) and copied under fixed names, given as a list (not a
#                    folder read in directory order); nothing kept from an earlier run; no shuffle; seed 1 unless
#                    --seed says otherwise; one process per target; no time cap (the runs decide the end). What
#                    libFuzzer would otherwise take from the machine is pinned: address-space randomisation off
#                    (setarch -R), the same environment and the same relative paths (inlined library code compares
#                    addresses of different objects, so coverage follows the memory layout), and no comparison
#                    tracing (-use_cmp=0: it would feed pointer values into the mutations).
#   --runs N         inputs each target runs, seeds included (default 200000; --exact: 100000)
#   --max-seconds S  stop a target after S seconds even if its runs are not done (default 120; not with --exact)
#   --seed N         libFuzzer's random seed (default: a new one each run, or 1 with --exact)
#   --replay         run every corpus input once, no mutation
#   --build-dir D    where to build (default build-fuzz)
# Without --exact (exploring, for developers) new inputs collect in <build-dir>/corpus/<target> and are fuzzed
# from again at the next run.
# A crash is saved as <build-dir>/crashes/<target>-crash-<sha1>. Fix the bug, then copy the file into
# tests/fuzz/corpus/<target>/: ctest replays every corpus in every build, so it stays a regression test.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=
max_seconds=120
replay=0
exact=0
seed=
build=build-fuzz
targets=()
while (($#)); do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --max-seconds) max_seconds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --replay) replay=1; shift ;;
    --exact) exact=1; shift ;;
    --build-dir) build="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || for d in tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
if ((exact)); then
  runs=${runs:-100000}
  seed=${seed:-1}
else
  runs=${runs:-200000}
fi

cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIVEPROXY_FUZZ=ON \
  -DLIVEPROXY_WERROR=ON >/dev/null
cmake --build "$build" -j2

out="$build/results"
rm -rf "$out"
mkdir -p "$out" "$build/crashes"
# UBSan reports must abort (libFuzzer then saves the input); leaks found at exit are crashes too.
sanitizer_env=(UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
               ASAN_OPTIONS=abort_on_error=1:detect_leaks=1)
export "${sanitizer_env[@]}"

dict_for() {
  case "$1" in
    html_injector|error_page) echo tests/fuzz/dict/html.dict ;;
    csp_policy) echo tests/fuzz/dict/csp.dict ;;
    config_file|livereload_protocol|watchman_protocol) echo tests/fuzz/dict/json.dict ;;
    request_framing|host_check) echo tests/fuzz/dict/http.dict ;;
    glob|ignore_rules) echo tests/fuzz/dict/glob.dict ;;
  esac
}

# Address-space randomisation off for --exact, where the machine allows it (a container may refuse personality(2)).
no_aslr=(setarch "$(uname -m)" -R)
if ((exact)) && ! "${no_aslr[@]}" true 2>/dev/null; then
  echo "run.sh: setarch -R is refused here: the figures may differ from another machine's" >&2
  no_aslr=()
fi

# --exact: the target runs in <build>/exact/<target>/ as ./fuzz, its seeds copied to s/000000, s/000001, ... in
# sorted order and listed in the file "seeds", its dictionary as ./dict: argv, the paths it opens and the
# environment are the same bytes on every machine and in every build directory.
run_exact() {
  local t="$1" dict="$2" work="$build/exact/$1" i=0 f
  rm -rf "$work"
  mkdir -p "$work/s"
  while IFS= read -r f; do
    cp "$f" "$work/s/$(printf '%06d' "$i")"
    i=$((i + 1))
  done < <(find "tests/fuzz/corpus/$t" -type f | LC_ALL=C sort)
  (cd "$work/s" && ls | LC_ALL=C sort | sed 's|^|s/|' | paste -sd, >../seeds)
  cp "$build/tests/fuzz/${t}_fuzz" "$work/fuzz"
  [[ -z "$dict" ]] || cp "$dict" "$work/dict"
  (cd "$work" && env -i PATH=/usr/bin:/bin HOME=/nonexistent LC_ALL=C "${sanitizer_env[@]}" \
     "${no_aslr[@]}" ./fuzz -runs="$runs" -seed="$seed" -seed_inputs=@seeds -shuffle=0 -reload=0 \
     -use_cmp=0 -use_memmem=0 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=crash- \
     ${dict:+-dict=dict}) >"$out/$t.log" 2>&1 || {
    local status=$?
    for f in "$work"/crash-*; do [[ -e "$f" ]] && cp "$f" "$build/crashes/$t-$(basename "$f")"; done
    return "$status"
  }
}

run_one() {
  local t="$1" bin="$build/tests/fuzz/$1_fuzz" seeds="tests/fuzz/corpus/$1" dict
  if ((replay)); then
    "$bin" -runs=0 -artifact_prefix="$build/crashes/$t-" "$seeds" >"$out/$t.log" 2>&1
    return
  fi
  dict=$(dict_for "$t")
  if ((exact)); then
    run_exact "$t" "$dict"
    return
  fi
  # New inputs go to a scratch folder first on the line (libFuzzer writes there), never into the seeds.
  mkdir -p "$build/corpus/$t"
  "$bin" -runs="$runs" -max_total_time="$max_seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$t-" ${dict:+-dict="$dict"} ${seed:+-seed="$seed"} "$build/corpus/$t" \
    "$seeds" >"$out/$t.log" 2>&1
}

stat_of() { sed -n "s/^stat::$2: *//p" "$out/$1.log" | tail -1; }
# cov and ft: libFuzzer's coverage and features at the end (with --exact, the same on every machine).
final_of() { sed -n "s/^#[0-9]*[[:space:]]*DONE .* $2: \([0-9]*\).*/\1/p" "$out/$1.log" | tail -1; }

# Two at a time: CI has two cores, and each target is single-threaded.
for t in "${targets[@]}"; do
  [[ -x "$build/tests/fuzz/${t}_fuzz" ]] || { echo "run.sh: no target $t" >&2; exit 2; }
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
printf '%-20s %9s %7s %9s %7s %6s %6s %7s  %s\n' target runs seconds exec/s new cov ft rss_mb result
for t in "${targets[@]}"; do
  status=$(cat "$out/$t.status")
  result=ok
  ((status == 0)) || { result="FAILED ($status)"; failed+=("$t"); }
  seconds=$(awk '{ printf "%.1f", $2 - $1 }' "$out/$t.time")
  if ((replay)); then
    executed=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
  else
    executed=$(stat_of "$t" number_of_executed_units)
  fi
  rate=$(awk -v n="${executed:-0}" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
  printf '%-20s %9s %7s %9s %7s %6s %6s %7s  %s\n' "$t" "${executed:--}" "$seconds" "$rate" \
    "$(stat_of "$t" new_units_added)" "$(final_of "$t" cov)" "$(final_of "$t" ft)" "$(stat_of "$t" peak_rss_mb)" \
    "$result"
done
for t in "${failed[@]}"; do
  echo "---- $t: $out/$t.log (last lines)"
  tail -40 "$out/$t.log"
done
((${#failed[@]} == 0))
