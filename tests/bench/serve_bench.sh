#!/usr/bin/env bash
# serve_bench.sh: throughput of `liveproxy --serve DIR` next to nginx serving the same folder.
#
# Why: issue 12 made `--serve DIR` a static server with live reload "built for speed in C++", with
# the target "at least nginx's throughput" on a 2 KB HTML page (which liveproxy injects its script
# into) and on a 100 KB file. This script measures exactly that, in one run, on the same machine:
#   nginx        wrk -> nginx (one worker, sendfile, the folder served as is)      (the bar)
#   liveproxy    wrk -> liveproxy --serve (the page gets the reload script tag)
# each for page.html (2 KB) and file.bin (100 KB). It prints requests/s, p50/p99 latency, each
# server's CPU use, the ratio liveproxy/nginx per file (target: >= 1.0 on both) and each
# server's peak RSS. Responses are checked first: the page carries the script exactly once, is
# otherwise the file, and has a right Content-Length; file.bin's bytes are the file's. It is a
# measurement, not a test: a missed target is printed as "below target" and the exit status
# stays 0. It exits non-zero only when something could not be measured (did not start, wrong
# responses, no figures from wrk).
#
# Usage: tests/bench/serve_bench.sh [--duration SECS] [--warmup SECS] [--rounds N]
#                 [--connections N] [--wait-quiet] [--no-pin] [--keep-tmp]
#   --wait-quiet  first wait (up to 30 min, polling every 30 s) until the load average is below
#                 0.5 and no compiler, browser or test runner runs.
# Environment: DURATION (default 10), WARMUP (default 2), ROUNDS (3), CONNECTIONS (32),
#   LIVEPROXY_BINARY (default ./build/liveproxy).
#
# Setup choices:
# - The nginx configuration is the production-like one written out in write_nginx_conf below:
#   one worker, sendfile + tcp_nopush, tcp_nodelay, access_log off, keepalive_requests high (so
#   wrk keeps its connections for the whole run), open_file_cache off (nginx's default: nginx
#   then opens and fstats the file on every request, as liveproxy does), etag on (default).
#   nginx serves the page as it is: it does no injection, liveproxy does (the bar is still 1.0).
# - Both servers serve the same folder; wrk sends the same requests to both (a browser's Accept
#   header; wrk's default Host 127.0.0.1:PORT, a loopback name liveproxy --serve accepts).
# - Ports are picked at run time, never fixed; every server runs in the foreground with its
#   files in one temp dir, stopped on exit (Ctrl-C included); no system configuration is read.
# - CPU pinning (2 cores): wrk (1 thread) on core 0, the server measured on core 1 (both servers
#   run all along, but only the one under load works). --no-pin turns this off.
# - Rounds interleave the servers, so a burst of load from elsewhere hits one round of each; the
#   median round is reported, with the spread, and the CPU other processes used meanwhile.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
BENCH_NAME=serve_bench
# shellcheck source=tests/bench/bench_lib.sh
source "$SCRIPT_DIR/bench_lib.sh"
# The wrk script of proxy_bench.sh: one machine-readable line at the end of a run, nothing per
# request (so wrk's fast path is kept).
readonly REPORT_LUA="$SCRIPT_DIR/proxy_bench/report.lua"

DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-32}"
LIVEPROXY_BINARY="${LIVEPROXY_BINARY:-./build/liveproxy}"
WAIT_QUIET=0
readonly ACCEPT_HTML="Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
readonly ACCEPT_ANY="Accept: */*"
# The injected tag carries a token that differs at every start of liveproxy: matched by its shape.
readonly SCRIPT_TAG_RE='<script src="/__liveproxy/client\.js" data-token="[0-9a-f]{32}"></script>'
readonly SCRIPT_TAG_BYTES=92
readonly TARGET_RATIO=1.0
readonly -a SERVERS=(nginx liveproxy)
readonly -a FILES=(page.html file.bin)

declare -A PORT=()             # server -> port
declare -A PID_OF=()           # server -> pid (nginx: the master; its worker is its child)
FAILED=0

parse_args() {
  while (($#)); do
    case "$1" in
      --duration) DURATION="$2"; shift 2 ;;
      --warmup) WARMUP="$2"; shift 2 ;;
      --rounds) ROUNDS="$2"; shift 2 ;;
      --connections) CONNECTIONS="$2"; shift 2 ;;
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
}

accept_for() {  # accept_for FILE: the Accept header a browser would send for it
  if [[ "$1" == *.html ]]; then echo "$ACCEPT_HTML"; else echo "$ACCEPT_ANY"; fi
}

# --- content and servers ------------------------------------------------------------------------

make_docroot() {
  mkdir -p "$WORK/docroot"
  make_page "$WORK/docroot/page.html"
  head -c 102400 /dev/urandom >"$WORK/docroot/file.bin"
  # Workers may run as another user when the master is root: make the tree readable.
  chmod 755 "$WORK" "$WORK/docroot"
  chmod 644 "$WORK/docroot/"*
  PAGE_BYTES="$(wc -c <"$WORK/docroot/page.html")"
  BIN_BYTES="$(wc -c <"$WORK/docroot/file.bin")"
}

# write_nginx_conf: the reference nginx, as a production static server would be set up.
write_nginx_conf() {
  mkdir -p "$WORK/nginx-tmp"
  cat >"$WORK/nginx.conf" <<EOF
# Reference static server for serve_bench.sh: one worker serving the benchmark's folder.
$(nginx_user_line)
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.error.log warn;

events {
    worker_connections 1024;
}

http {
    access_log off;
    # Only the two types served, so no system mime.types is read.
    types {
        text/html                html;
        application/octet-stream bin;
    }
    default_type application/octet-stream;
    charset off;

    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    # The default (1000) would make wrk reconnect during the run.
    keepalive_requests 10000000;
    # open_file_cache stays off (nginx's default): every request opens and fstats the file.

    client_body_temp_path $WORK/nginx-tmp/client_body;
    proxy_temp_path       $WORK/nginx-tmp/proxy;
    fastcgi_temp_path     $WORK/nginx-tmp/fastcgi;
    uwsgi_temp_path       $WORK/nginx-tmp/uwsgi;
    scgi_temp_path        $WORK/nginx-tmp/scgi;

    server {
        listen 127.0.0.1:${PORT[nginx]};
        root $WORK/docroot;
        location / { }
    }
}
EOF
  check_nginx_conf nginx
}

start_nginx() {
  write_nginx_conf
  # shellcheck disable=SC2046
  $(server_prefix) $(nginx_cmd nginx) >"$WORK/nginx.out" 2>&1 &
  STARTED_PIDS+=($!)
  PID_OF[nginx]=$!
  wait_http "http://127.0.0.1:${PORT[nginx]}/page.html" $! "nginx" || {
    sed 's/^/    /' "$WORK/nginx.error.log" "$WORK/nginx.out" >&2 2>/dev/null || true; return 1; }
}

start_liveproxy() {
  local bin
  bin="$(liveproxy_path "$LIVEPROXY_BINARY")" || return 1
  # shellcheck disable=SC2046
  $(server_prefix) "$bin" --port "${PORT[liveproxy]}" --serve "$WORK/docroot" \
    >"$WORK/liveproxy.out" 2>&1 &
  STARTED_PIDS+=($!)
  PID_OF[liveproxy]=$!
  if ! wait_http "http://127.0.0.1:${PORT[liveproxy]}/page.html" $! "liveproxy"; then
    log "liveproxy output:"; sed 's/^/    /' "$WORK/liveproxy.out" >&2 || true
    return 1
  fi
}

# check_responses SERVER: both files come back 200, with the right type, framing and bytes.
check_responses() {
  local server="$1" port="${PORT[$1]}" file url code ctype clen size body head tags
  for file in "${FILES[@]}"; do
    url="http://127.0.0.1:$port/$file"
    body="$WORK/check-$server-$file"
    head="$body.head"
    read -r code size ctype < <(curl -sS --max-time 5 -H "$(accept_for "$file")" -D "$head" -o "$body" \
      -w '%{http_code} %{size_download} %{content_type}\n' "$url" || echo "000 0 -")
    if [[ "$code" != 200 ]]; then log "$server /$file: HTTP $code"; return 1; fi
    clen="$(tr -d '\r' <"$head" | awk 'tolower($1) == "content-length:" { print $2 }')"
    if [[ "$clen" != "$size" ]]; then
      log "$server /$file: Content-Length '${clen:-none}' but $size bytes received"; return 1
    fi
    case "$file" in
      page.html)
        [[ "$ctype" == text/html* ]] || { log "$server /$file: Content-Type '$ctype'"; return 1; }
        tags="$(grep -o -E "$SCRIPT_TAG_RE" "$body" | wc -l)"
        if [[ "$server" == liveproxy ]]; then
          if ((tags != 1)); then log "$server /$file: the script tag appears $tags times, not once"; return 1; fi
          # Take the tag out again: what is left must be the file itself.
          if ! python3 -c 'import re, sys; b = re.sub(sys.argv[3].encode(), b"", open(sys.argv[1], "rb").read(), count=1)
sys.exit(b != open(sys.argv[2], "rb").read())' "$body" "$WORK/docroot/$file" "$SCRIPT_TAG_RE"; then
            log "$server /$file: the body is not the file plus the script tag"; return 1
          fi
          log "$server /$file: $PAGE_BYTES -> $size bytes (script tag once, Content-Length right)"
        else
          cmp -s "$body" "$WORK/docroot/$file" || { log "$server /$file: body differs from the file"; return 1; }
        fi ;;
      file.bin)
        [[ "$ctype" == application/octet-stream* ]] || { log "$server /$file: Content-Type '$ctype'"; return 1; }
        cmp -s "$body" "$WORK/docroot/$file" || { log "$server /$file: bytes differ from the file"; return 1; } ;;
    esac
  done
}

# --- measuring ----------------------------------------------------------------------------------

# run_wrk SERVER FILE ROUND: (a warm-up in round 1,) then the measured run, into
# RESULT[SERVER/FILE@ROUND/*].
run_wrk() {
  local server="$1" file="$2" round="$3" url out k u0 s0 u1 s1 w0 w1
  url="http://127.0.0.1:${PORT[$server]}/$file"
  out="$WORK/wrk-$server-${file%%.*}-$round.txt"
  k="$server/$file@$round"
  if ((round == 1 && WARMUP > 0)); then
    run_bg "$WORK/warmup.txt" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -H "$(accept_for "$file")" \
      "$url" || true
  fi
  read -r u0 s0 <<<"$(cpu_split "${PID_OF[$server]}")"
  w0="$EPOCHREALTIME"
  run_bg "$out" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s -H "$(accept_for "$file")" \
    -s "$REPORT_LUA" "$url" || log "wrk exited non-zero for $url"
  w1="$EPOCHREALTIME"
  read -r u1 s1 <<<"$(cpu_split "${PID_OF[$server]}")"
  if ! parse_bench "$out" "$k"; then
    log "no result from wrk for $url:"; sed 's/^/    /' "$out" >&2
    RESULT[$k/rps]=FAILED
    FAILED=1
    return 0
  fi
  RESULT[$k/cpu]="$(cpu_percent "$((u1 - u0 + s1 - s0))" "$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')")"
  # CPU time per request, user + system: the cost of a request, which noise from other processes
  # sharing the core changes far less than it changes req/s.
  RESULT[$k/us_req]="$(awk -v u="$((u1 - u0))" -v s="$((s1 - s0))" -v n="${RESULT[$k/requests]}" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN { f = 1e6 / hz / (n > 0 ? n : 1); printf "%.1f (%.1f+%.1f)", (u + s) * f, u * f, s * f }')"
  if ((RESULT[$k/errors] > 0 || RESULT[$k/err_status] > 0)); then
    log "$server /$file: socket errors connect=${RESULT[$k/err_connect]}" \
      "read=${RESULT[$k/err_read]} write=${RESULT[$k/err_write]}" \
      "timeout=${RESULT[$k/err_timeout]}, status >= 400: ${RESULT[$k/err_status]}"
  fi
  log "round $round: $server /$file: $(printf '%.0f' "${RESULT[$k/rps]}") req/s," \
    "p99 $(fmt_us "${RESULT[$k/p99_us]}"), server CPU ${RESULT[$k/cpu]}%"
}

# aggregate SERVER FILE: RESULT[SERVER/FILE/*] := the figures of the round with the median req/s.
aggregate() {
  local k="$1/$2" m field
  m="$(median_round "$k" "$ROUNDS")"
  if [[ -z "$m" ]]; then RESULT[$k/rps]=FAILED; return 0; fi
  for field in rps p50_us p99_us requests bytes duration_us err_status errors cpu us_req; do
    RESULT[$k/$field]="${RESULT[$k@$m/$field]}"
  done
  RESULT[$k/range]="$(rps_range "$k" "$ROUNDS")"
}

# --- report -------------------------------------------------------------------------------------

verdict() {  # verdict LABEL RATIO
  local label="$1" r="${2%% *}"
  if [[ "$r" == n/a ]]; then
    printf 'liveproxy/nginx %-34s %5s  NOT MEASURED (target >= %s)\n' "$label:" "$r" "$TARGET_RATIO"
  elif awk -v r="$r" -v t="$TARGET_RATIO" 'BEGIN { exit !(r >= t) }'; then
    printf 'liveproxy/nginx %-34s %5s  meets target (>= %s)\n' "$label:" "$r" "$TARGET_RATIO"
  else
    printf 'liveproxy/nginx %-34s %5s  *** BELOW TARGET (>= %s) ***\n' "$label:" "$r" "$TARGET_RATIO"
  fi
}

print_report() {
  local server file k errs
  echo
  echo "=== serve_bench: wrk -t1 -c$CONNECTIONS -d${DURATION}s, keep-alive, rounds: $ROUNDS" \
    "(warm-up ${WARMUP}s per server and file) ==="
  echo "    $(date -u '+%Y-%m-%d %H:%M:%SZ'), $(nproc) cores, $(uname -r)," \
    "nginx $("$NGINX" -v 2>&1 | sed 's|.*/||'), $("${LIVEPROXY_BIN_ABS}" --version 2>/dev/null | head -1)"
  echo "    load average at start $LOAD_START, at end $LOAD_END; CPU used by other processes during" \
    "the runs: $NOISE_OTHER of a core; CPU steal $NOISE_STEAL"
  # Other processes' CPU during the runs says more than the load average, which lags by minutes
  # (and counts our own previous run).
  if awk -v o="${NOISE_OTHER%\%}" 'BEGIN { exit !(o > 10) }'; then
    echo "    WARNING: other processes used ${NOISE_OTHER} of a core during the runs: they shared the"
    echo "    cores with the servers and wrk, so absolute figures and ratios are noisy."
  fi
  if ((PIN)); then
    echo "    pinning: wrk on core $WRK_CPU; the server under load on core $SERVER_CPU"
  else
    echo "    pinning: none"
  fi
  echo "    page.html = $PAGE_BYTES bytes text/html (liveproxy sends ${RESULT[liveproxy/page.html/size]:-?}" \
    "with its script tag), file.bin = $BIN_BYTES bytes application/octet-stream"
  echo
  printf '%-10s %-10s %9s %11s %9s %9s %8s %6s %19s %s\n' \
    server file "req/s" "range" p50 p99 "MB/s" "CPU" "CPU us/req (usr+sys)" "errors"
  for server in "${SERVERS[@]}"; do
    for file in "${FILES[@]}"; do
      k="$server/$file"
      if [[ "${RESULT[$k/rps]:-FAILED}" == FAILED ]]; then
        printf '%-10s %-10s %9s\n' "$server" "$file" FAILED
        continue
      fi
      errs="${RESULT[$k/errors]}"
      if ((RESULT[$k/err_status] > 0)); then errs="$errs +${RESULT[$k/err_status]} status>=400"; fi
      printf '%-10s %-10s %9.0f %11s %9s %9s %8.1f %5s%% %20s %s\n' "$server" "$file" \
        "${RESULT[$k/rps]}" "${RESULT[$k/range]}" "$(fmt_us "${RESULT[$k/p50_us]}")" \
        "$(fmt_us "${RESULT[$k/p99_us]}")" \
        "$(awk -v b="${RESULT[$k/bytes]}" -v d="${RESULT[$k/duration_us]}" \
            'BEGIN { printf "%.1f", b / (d / 1e6) / 1048576 }')" \
        "${RESULT[$k/cpu]}" "${RESULT[$k/us_req]}" "$errs"
    done
  done
  echo "    req/s: median of $ROUNDS interleaved rounds; range: lowest/highest round against it;"
  echo "    the other columns: from the median round. CPU: the server's CPU time / wall time"
  echo "    (100% = one core; nginx: master and worker); CPU us/req: that CPU time per request, user"
  echo "    + system. errors: wrk's socket errors (connect, read, write, timeout > 5 s) and responses"
  echo "    with status >= 400."

  echo
  echo "ratio of req/s: median over rounds of the per-round ratio (lowest-highest round)"
  printf '%-18s %18s %18s\n' "" page.html file.bin
  printf '%-18s %18s %18s\n' "liveproxy/nginx" "$(ratio liveproxy/page.html nginx/page.html "$ROUNDS")" \
    "$(ratio liveproxy/file.bin nginx/file.bin "$ROUNDS")"
  echo
  verdict "2 KB page (liveproxy injecting)" "$(ratio liveproxy/page.html nginx/page.html "$ROUNDS")"
  verdict "100 KB file" "$(ratio liveproxy/file.bin nginx/file.bin "$ROUNDS")"
  echo
  echo "peak RSS (VmHWM) at the end: liveproxy $(fmt_kb "${LIVEPROXY_HWM:-}")" \
    "(idle before the runs: $(fmt_kb "${LIVEPROXY_RSS0:-}")); nginx worker $(fmt_kb "${NGINX_HWM:-}")," \
    "master $(fmt_kb "${NGINX_MASTER_HWM:-}")"
}

# --- main ---------------------------------------------------------------------------------------

main() {
  parse_args "$@"
  ensure_deps
  if ((WAIT_QUIET)); then wait_quiet 0.5 30; fi
  WORK="$(mktemp -d /tmp/serve_bench.XXXXXX)"
  install_traps

  local -a ports
  read -r -a ports <<<"$(free_ports 2)"
  PORT[nginx]="${ports[0]}"
  PORT[liveproxy]="${ports[1]}"
  log "work dir $WORK; ports: nginx=${PORT[nginx]} liveproxy=${PORT[liveproxy]}"

  make_docroot
  start_nginx || die "nginx did not start"
  start_liveproxy || die "liveproxy --serve did not start"
  LIVEPROXY_BIN_ABS="$(liveproxy_path "$LIVEPROXY_BINARY")"
  local server file round
  for server in "${SERVERS[@]}"; do
    check_responses "$server" || die "$server: wrong responses, nothing measured"
  done
  RESULT[liveproxy/page.html/size]="$(wc -c <"$WORK/check-liveproxy-page.html")"
  LIVEPROXY_RSS0="$(vm_kb "${PID_OF[liveproxy]}" VmRSS)"

  LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
  noise_start
  for ((round = 1; round <= ROUNDS; round++)); do
    for server in "${SERVERS[@]}"; do
      for file in "${FILES[@]}"; do run_wrk "$server" "$file" "$round"; done
    done
  done
  noise_end
  LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
  for server in "${SERVERS[@]}"; do
    for file in "${FILES[@]}"; do aggregate "$server" "$file"; done
  done

  if kill -0 "${PID_OF[liveproxy]}" 2>/dev/null; then
    LIVEPROXY_HWM="$(vm_kb "${PID_OF[liveproxy]}" VmHWM)"
  else
    log "liveproxy is no longer running after the benchmark:"
    sed 's/^/    /' "$WORK/liveproxy.out" >&2 || true
    FAILED=1
  fi
  local worker
  worker="$(cat /proc/"${PID_OF[nginx]}"/task/*/children 2>/dev/null | awk '{ print $1 }')"
  NGINX_MASTER_HWM="$(vm_kb "${PID_OF[nginx]}" VmHWM)"
  if [[ -n "$worker" ]]; then NGINX_HWM="$(vm_kb "$worker" VmHWM)"; fi

  print_report
  if ((FAILED)); then
    echo
    echo "Some figures could not be measured (see the log above): exit status 2."
    exit 2
  fi
}

main "$@"
