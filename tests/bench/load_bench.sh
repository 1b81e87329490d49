#!/usr/bin/env bash
# load_bench.sh: 1,000 concurrent keep-alive connections through liveproxy while the app restarts.
#
# Why: issue 12 asks for "1,000 concurrent keep-alive browser connections through the proxy with
# no errors and bounded memory, while the app restarts 10 times during the run", with the figures
# side by side with a direct run against the app in the same invocation. The claims to check are
# "no errors" (restarts must be invisible: requests are held while the app is down, never failed)
# and "bounded memory" (RSS and descriptors come back down; nothing grows from round to round).
# Rows, each with wrk -t1 -c1000 for a small stylesheet (app.css, 1 KB) and a 2 KB HTML page:
#   direct                wrk -> app (the origin nginx itself)                  (the reference)
#   liveproxy             wrk -> liveproxy -> app, no restarts
#   liveproxy+restarts    the same, while the app is restarted 10 times, evenly spaced over the
#                         run, each once the previous run of the app is ready
# It prints requests/s, p50/p99 latency, errors (wrk's connect/read/write/timeout socket errors and
# responses with status >= 400), liveproxy's CPU, its peak RSS in the row (VmHWM, reset before
# each row, and the highest VmRSS sampled every 0.2 s), the app's peak RSS, liveproxy's
# descriptors (before, highest during, after), the connections liveproxy opened to the app, and
# how long each restart took. It is a measurement, not a test: errors are printed, and the exit
# status stays 0. It exits non-zero only when something could not be measured (a server did not
# start, wrong responses, no figures from wrk, a restart refused or never ready again).
#
# Usage: tests/bench/load_bench.sh [--duration SECS] [--warmup SECS] [--rounds N]
#                 [--connections N] [--restarts N] [--wait-quiet] [--no-pin] [--keep-tmp]
#   --wait-quiet  first wait (up to 30 min, polling every 30 s) until the load average is below
#                 0.5 and no compiler, browser or test runner runs.
# Environment: DURATION (default 10), WARMUP (default 2), ROUNDS (3), CONNECTIONS (1000),
#   RESTARTS (10), LIVEPROXY_BINARY (default ./build/liveproxy).
#
# Setup choices:
# - The app is an nginx origin (one worker, written out in write_origin_conf below) supervised by
#   liveproxy, as in proxy_bench.sh: `liveproxy --port P --app-port A --watch EMPTY -- nginx ...`.
#   nginx takes 1,000 keep-alive connections in its stride and restarts in milliseconds, so what
#   the figures show is liveproxy. The direct row loads the same nginx at A, while liveproxy idles.
# - Restarts are asked for as a developer's tool would: POST /__liveproxy/restart (loopback Host,
#   no Origin). Restart i is sent at i * DURATION / (RESTARTS + 1) s into the run, never before
#   liveproxy has logged "app ready" for the previous one, and never after the run's end (a late
#   one is reported, not sent).
# - Descriptors: wrk needs one per connection, liveproxy two per busy connection (browser + app)
#   and takes half its open-file limit as --max-connections. The script raises `ulimit -n` (for
#   itself, wrk, liveproxy and the app) to the hard limit, at most 65536, and needs >= 4096.
# - Ports are picked at run time, never fixed; every server runs in the foreground with its
#   files in one temp dir, stopped on exit (Ctrl-C included); no system configuration is read.
# - CPU pinning (2 cores): wrk (1 thread), the samplers and the restart driver on core 0;
#   liveproxy and the app share core 1. --no-pin turns this off.
# - Rounds interleave the rows, so a burst of load from elsewhere hits one round of each; the
#   median round is reported, and the CPU other processes used meanwhile.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
BENCH_NAME=load_bench
# shellcheck source=tests/bench/bench_lib.sh
source "$SCRIPT_DIR/bench_lib.sh"
# The wrk script of proxy_bench.sh: one machine-readable line at the end of a run, nothing per
# request (so wrk's fast path is kept).
readonly REPORT_LUA="$SCRIPT_DIR/proxy_bench/report.lua"

DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-1000}"
RESTARTS="${RESTARTS:-10}"
LIVEPROXY_BINARY="${LIVEPROXY_BINARY:-./build/liveproxy}"
WAIT_QUIET=0
readonly ACCEPT_HTML="Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
readonly ACCEPT_CSS="Accept: text/css,*/*;q=0.1"
# The injected tag carries a token that differs at every start of liveproxy: matched by its shape.
readonly SCRIPT_TAG_RE='<script src="/__liveproxy/client\.js" data-token="[0-9a-f]{32}"></script>'
readonly SCRIPT_TAG_BYTES=92
readonly -a ROWS=(direct liveproxy restarts)
readonly -a FILES=(app.css page.html)
# Seconds a run of the app may take to be ready before the restarts are given up.
readonly READY_TIMEOUT=15

declare -A PORT=()             # role (liveproxy, app) -> port
LIVEPROXY_PID=""
FAILED=0

parse_args() {
  while (($#)); do
    case "$1" in
      --duration) DURATION="$2"; shift 2 ;;
      --warmup) WARMUP="$2"; shift 2 ;;
      --rounds) ROUNDS="$2"; shift 2 ;;
      --connections) CONNECTIONS="$2"; shift 2 ;;
      --restarts) RESTARTS="$2"; shift 2 ;;
      --wait-quiet) WAIT_QUIET=1; shift ;;
      --no-pin) PIN=0; shift ;;
      --keep-tmp) KEEP_TMP=1; shift ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; die "unknown argument: $1" ;;
    esac
  done
  [[ "$DURATION" =~ ^[1-9][0-9]*$ && "$WARMUP" =~ ^[0-9]+$ ]] || die "durations are whole seconds"
  [[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive whole number"
  [[ "$CONNECTIONS" =~ ^[1-9][0-9]*$ ]] || die "--connections wants a positive whole number"
  [[ "$RESTARTS" =~ ^[0-9]+$ ]] || die "--restarts wants a whole number"
}

row_label() {  # row_label ROW: the name printed for a row
  case "$1" in
    restarts) echo "liveproxy+$RESTARTS restarts" ;;
    *) echo "$1" ;;
  esac
}

accept_for() {  # accept_for FILE: the Accept header a browser would send for it
  if [[ "$1" == *.html ]]; then echo "$ACCEPT_HTML"; else echo "$ACCEPT_CSS"; fi
}

# raise_nofile: the open-file limit up to the hard limit (at most 65536); it must reach 4096.
raise_nofile() {
  local hard want
  hard="$(ulimit -Hn)"
  want=65536
  if [[ "$hard" != unlimited ]] && ((hard < want)); then want="$hard"; fi
  if (("$(ulimit -Sn)" < want)); then ulimit -Sn "$want" || true; fi
  (("$(ulimit -Sn)" >= 4096)) ||
    die "the open-file limit is $(ulimit -Sn) (hard $hard): 1,000 connections through a proxy need >= 4096"
}

# --- content and servers ------------------------------------------------------------------------

make_docroot() {
  mkdir -p "$WORK/docroot" "$WORK/watch-empty"
  make_page "$WORK/docroot/page.html"
  # A small stylesheet, about 1 KB: the typical asset a page pulls in.
  local rule='.orders td { padding: 0.25rem 0.5rem; border-bottom: 1px solid #e5e7eb; }'
  : >"$WORK/docroot/app.css"
  while (( $(wc -c <"$WORK/docroot/app.css") + ${#rule} + 1 <= 1024 )); do
    echo "$rule" >>"$WORK/docroot/app.css"
  done
  chmod 755 "$WORK" "$WORK/docroot"
  chmod 644 "$WORK/docroot/"*
  PAGE_BYTES="$(wc -c <"$WORK/docroot/page.html")"
  CSS_BYTES="$(wc -c <"$WORK/docroot/app.css")"
}

# write_origin_conf: the app, an nginx set up to take thousands of keep-alive connections.
write_origin_conf() {
  mkdir -p "$WORK/origin-tmp"
  cat >"$WORK/origin.conf" <<EOF
# The app of load_bench.sh: one nginx worker serving the benchmark's folder, run by liveproxy.
$(nginx_user_line)
worker_processes 1;
# Enough descriptors for the direct row's 1,000 connections plus liveproxy's.
worker_rlimit_nofile 16384;
daemon off;
pid $WORK/origin.pid;
error_log $WORK/origin.error.log warn;

events {
    worker_connections 8192;
}

http {
    access_log off;
    types {
        text/html html;
        text/css  css;
    }
    default_type application/octet-stream;

    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    # The default (1000) would close connections during the run.
    keepalive_requests 10000000;

    client_body_temp_path $WORK/origin-tmp/client_body;
    proxy_temp_path       $WORK/origin-tmp/proxy;
    fastcgi_temp_path     $WORK/origin-tmp/fastcgi;
    uwsgi_temp_path       $WORK/origin-tmp/uwsgi;
    scgi_temp_path        $WORK/origin-tmp/scgi;

    server {
        # A backlog that holds 1,000 connections arriving at once (the default is 511).
        listen 127.0.0.1:${PORT[app]} backlog=4096;
        root $WORK/docroot;
        location / { }
        # Connection and request counters: how many connections liveproxy opens to the app.
        location = /__bench_status { stub_status; }
    }
}
EOF
  check_nginx_conf origin
}

start_liveproxy() {
  local bin
  bin="$(liveproxy_path "$LIVEPROXY_BINARY")" || return 1
  LIVEPROXY_BIN_ABS="$bin"
  write_origin_conf
  # shellcheck disable=SC2046
  $(server_prefix) "$bin" --port "${PORT[liveproxy]}" --app-port "${PORT[app]}" \
    --watch "$WORK/watch-empty" -- $(nginx_cmd origin) >"$WORK/liveproxy.out" 2>&1 </dev/null &
  STARTED_PIDS+=($!)
  LIVEPROXY_PID=$!
  if ! wait_http "http://127.0.0.1:${PORT[liveproxy]}/page.html" $! "liveproxy"; then
    log "liveproxy output:"; sed 's/^/    /' "$WORK/liveproxy.out" "$WORK/origin.error.log" >&2 || true
    return 1
  fi
}

# check_responses PORT WHAT INJECTED: both files come back 200 with the right type and bytes; the
# page with the script tag exactly once when INJECTED is 1.
check_responses() {
  local port="$1" what="$2" injected="$3" file body code size ctype tags
  for file in "${FILES[@]}"; do
    body="$WORK/check-$what-$file"
    read -r code size ctype < <(curl -sS --max-time 5 -H "$(accept_for "$file")" -o "$body" \
      -w '%{http_code} %{size_download} %{content_type}\n' "http://127.0.0.1:$port/$file" ||
      echo "000 0 -")
    [[ "$code" == 200 ]] || { log "$what /$file: HTTP $code"; return 1; }
    case "$file" in
      app.css) [[ "$ctype" == text/css* ]] || { log "$what /$file: Content-Type '$ctype'"; return 1; } ;;
      *.html) [[ "$ctype" == text/html* ]] || { log "$what /$file: Content-Type '$ctype'"; return 1; } ;;
    esac
    if [[ "$file" == *.html ]] && ((injected)); then
      tags="$(grep -o -E "$SCRIPT_TAG_RE" "$body" | wc -l)"
      ((tags == 1)) || { log "$what /$file: the script tag appears $tags times, not once"; return 1; }
      ((size == PAGE_BYTES + SCRIPT_TAG_BYTES)) || { log "$what /$file: $size bytes"; return 1; }
    else
      cmp -s "$body" "$WORK/docroot/$file" || { log "$what /$file: body differs from the file"; return 1; }
    fi
  done
}

# --- samplers, counters ---------------------------------------------------------------------------

# sample_app_rss: SAMPLE := VmRSS of the app (the nginx master named by its pid file, and its
# workers), whichever run of it is up; pure bash.
sample_app_rss() {
  local master="" c
  local -a pids=()
  { read -r master <"$WORK/origin.pid"; } 2>/dev/null || true
  [[ "$master" =~ ^[0-9]+$ ]] || return 0
  pids=("$master")
  for c in /proc/"$master"/task/*/children; do
    [[ -r "$c" ]] || continue
    local -a kids=()
    { read -r -a kids <"$c"; } 2>/dev/null || true
    pids+=("${kids[@]}")
  done
  sample_rss "${pids[@]}"
}

sample_lp_rss() { sample_rss "$LIVEPROXY_PID"; }
sample_lp_fds() { sample_fds "$LIVEPROXY_PID"; }

# app_counters: "accepts requests" from the running app's stub_status, or "- -". Each call is
# one connection and one request of its own, subtracted by counted_delta.
app_counters() {
  curl -fsS --max-time 2 "http://127.0.0.1:${PORT[app]}/__bench_status" 2>/dev/null |
    awk 'NR == 3 { print $1, $3; found = 1 } END { if (!found) print "- -" }'
}

# counted_delta "A0 R0" "A1 R1": "connections requests" between two app_counters readings.
counted_delta() {
  local a0 r0 a1 r1
  read -r a0 r0 <<<"$1"
  read -r a1 r1 <<<"$2"
  if [[ "$a0" == - || "$a1" == - ]]; then echo "0 0"; return 0; fi
  echo "$((a1 - a0 - 1)) $((r1 - r0 - 1))"
}

ready_count() { grep -c 'app ready' "$WORK/liveproxy.out" || true; }

# restart_driver OUT START BASE: run in the background during a "restarts" row. Sends restart i
# at START + i * DURATION / (RESTARTS + 1) s, but never before the app's previous run is ready
# (BASE + i - 1 "app ready" lines in liveproxy's output), and waits for its own "app ready".
# Writes one line per restart: "i posted_at_s post_answered_ms ready_at_s http_code" (times from
# START); stops after "failed WHY", or "late I" when restart I would fall after the run's end.
restart_driver() {
  local out="$1" start="$2" base="$3" i t target posted code ms
  if ((PIN)); then taskset -pc "$WRK_CPU" "$BASHPID" >/dev/null 2>&1 || true; fi
  for ((i = 1; i <= RESTARTS; i++)); do
    target="$(awk -v s="$start" -v i="$i" -v d="$DURATION" -v n="$RESTARTS" \
      'BEGIN { printf "%.6f", s + i * d / (n + 1) }')"
    t="$(awk -v a="$target" -v b="$EPOCHREALTIME" 'BEGIN { x = a - b; printf "%.3f", (x > 0 ? x : 0) }')"
    if [[ "$t" != 0.000 ]]; then sleep "$t"; fi
    # Restarts fall within the run or not at all: a late one is recorded as such, not sent.
    if awk -v s="$start" -v d="$DURATION" -v n="$EPOCHREALTIME" 'BEGIN { exit !(n > s + d - 0.05) }'; then
      echo "late $i" >>"$out"
      return 0
    fi
    posted="$EPOCHREALTIME"
    read -r code ms < <(curl -sS -o /dev/null --max-time 10 -X POST -w '%{http_code} %{time_total}\n' \
      "http://127.0.0.1:${PORT[liveproxy]}/__liveproxy/restart" 2>/dev/null || echo "000 0")
    if [[ "$code" != 202 ]]; then
      echo "failed restart $i: POST /__liveproxy/restart answered HTTP $code" >>"$out"
      return 0
    fi
    while (($(ready_count) < base + i)); do
      if awk -v p="$posted" -v n="$EPOCHREALTIME" -v m="$READY_TIMEOUT" 'BEGIN { exit !(n - p > m) }'; then
        echo "failed restart $i: no \"app ready\" within ${READY_TIMEOUT} s of the POST" >>"$out"
        return 0
      fi
      sleep 0.01
    done
    awk -v i="$i" -v s="$start" -v p="$posted" -v r="$EPOCHREALTIME" -v c="$code" -v ms="$ms" \
      'BEGIN { printf "%d %.3f %.0f %.3f %s\n", i, p - s, 1000 * ms, r - s, c }' >>"$out"
  done
}

# spread "V1 V2 ...": "min/median/max" of whole numbers, or "-".
spread() {
  tr ' ' '\n' <<<"$1" | grep -E '^[0-9]+$' | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) printf "%d/%d/%d", v[1], v[int((NR + 1) / 2)], v[NR]; else print "-" }'
}

# --- measuring ----------------------------------------------------------------------------------

# run_row ROW FILE ROUND: (a warm-up in round 1,) then the measured run, into
# RESULT[ROW/FILE@ROUND/*].
run_row() {
  local row="$1" file="$2" round="$3" url out k port lp0 lp1 w0 w1 s0 s1 base=0 driver="" log_lines
  local -a wrk_args
  port="${PORT[liveproxy]}"
  if [[ "$row" == direct ]]; then port="${PORT[app]}"; fi
  url="http://127.0.0.1:$port/$file"
  out="$WORK/wrk-$row-${file%%.*}-$round.txt"
  k="$row/$file@$round"
  wrk_args=(wrk -t1 -c"$CONNECTIONS" --timeout 5s --latency -H "$(accept_for "$file")")
  if ((round == 1 && WARMUP > 0)); then
    run_bg "$WORK/warmup.txt" "${wrk_args[@]}" -d"${WARMUP}s" "$url" || true
    settle
  fi
  reset_hwm "$LIVEPROXY_PID" || true
  start_sampler "$out.lp_rss" sample_lp_rss
  start_sampler "$out.lp_fds" sample_lp_fds
  start_sampler "$out.app_rss" sample_app_rss
  s0="$(app_counters)"
  base="$(ready_count)"
  log_lines="$(wc -l <"$WORK/liveproxy.out")"
  lp0="$(cpu_ticks --self "$LIVEPROXY_PID")"
  w0="$EPOCHREALTIME"
  start_bg "$out" "${wrk_args[@]}" -d"${DURATION}s" -s "$REPORT_LUA" "$url"
  if [[ "$row" == restarts ]]; then
    : >"$out.restarts"
    restart_driver "$out.restarts" "$w0" "$base" &
    driver=$!
  fi
  wait_bg || log "wrk exited non-zero for $url"
  w1="$EPOCHREALTIME"
  lp1="$(cpu_ticks --self "$LIVEPROXY_PID")"
  if [[ -n "$driver" ]]; then wait "$driver" || true; fi
  s1="$(app_counters)"
  stop_samplers
  RESULT[$k/lp_hwm]="$(vm_kb "$LIVEPROXY_PID" VmHWM)"
  local peak
  read -r peak _ <"$out.lp_rss"; RESULT[$k/lp_rss_max]="$peak"
  read -r peak _ <"$out.lp_fds"; RESULT[$k/lp_fds_max]="$peak"
  read -r peak _ <"$out.app_rss"; RESULT[$k/app_rss_max]="$peak"
  if ! parse_bench "$out" "$k"; then
    log "no result from wrk for $url:"; sed 's/^/    /' "$out" >&2
    RESULT[$k/rps]=FAILED
    FAILED=1
    return 0
  fi
  local secs
  secs="$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')"
  RESULT[$k/lp_cpu]="-"
  if [[ "$row" != direct ]]; then RESULT[$k/lp_cpu]="$(cpu_percent "$((lp1 - lp0))" "$secs")"; fi
  # Connections and requests the app saw (not for restarts: each run of the app counts anew, and
  # its counters die with it).
  local conns="-" reqs="-"
  if [[ "$row" == restarts ]]; then
    if grep -q '^failed' "$out.restarts"; then
      log "$(row_label "$row") /$file round $round: $(grep '^failed' "$out.restarts")"
      FAILED=1
    fi
    local run_s new_lines
    run_s="$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')"
    new_lines="$(tail -n +"$((log_lines + 1))" "$WORK/liveproxy.out")"
    RESULT[$k/restarts_done]="$(grep -c '^[0-9]' "$out.restarts" || true)"
    # Restarts whose app was ready again before wrk stopped.
    RESULT[$k/restarts_in_run]="$(awk -v e="$run_s" '/^[0-9]/ && $4 < e { n++ } END { print n + 0 }' "$out.restarts")"
    RESULT[$k/post_ms]="$(spread "$(awk '/^[0-9]/ { print $3 }' "$out.restarts" | tr '\n' ' ')")"
    RESULT[$k/stop_ms]="$(spread "$(sed -n 's/.*app stopped in \([0-9]*\) ms.*/\1/p' <<<"$new_lines" | tr '\n' ' ')")"
    RESULT[$k/start_ms]="$(spread "$(sed -n 's/.*app ready on port [0-9]* in \([0-9]*\) ms.*/\1/p' <<<"$new_lines" |
      tr '\n' ' ')")"
  else
    read -r conns reqs <<<"$(counted_delta "$s0" "$s1")"
  fi
  RESULT[$k/up_conns]="$conns"
  RESULT[$k/up_reqs]="$reqs"
  if ((RESULT[$k/errors] > 0 || RESULT[$k/err_status] > 0)); then
    log "$(row_label "$row") /$file round $round: socket errors connect=${RESULT[$k/err_connect]}" \
      "read=${RESULT[$k/err_read]} write=${RESULT[$k/err_write]}" \
      "timeout=${RESULT[$k/err_timeout]}, status >= 400: ${RESULT[$k/err_status]}"
  fi
  log "round $round: $(row_label "$row") /$file: $(printf '%.0f' "${RESULT[$k/rps]}") req/s," \
    "p99 $(fmt_us "${RESULT[$k/p99_us]}"), errors ${RESULT[$k/errors]}+${RESULT[$k/err_status]}" \
    "${RESULT[$k/restarts_in_run]:+, restarts within the run ${RESULT[$k/restarts_in_run]} of $RESTARTS}"
  settle
}

# settle: waits (up to 10 s) until liveproxy has closed its side of wrk's connections, so the next
# row starts from idle and "after" figures are idle figures.
settle() {
  local deadline=$((SECONDS + 10)) n
  while ((SECONDS < deadline)); do
    n="$(ss -tnH "( sport = :${PORT[liveproxy]} )" 2>/dev/null | grep -cv -e LISTEN -e TIME-WAIT || true)"
    if ((n == 0)); then return 0; fi
    sleep 0.2
  done
  log "$n browser-side connections still open in liveproxy 10 s after the run"
}

# aggregate ROW FILE: RESULT[ROW/FILE/*] := the figures of the round with the median req/s; the
# errors and restarts summed over all rounds.
aggregate() {
  local k="$1/$2" m field round
  m="$(median_round "$k" "$ROUNDS")"
  if [[ -z "$m" ]]; then RESULT[$k/rps]=FAILED; return 0; fi
  for field in rps p50_us p99_us requests bytes duration_us lp_cpu lp_hwm lp_rss_max lp_fds_max \
               app_rss_max up_conns up_reqs post_ms stop_ms start_ms; do
    RESULT[$k/$field]="${RESULT[$k@$m/$field]:-}"
  done
  RESULT[$k/range]="$(rps_range "$k" "$ROUNDS")"
  local -a sums=(0 0 0 0 0 0 0 0)
  for ((round = 1; round <= ROUNDS; round++)); do
    sums[0]=$((sums[0] + ${RESULT[$k@$round/requests]:-0}))
    sums[1]=$((sums[1] + ${RESULT[$k@$round/err_connect]:-0}))
    sums[2]=$((sums[2] + ${RESULT[$k@$round/err_read]:-0}))
    sums[3]=$((sums[3] + ${RESULT[$k@$round/err_write]:-0}))
    sums[4]=$((sums[4] + ${RESULT[$k@$round/err_timeout]:-0}))
    sums[5]=$((sums[5] + ${RESULT[$k@$round/err_status]:-0}))
    sums[6]=$((sums[6] + ${RESULT[$k@$round/restarts_done]:-0}))
    sums[7]=$((sums[7] + ${RESULT[$k@$round/restarts_in_run]:-0}))
  done
  RESULT[$k/all_requests]="${sums[0]}"
  RESULT[$k/all_errors]="connect ${sums[1]}, read ${sums[2]}, write ${sums[3]}, timeout ${sums[4]}, status>=400 ${sums[5]}"
  RESULT[$k/all_error_total]=$((sums[1] + sums[2] + sums[3] + sums[4] + sums[5]))
  RESULT[$k/all_restarts]="${sums[6]}"
  RESULT[$k/all_restarts_in_run]="${sums[7]}"
}

# --- report -------------------------------------------------------------------------------------

print_report() {
  local row file k errs up
  echo
  echo "=== load_bench: wrk -t1 -c$CONNECTIONS -d${DURATION}s --timeout 5s, keep-alive, rounds: $ROUNDS" \
    "(warm-up ${WARMUP}s per row and file), $RESTARTS restarts per restarts run ==="
  echo "    $(date -u '+%Y-%m-%d %H:%M:%SZ'), $(nproc) cores, $(uname -r)," \
    "nginx $("$NGINX" -v 2>&1 | sed 's|.*/||'), $("$LIVEPROXY_BIN_ABS" --version 2>/dev/null | head -1)," \
    "open-file limit $(ulimit -Sn)"
  echo "    load average at start $LOAD_START, at end $LOAD_END; CPU used by other processes during" \
    "the runs: $NOISE_OTHER of a core; CPU steal $NOISE_STEAL"
  # Other processes' CPU during the runs says more than the load average, which lags by minutes
  # (and counts our own previous run).
  if awk -v o="${NOISE_OTHER%\%}" 'BEGIN { exit !(o > 10) }'; then
    echo "    WARNING: other processes used ${NOISE_OTHER} of a core during the runs: they shared the"
    echo "    cores with the servers and wrk, so absolute figures and ratios are noisy."
  fi
  if ((PIN)); then
    echo "    pinning: wrk, samplers and the restart driver on core $WRK_CPU; liveproxy and the app share core $SERVER_CPU"
  else
    echo "    pinning: none"
  fi
  echo "    app.css = $CSS_BYTES bytes text/css; page.html = $PAGE_BYTES bytes text/html (+$SCRIPT_TAG_BYTES through liveproxy)"
  echo
  printf '%-22s %-9s %8s %9s %8s %8s %7s %6s %15s %8s %11s %s\n' \
    row file "req/s" range p50 p99 errors "lp CPU" "lp RSS hwm/max" "app RSS" "lp fds max" "app conns/reqs"
  for file in "${FILES[@]}"; do
    for row in "${ROWS[@]}"; do
      k="$row/$file"
      if [[ "${RESULT[$k/rps]:-FAILED}" == FAILED ]]; then
        printf '%-22s %-9s %8s\n' "$(row_label "$row")" "$file" FAILED
        continue
      fi
      errs="${RESULT[$k/all_error_total]}"
      local lprss="-" lpfds="-" cpu="-"
      if [[ "$row" != direct ]]; then
        lprss="$(awk -v a="${RESULT[$k/lp_hwm]:-0}" -v b="${RESULT[$k/lp_rss_max]:-0}" \
          'BEGIN { printf "%.1f/%.1f MB", a / 1024, b / 1024 }')"
        lpfds="${RESULT[$k/lp_fds_max]}"
        cpu="${RESULT[$k/lp_cpu]}%"
      fi
      up="${RESULT[$k/up_conns]}/${RESULT[$k/up_reqs]}"
      if [[ "$row" == restarts ]]; then up="-"; fi
      printf '%-22s %-9s %8.0f %9s %8s %8s %7s %6s %15s %8s %11s %s\n' "$(row_label "$row")" "$file" \
        "${RESULT[$k/rps]}" "${RESULT[$k/range]}" "$(fmt_us "${RESULT[$k/p50_us]}")" \
        "$(fmt_us "${RESULT[$k/p99_us]}")" "$errs" "$cpu" "$lprss" \
        "$(awk -v a="${RESULT[$k/app_rss_max]:-0}" 'BEGIN { printf "%.1f MB", a / 1024 }')" "$lpfds" "$up"
    done
  done
  echo "    req/s: median of $ROUNDS interleaved rounds; range: lowest/highest round against it; the other"
  echo "    columns from the median round, except errors: summed over all rounds (see below)."
  echo "    lp CPU: liveproxy's own CPU time / wall time (100% = one core). lp RSS hwm/max: liveproxy's"
  echo "    VmHWM over the row (reset before it) / highest VmRSS sampled every 0.2 s; app RSS: highest"
  echo "    VmRSS of the app (nginx master + worker) sampled. lp fds max: liveproxy's open descriptors,"
  echo "    highest sampled. app conns/reqs: connections the app accepted and requests it served during"
  echo "    the run (from its stub_status; not for restarts: each run of the app counts anew)."
  echo
  echo "ratio of req/s: median over rounds of the per-round ratio (lowest-highest round)"
  printf '%-34s %18s %18s\n' "" "${FILES[@]}"
  printf '%-34s %18s %18s\n' "liveproxy/direct" "$(ratio "liveproxy/${FILES[0]}" "direct/${FILES[0]}" "$ROUNDS")" \
    "$(ratio "liveproxy/${FILES[1]}" "direct/${FILES[1]}" "$ROUNDS")"
  printf '%-34s %18s %18s\n' "$(row_label restarts)/liveproxy" \
    "$(ratio "restarts/${FILES[0]}" "liveproxy/${FILES[0]}" "$ROUNDS")" \
    "$(ratio "restarts/${FILES[1]}" "liveproxy/${FILES[1]}" "$ROUNDS")"
  echo
  echo "errors over all $ROUNDS rounds (wrk: socket errors, and responses with status >= 400):"
  for file in "${FILES[@]}"; do
    for row in "${ROWS[@]}"; do
      k="$row/$file"
      [[ -n "${RESULT[$k/all_errors]:-}" ]] || continue
      printf '  %-22s %-9s %10s requests: %s\n' "$(row_label "$row")" "$file" "${RESULT[$k/all_requests]}" \
        "${RESULT[$k/all_errors]}"
    done
  done
  echo
  echo "restarts (the restarts rows; times in ms as min/median/max over the median round's restarts):"
  for file in "${FILES[@]}"; do
    k="restarts/$file"
    [[ -n "${RESULT[$k/rps]:-}" && "${RESULT[$k/rps]}" != FAILED ]] || continue
    echo "  $file: ${RESULT[$k/all_restarts]} of $((RESTARTS * ROUNDS)) done, ${RESULT[$k/all_restarts_in_run]}" \
      "of them ready again before wrk stopped; app stopped in ${RESULT[$k/stop_ms]}, app ready in" \
      "${RESULT[$k/start_ms]} (liveproxy's log); the POST itself answered after ${RESULT[$k/post_ms]}"
    if ((RESULT[$k/all_restarts_in_run] < RESTARTS * ROUNDS)); then
      echo "    WARNING: fewer restarts within the runs than asked for (a restart is sent only once the"
      echo "    previous one is ready, and none after the run's end): lengthen --duration or lower --restarts."
    fi
  done
  echo
  echo "liveproxy memory and descriptors (the process alone, not its app):"
  echo "  RSS idle: before the runs $(fmt_kb "$LP_RSS_BEFORE"); after each round: ${LP_RSS_ROUNDS# }"
  echo "  peak RSS (VmHWM, reset before each run) of any run: $(fmt_kb "$LP_HWM_MAX")"
  echo "  descriptors: before the runs $LP_FDS_BEFORE; highest during a run $LP_FDS_PEAK; after the runs" \
    "$LP_FDS_AFTER (of which connections to the app: $LP_APP_CONNS_AFTER)"
  echo "  --max-connections in effect: half of liveproxy's open-file limit $(awk '/Max open files/ { print $4 }' \
    "/proc/$LIVEPROXY_PID/limits" 2>/dev/null), at most 10000"
  echo
  local total=0
  for file in "${FILES[@]}"; do
    for row in liveproxy restarts; do total=$((total + ${RESULT[$row/$file/all_error_total]:-0})); done
  done
  if ((total == 0)); then
    echo "claim \"no errors through liveproxy, restarts included\": holds in this run (0 errors)"
  else
    echo "claim \"no errors through liveproxy, restarts included\": *** NOT MET: $total errors (see above) ***"
  fi
}

# --- main ---------------------------------------------------------------------------------------

main() {
  parse_args "$@"
  ensure_deps
  raise_nofile
  if ((WAIT_QUIET)); then wait_quiet 0.5 30; fi
  WORK="$(mktemp -d /tmp/load_bench.XXXXXX)"
  install_traps

  local -a ports
  read -r -a ports <<<"$(free_ports 2)"
  PORT[liveproxy]="${ports[0]}"
  PORT[app]="${ports[1]}"
  log "work dir $WORK; ports: liveproxy=${PORT[liveproxy]} app=${PORT[app]}; open-file limit $(ulimit -Sn)"

  make_docroot
  start_liveproxy || die "liveproxy (with its app) did not start"
  check_responses "${PORT[app]}" direct 0 || die "the app answers wrongly: nothing measured"
  check_responses "${PORT[liveproxy]}" liveproxy 1 || die "liveproxy answers wrongly: nothing measured"
  sleep 0.5
  LP_RSS_BEFORE="$(vm_kb "$LIVEPROXY_PID" VmRSS)"
  LP_FDS_BEFORE="$(fd_count "$LIVEPROXY_PID")"
  LP_RSS_ROUNDS=""
  LP_HWM_MAX=0
  LP_FDS_PEAK=0

  local row file round k
  LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
  noise_start
  for ((round = 1; round <= ROUNDS; round++)); do
    for file in "${FILES[@]}"; do
      for row in "${ROWS[@]}"; do
        kill -0 "$LIVEPROXY_PID" 2>/dev/null || die "liveproxy is gone: $(tail -5 "$WORK/liveproxy.out")"
        run_row "$row" "$file" "$round"
        k="$row/$file@$round"
        if [[ "$row" != direct ]] && ((${RESULT[$k/lp_hwm]:-0} > LP_HWM_MAX)); then
          LP_HWM_MAX="${RESULT[$k/lp_hwm]}"
        fi
        if [[ "$row" != direct ]] && ((${RESULT[$k/lp_fds_max]:-0} > LP_FDS_PEAK)); then
          LP_FDS_PEAK="${RESULT[$k/lp_fds_max]}"
        fi
      done
    done
    LP_RSS_ROUNDS="$LP_RSS_ROUNDS $(fmt_kb "$(vm_kb "$LIVEPROXY_PID" VmRSS)")"
  done
  noise_end
  LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

  if ! kill -0 "$LIVEPROXY_PID" 2>/dev/null; then
    log "liveproxy is no longer running after the benchmark:"
    sed 's/^/    /' "$WORK/liveproxy.out" >&2 || true
    FAILED=1
  fi
  LP_FDS_AFTER="$(fd_count "$LIVEPROXY_PID")"
  LP_APP_CONNS_AFTER="$(ss -tnH state established "( dport = :${PORT[app]} )" 2>/dev/null | wc -l)"
  for file in "${FILES[@]}"; do
    for row in "${ROWS[@]}"; do aggregate "$row" "$file"; done
  done

  print_report
  if ((FAILED)); then
    echo
    echo "Some figures could not be measured (see the log above): exit status 2."
    exit 2
  fi
}

main "$@"
