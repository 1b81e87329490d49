#!/usr/bin/env bash
# proxy_bench.sh: HTTP throughput of liveproxy next to a direct origin and an nginx reverse proxy.
#
# Why: liveproxy sits between the browser and the app on every request during development, so
# it must not be the slow part. This script answers "how much does it cost?" against two honest
# references on the same machine, in one run:
#   direct           wrk -> origin nginx                    (the ceiling)
#   nginx            wrk -> nginx proxy -> origin nginx      (a well-tuned proxy: the bar to meet)
#   liveproxy        wrk -> liveproxy -> origin nginx        (the HTML figure includes script injection)
#   liveproxy-https  wrk =TLS=> liveproxy --https -> origin  (the same, over TLS: what TLS costs)
#   browser-sync     wrk -> browser-sync -> origin nginx     (optional, --with-browser-sync)
# each for a 2 KB HTML page and a 100 KB binary file. It prints requests/s, p50/p99 latency, the
# server side's CPU use, the ratios nginx/direct, liveproxy/direct, liveproxy/nginx (targets:
# >= 0.8 on HTML, >= 0.9 on the 100 KB file), liveproxy-https/liveproxy (target >= 0.85, issue
# 27: TLS within 15 % of plain HTTP) and liveproxy's peak RSS. It is a measurement, not a test:
# missed targets are printed as "below target" and the exit status stays 0. It exits non-zero
# only when a target could not be measured at all (did not start, wrong responses).
#
# Usage: tests/bench/proxy_bench.sh [--duration SECS] [--warmup SECS] [--rounds N]
#                 [--targets LIST] [--with-browser-sync] [--no-pin] [--keep-tmp]
#   LIST is a comma-separated subset of direct,nginx,liveproxy,liveproxy-https,browser-sync
#   (default: all but browser-sync).
# Environment: DURATION (default 10), WARMUP (default 2), LIVEPROXY_BINARY (default
#   ./build/liveproxy), LIVEPROXY_EXTRA_ARGS (appended to liveproxy's options), CONNECTIONS (32),
#   ROUNDS (3), BROWSER_SYNC_DIR (reuse or keep an npm install of browser-sync there; default:
#   a fresh install in the temp dir).
#
# Setup choices:
# - Ports are picked at run time (python3 binds 127.0.0.1:0 several times at once), never fixed.
# - Every server is a foreground process with its prefix, pid, logs and temp paths in one temp
#   dir, so no system configuration is read or touched. Everything started is stopped on exit,
#   Ctrl-C included (trap on EXIT).
# - liveproxy supervises an app and serves once a TCP connect to the app port succeeds. The
#   cleanest honest setup is therefore to make the supervised app the origin itself: a second
#   origin nginx, generated from the same template with a listen port chosen here, started *by*
#   liveproxy (`liveproxy --port P --app-port O --watch EMPTY_DIR -- nginx ...`). nginx cannot
#   take its listen port from an argument ({port} substitution would not reach `listen`), so the
#   port is fixed in the generated config and passed to liveproxy as --app-port. The two origins
#   are identical (same template, docroot, one worker), so conditions stay equal.
# - liveproxy-https is a second liveproxy, set up exactly like the first (its own origin from the
#   same template, the same core) but started with --https, so the two differ only in TLS and
#   their ratio is what TLS costs. Both get XDG_DATA_HOME in the temp dir: --https creates its
#   local CA there, and the user's own CA (~/.local/share/liveproxy) is never created or read.
#   wrk loads https://localhost:P (the name the certificate is for; wrk does not check
#   certificates), and the responses are first checked with curl against the CA it made.
# - CPU pinning (2 cores): wrk (1 thread) gets core 0; the whole server side (origin + proxy)
#   shares core 1. So a proxy's cost shows up both as its own work and as CPU taken from the
#   origin, as on a laptop where app and proxy compete. --no-pin turns this off.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly TEMPLATES="$SCRIPT_DIR/proxy_bench"

DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-32}"
LIVEPROXY_BINARY="${LIVEPROXY_BINARY:-./build/liveproxy}"
TARGETS="direct,nginx,liveproxy,liveproxy-https"
WITH_BROWSER_SYNC=0
PIN=1
KEEP_TMP=0
WRK_CPU=0
SERVER_CPU=1
readonly BROWSER_SYNC_VERSION=3.0.4
# What a browser sends: proxies that inject only into pages a browser asked for (browser-sync
# checks Accept for text/html) then inject here too, so every HTML figure includes injection.
readonly ACCEPT_HTML="Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
readonly ACCEPT_ANY="Accept: */*"
readonly HTML_TARGET=0.8
readonly BIN_TARGET=0.9
# Issue 27: proxying over TLS within 15 % of plain HTTP on the 2 KB page; the 100 KB file, where
# TLS encrypts 50 times as many bytes per request, is held to the same bar.
readonly HTTPS_TARGET=0.85
# Every target, in run and report order.
readonly ALL_TARGETS="direct nginx liveproxy liveproxy-https browser-sync"

WORK=""
declare -a STARTED_PIDS=()     # every server we started, stopped in reverse order on exit
declare -a SAMPLER_PIDS=()     # connection-count samplers (subshells)
LOAD_PID=""                    # the running wrk, if any
declare -A PORT=()             # role -> port
declare -A SERVER_PIDS=()      # target -> space-separated top-level pids of its server side
declare -A TARGET_URL=()       # target -> the URL wrk loads, without the path
declare -A TARGET_CACERT=()    # target -> the CA file curl checks its certificate with (https only)
declare -A UPSTREAM_PORT=()    # target -> the origin port it forwards to (direct: the origin)
declare -A LP_PID=()           # liveproxy target -> liveproxy's pid (for its peak RSS)
declare -A LP_RSS=()           # liveproxy target -> liveproxy's peak RSS after the runs
declare -A PROXY_PID=()        # target -> the proxy's own pid (its CPU is shown on its own)
declare -a ACTIVE=()           # targets that started and answered correctly, in run order
declare -A RESULT=()           # "target/file/field" -> value
FAILED=0

log() { printf '[proxy_bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

usage() { sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

parse_args() {
  while (($#)); do
    case "$1" in
      --duration) DURATION="$2"; shift 2 ;;
      --warmup) WARMUP="$2"; shift 2 ;;
      --rounds) ROUNDS="$2"; shift 2 ;;
      --targets) TARGETS="$2"; shift 2 ;;
      --with-browser-sync) WITH_BROWSER_SYNC=1; shift ;;
      --no-pin) PIN=0; shift ;;
      --keep-tmp) KEEP_TMP=1; shift ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; die "unknown argument: $1" ;;
    esac
  done
  if ((WITH_BROWSER_SYNC)) && [[ ",$TARGETS," != *,browser-sync,* ]]; then
    TARGETS="$TARGETS,browser-sync"
  fi
  [[ "$DURATION" =~ ^[1-9][0-9]*$ && "$WARMUP" =~ ^[0-9]+$ ]] || die "durations are whole seconds"
  [[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive whole number"
  # A misspelt name would otherwise just be left out of the run without a word.
  local name
  for name in ${TARGETS//,/ }; do
    [[ " $ALL_TARGETS " == *" $name "* ]] || die "unknown target '$name' (known: ${ALL_TARGETS// /,})"
  done
}

has_target() { [[ ",$TARGETS," == *",$1,"* ]]; }

# --- dependencies -------------------------------------------------------------------------------

ensure_deps() {
  local -a missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
  command -v curl >/dev/null || missing+=(curl)
  [[ -x /usr/bin/python3 ]] || missing+=(python3)
  command -v taskset >/dev/null || missing+=(util-linux)
  command -v ss >/dev/null || missing+=(iproute2)
  if ((${#missing[@]})); then
    log "installing from Debian: ${missing[*]}"
    apt-get update -qq
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
      # Some releases have no nginx-light: the full nginx package serves as well.
      missing=("${missing[@]/#nginx-light/nginx}")
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
        die "could not install ${missing[*]}"
    fi
  fi
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
  if ((PIN)) && [[ "$(nproc)" -lt 2 ]]; then
    log "fewer than 2 cores: not pinning"
    PIN=0
  fi
}

# --- process management -------------------------------------------------------------------------

# Prefix for server commands: own session (so Ctrl-C reaches only us and we stop them in order),
# pinned to the server core. setsid and taskset both exec, so $! is the server's own pid.
server_prefix() {
  if ((PIN)); then echo "setsid taskset -c $SERVER_CPU"; else echo "setsid"; fi
}

# run_bg OUT CMD...: runs the load generator pinned to its core, output to OUT, and waits for
# it. In the background plus `wait`, so that Ctrl-C runs our trap at once: wrk catches SIGINT
# and exits 0, and bash would then ignore the SIGINT of a foreground command.
run_bg() {
  local out="$1"; shift
  if ((PIN)); then set -- taskset -c "$WRK_CPU" "$@"; fi
  "$@" >"$out" 2>&1 &
  LOAD_PID=$!
  local status=0
  wait "$LOAD_PID" || status=$?
  LOAD_PID=""
  return "$status"
}

# stop_pid PID: TERM, then KILL after 3 s.
stop_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  log "pid $pid ignored SIGTERM for 3 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$? i pidfile pid
  trap - EXIT INT TERM
  [[ -n "${LOAD_PID:-}" ]] && stop_pid "$LOAD_PID"
  for pid in "${SAMPLER_PIDS[@]}"; do
    # The sampler subshell and its sleep.
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
  done
  for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${STARTED_PIDS[i]}"
  done
  # Servers started by a supervisor (the origin under liveproxy) are not our children; their
  # pid files name them. Stop any that outlived their parent.
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    for pidfile in "$WORK"/*.pid; do
      [[ -f "$pidfile" ]] || continue
      pid="$(cat "$pidfile" 2>/dev/null || true)"
      if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        log "stopping leftover $(basename "$pidfile" .pid) (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        sleep 0.5
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done
    if ((KEEP_TMP)); then log "kept $WORK"; else rm -rf "$WORK"; fi
  fi
  exit "$status"
}

# free_ports N: N distinct free loopback ports, held open together while chosen.
free_ports() {
  /usr/bin/python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

# wait_http URL PID WHAT [CURL_ARGS...]: until URL answers 200, the process dies, or 20 s pass.
wait_http() {
  local url="$1" pid="$2" what="$3" deadline=$((SECONDS + 20))
  shift 3
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$what exited during start-up"
      return 1
    fi
    if curl -fsS -o /dev/null --max-time 1 "$@" "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  log "$what did not answer $url within 20 s"
  return 1
}

# cpu_ticks [--self] PID...: utime+stime of the given processes and all their descendants
# (with --self: of the given processes only).
cpu_ticks() {
  local total=0 pid child stat self=0
  [[ "${1:-}" == --self ]] && { self=1; shift; }
  local -a queue=("$@") f
  while ((${#queue[@]})); do
    pid="${queue[0]}"
    queue=("${queue[@]:1}")
    if stat="$(cat "/proc/$pid/stat" 2>/dev/null)"; then
      # Fields after the ")" that closes the command name: utime is the 12th, stime the 13th.
      stat="${stat##*) }"
      read -r -a f <<<"$stat"
      total=$((total + f[11] + f[12]))
    fi
    ((self)) && continue
    # shellcheck disable=SC2013
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do queue+=("$child"); done
  done
  echo "$total"
}

# origin_counters PORT: "accepts requests" from the origin's stub_status, or "- -".
origin_counters() {
  curl -fsS --max-time 2 "http://127.0.0.1:$1/__bench_status" 2>/dev/null |
    awk 'NR == 3 { print $1, $3; found = 1 } END { if (!found) print "- -" }'
}

# --- content and configuration ------------------------------------------------------------------

make_docroot() {
  mkdir -p "$WORK/docroot" "$WORK/watch-empty"
  local page="$WORK/docroot/page.html"
  # A realistic small page: head with meta, a stylesheet and a script, a body with navigation,
  # a table and text, padded with ordinary paragraphs to about 2 KB.
  cat >"$page" <<'EOF_HEAD'
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Orders - Acme Dashboard</title>
  <link rel="stylesheet" href="/static/css/main.css">
  <link rel="icon" href="/favicon.ico">
  <script defer src="/static/js/app.js"></script>
</head>
<body class="page-orders">
  <header class="topbar">
    <a class="brand" href="/">Acme</a>
    <nav>
      <ul>
        <li><a href="/orders" aria-current="page">Orders</a></li>
        <li><a href="/customers">Customers</a></li>
        <li><a href="/reports">Reports</a></li>
        <li><a href="/settings">Settings</a></li>
      </ul>
    </nav>
  </header>
  <main id="content">
    <h1>Recent orders</h1>
    <table class="orders">
      <thead><tr><th>#</th><th>Customer</th><th>Total</th><th>Status</th></tr></thead>
      <tbody>
        <tr><td>10231</td><td>Jane Doe</td><td>$42.00</td><td>Shipped</td></tr>
        <tr><td>10232</td><td>John Roe</td><td>$17.50</td><td>Pending</td></tr>
        <tr><td>10233</td><td>Ada Lovelace</td><td>$99.99</td><td>Delivered</td></tr>
      </tbody>
    </table>
EOF_HEAD
  local footer='  </main>
  <footer><p>&copy; Acme Corp. Prices in USD.</p></footer>
</body>
</html>'
  local para='    <p>Orders placed before noon ship the same day; refunds appear within five working days.</p>'
  while (( $(wc -c <"$page") + ${#para} + 1 + ${#footer} + 1 <= 2048 )); do
    echo "$para" >>"$page"
  done
  echo "$footer" >>"$page"
  head -c 102400 /dev/urandom >"$WORK/docroot/file.bin"
  # Workers may run as another user when the master is root: make the tree readable.
  chmod 755 "$WORK" "$WORK/docroot"
  chmod 644 "$WORK/docroot/"*
  PAGE_BYTES="$(wc -c <"$page")"
  BIN_BYTES="$(wc -c <"$WORK/docroot/file.bin")"
}

# render TEMPLATE NAME PORT [UPSTREAM_PORT]: writes $WORK/NAME.conf.
render() {
  local template="$1" name="$2" port="$3" upstream="${4:-0}" user_line=""
  [[ "$(id -u)" == 0 ]] && user_line="user root root;"
  mkdir -p "$WORK/$name-tmp"
  sed -e "s|{{USER_LINE}}|$user_line|" -e "s|{{PREFIX}}|$WORK|g" -e "s|{{NAME}}|$name|g" \
      -e "s|{{PORT}}|$port|g" -e "s|{{UPSTREAM_PORT}}|$upstream|g" \
      -e "s|{{DOCROOT}}|$WORK/docroot|g" \
      "$TEMPLATES/$template" >"$WORK/$name.conf"
  "$NGINX" -t -q -p "$WORK" -e "$WORK/$name.startup.log" -c "$WORK/$name.conf" ||
    die "generated $name.conf is invalid (see above)"
}

nginx_cmd() {  # nginx_cmd NAME: the command line that runs $WORK/NAME.conf in the foreground
  echo "$NGINX -p $WORK -e $WORK/$1.startup.log -c $WORK/$1.conf"
}

# --- targets ------------------------------------------------------------------------------------

start_origin() {
  render origin.conf.in origin "${PORT[origin]}"
  # shellcheck disable=SC2046
  $(server_prefix) $(nginx_cmd origin) >"$WORK/origin.out" 2>&1 &
  STARTED_PIDS+=($!)
  SERVER_PIDS[direct]=$!
  wait_http "http://127.0.0.1:${PORT[origin]}/page.html" $! "origin nginx" ||
    die "origin did not start: $(cat "$WORK"/origin.error.log "$WORK"/origin.out 2>/dev/null)"
}

start_nginx_proxy() {
  render nginx_proxy.conf.in nginx-proxy "${PORT[nginx]}" "${PORT[origin]}"
  # shellcheck disable=SC2046
  $(server_prefix) $(nginx_cmd nginx-proxy) >"$WORK/nginx-proxy.out" 2>&1 &
  STARTED_PIDS+=($!)
  SERVER_PIDS[nginx]="${SERVER_PIDS[direct]} $!"
  PROXY_PID[nginx]=$!
  wait_http "http://127.0.0.1:${PORT[nginx]}/page.html" $! "nginx proxy" || return 1
}

# start_liveproxy TARGET: liveproxy (plain, or with --https for liveproxy-https) in front of an
# origin of its own, which it starts and supervises as "the app".
start_liveproxy() {
  local target="$1" bin="$LIVEPROXY_BINARY" origin url
  local -a tls=() curl_tls=()
  if [[ ! -x "$bin" ]]; then
    log "liveproxy binary not found or not executable: $bin (set LIVEPROXY_BINARY)"
    return 1
  fi
  bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
  if [[ "$target" == liveproxy-https ]]; then
    origin=origin_lps
    tls=(--https)
    # localhost, not 127.0.0.1: the name the certificate is made out to, so curl can verify it.
    url="https://localhost:${PORT[$target]}"
    TARGET_CACERT[$target]="$WORK/xdg-data/liveproxy/ca.pem"
    curl_tls=(--cacert "${TARGET_CACERT[$target]}")
  else
    origin=origin_lp
    url="http://127.0.0.1:${PORT[$target]}"
  fi
  TARGET_URL[$target]="$url"
  UPSTREAM_PORT[$target]="${PORT[$origin]}"
  mkdir -p "$WORK/xdg-data"
  # Its own origin, same template: liveproxy starts and supervises it as "the app".
  render origin.conf.in "${origin//_/-}" "${PORT[$origin]}"
  # XDG_DATA_HOME for both liveproxies, so they differ in --https only (see the top).
  # shellcheck disable=SC2046,SC2086
  XDG_DATA_HOME="$WORK/xdg-data" $(server_prefix) "$bin" "${tls[@]}" --port "${PORT[$target]}" \
    --app-port "${PORT[$origin]}" --watch "$WORK/watch-empty" ${LIVEPROXY_EXTRA_ARGS:-} \
    -- $(nginx_cmd "${origin//_/-}") >"$WORK/$target.out" 2>&1 &
  LP_PID[$target]=$!
  STARTED_PIDS+=($!)
  SERVER_PIDS[$target]=$!   # the origin is its child, so cpu_ticks counts both
  PROXY_PID[$target]="--self $!"
  # The https target is ready once TLS answers with a certificate from the CA it made.
  if ! wait_http "$url/page.html" $! "$target" "${curl_tls[@]}"; then
    log "$target output:"; sed 's/^/    /' "$WORK/$target.out" >&2 || true
    return 1
  fi
  if [[ "$target" == liveproxy-https ]]; then
    # What was negotiated, for the report: the cost of TLS depends on the version and cipher.
    TLS_INFO="$(curl -sS -v -o /dev/null --max-time 5 "${curl_tls[@]}" "$url/page.html" 2>&1 |
      sed -n 's/^\* SSL connection using //p' | head -1)"
  fi
}

# browser-sync (pinned version, from npm) as a fourth proxy in front of the shared origin.
start_browser_sync() {
  local dir="${BROWSER_SYNC_DIR:-$WORK/browser-sync}" bs
  if ! command -v npm >/dev/null; then
    log "npm not found: installing nodejs and npm from Debian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  bs="$dir/node_modules/.bin/browser-sync"
  if [[ ! -x "$bs" ]]; then
    mkdir -p "$dir"
    log "installing browser-sync@$BROWSER_SYNC_VERSION from npm into $dir (takes a while)"
    (cd "$dir" && npm install --no-audit --no-fund --no-save \
      "browser-sync@$BROWSER_SYNC_VERSION" >"$dir/npm.log" 2>&1) || {
      log "npm install browser-sync failed:"; tail -20 "$dir/npm.log" >&2; return 1; }
  fi
  # shellcheck disable=SC2046
  $(server_prefix) "$bs" start \
    --proxy "127.0.0.1:${PORT[origin]}" --port "${PORT[browser-sync]}" \
    --no-open --no-ui --no-notify --no-online \
    >"$WORK/browser-sync.out" 2>&1 &
  STARTED_PIDS+=($!)
  SERVER_PIDS[browser-sync]="${SERVER_PIDS[direct]} $!"
  PROXY_PID[browser-sync]=$!
  wait_http "http://127.0.0.1:${PORT[browser-sync]}/page.html" $! "browser-sync" || {
    sed 's/^/    /' "$WORK/browser-sync.out" >&2 || true; return 1; }
}

accept_for() {  # accept_for FILE: the Accept header a browser would send for it
  if [[ "$1" == *.html ]]; then echo "$ACCEPT_HTML"; else echo "$ACCEPT_ANY"; fi
}

# check_responses TARGET: each file comes back 200 with the right type and size (over https:
# with a certificate that verifies against the CA liveproxy made).
check_responses() {
  local target="$1" file code ctype size expect
  local -a tls=()
  [[ -n "${TARGET_CACERT[$target]:-}" ]] && tls=(--cacert "${TARGET_CACERT[$target]}")
  for file in page.html file.bin; do
    read -r code ctype size < <(curl -sS -o /dev/null --max-time 5 "${tls[@]}" \
      -H "$(accept_for "$file")" -w '%{http_code} %{content_type} %{size_download}\n' \
      "${TARGET_URL[$target]}/$file" || echo "000 - 0")
    if [[ "$file" == page.html ]]; then expect="$PAGE_BYTES"; else expect="$BIN_BYTES"; fi
    RESULT[$target/$file/size]="$size"
    if [[ "$code" != 200 ]]; then
      log "$target /$file: HTTP $code"; return 1
    fi
    case "$file" in
      page.html)
        [[ "$ctype" == text/html* ]] || log "$target /$file: unexpected Content-Type '$ctype'"
        if ((size < expect)); then log "$target /$file: short body ($size < $expect bytes)"; return 1; fi
        if ((size > expect)); then
          log "$target /$file: $expect -> $size bytes (+$((size - expect)) injected)"
        elif [[ "$target" == liveproxy* || "$target" == browser-sync ]]; then
          log "$target /$file: nothing injected (expected a script)"
        fi ;;
      file.bin)
        [[ "$ctype" == application/octet-stream* ]] ||
          log "$target /$file: unexpected Content-Type '$ctype'"
        if ((size != expect)); then log "$target /$file: $size bytes, expected $expect"; return 1; fi ;;
    esac
  done
}

# run_wrk TARGET FILE ROUND: (warm-up in round 1,) then the measured run; fills
# RESULT[TARGET/FILE@ROUND/*].
run_wrk() {
  local target="$1" file="$2" round="$3" url out line kv t0 t1 sampler="" k
  url="${TARGET_URL[$target]}/$file"
  out="$WORK/wrk-$target-${file%%.*}-$round.txt"
  k="$target/$file@$round"
  if ((round == 1 && WARMUP > 0)); then
    run_bg "$WORK/warmup.txt" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -H "$(accept_for "$file")" \
      "$url" || true
  fi
  # The origin's own counters (stub_status) before and after the run tell how many connections
  # the proxy opened to it and how many requests reached it. Midway, count the proxy's
  # ESTABLISHED connections to the origin.
  local upstream="${UPSTREAM_PORT[$target]}"
  if [[ "$target" != direct ]]; then
    (
      sleep "$(( (DURATION + 1) / 2 ))"
      ss -tnH state established "( dport = :$upstream )" 2>/dev/null | wc -l >"$out.ss"
    ) &
    sampler=$!
    SAMPLER_PIDS+=("$sampler")
  fi
  local s0 s1
  s0="$(origin_counters "$upstream")"
  local p0="" p1=""
  # shellcheck disable=SC2086
  t0="$(cpu_ticks ${SERVER_PIDS[$target]})"
  # shellcheck disable=SC2086
  [[ -n "${PROXY_PID[$target]:-}" ]] && p0="$(cpu_ticks ${PROXY_PID[$target]})"
  run_bg "$out" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s -H "$(accept_for "$file")" \
    -s "$TEMPLATES/report.lua" "$url" || log "wrk exited non-zero for $url"
  # shellcheck disable=SC2086
  t1="$(cpu_ticks ${SERVER_PIDS[$target]})"
  # shellcheck disable=SC2086
  [[ -n "${PROXY_PID[$target]:-}" ]] && p1="$(cpu_ticks ${PROXY_PID[$target]})"
  s1="$(origin_counters "$upstream")"
  if [[ -n "$sampler" ]]; then wait "$sampler" 2>/dev/null || true; fi
  line="$(grep '^BENCH ' "$out" || true)"
  if [[ -z "$line" ]]; then
    log "no result from wrk for $url:"; sed 's/^/    /' "$out" >&2
    RESULT[$k/rps]="FAILED"
    FAILED=1
    return 0
  fi
  for kv in ${line#BENCH }; do RESULT[$k/${kv%%=*}]="${kv#*=}"; done
  RESULT[$k/cpu]="$(awk -v d="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" \
    -v s="$DURATION" 'BEGIN { printf "%.0f", 100 * d / hz / s }')"
  if [[ -n "$p0" ]]; then
    RESULT[$k/pcpu]="$(awk -v d="$((p1 - p0))" -v hz="$(getconf CLK_TCK)" \
      -v s="$DURATION" 'BEGIN { printf "%.0f", 100 * d / hz / s }')"
  fi
  if [[ -f "$out.ss" ]]; then RESULT[$k/up_est]="$(cat "$out.ss")"; fi
  local a0 r0 a1 r1
  read -r a0 r0 <<<"$s0"
  read -r a1 r1 <<<"$s1"
  if [[ "$a0" != - && "$a1" != - ]]; then
    # Minus one: the second status request's own connection and request.
    RESULT[$k/up_new]=$((a1 - a0 - 1))
    RESULT[$k/up_req]=$((r1 - r0 - 1))
  fi
  local errs=$((RESULT[$k/err_connect] + RESULT[$k/err_read] +
                RESULT[$k/err_write] + RESULT[$k/err_timeout]))
  RESULT[$k/errors]="$errs"
  if ((errs > 0 || RESULT[$k/err_status] > 0)); then
    log "$target /$file: socket errors connect=${RESULT[$k/err_connect]}" \
      "read=${RESULT[$k/err_read]} write=${RESULT[$k/err_write]}" \
      "timeout=${RESULT[$k/err_timeout]}, non-2xx/3xx=${RESULT[$k/err_status]}"
  fi
  # Every client request should reach the origin exactly once (no caching, no retries). wrk
  # does not count the requests in flight when it stops (up to one per connection), and a slow
  # proxy may still forward those of the previous run after it began: allow twice that.
  local extra=$(( ${RESULT[$k/up_req]:-0} - RESULT[$k/requests] ))
  if [[ -n "${RESULT[$k/up_req]:-}" ]] && ((extra < 0 || extra > 2 * CONNECTIONS + 1)); then
    log "$target /$file: origin saw ${RESULT[$k/up_req]} requests, wrk completed ${RESULT[$k/requests]}"
  fi
  log "round $round: $target /$file: $(printf '%.0f' "${RESULT[$k/rps]}") req/s," \
    "p99 $(fmt_us "${RESULT[$k/p99_us]}"), server side CPU ${RESULT[$k/cpu]}%"
}

# aggregate TARGET FILE: RESULT[TARGET/FILE/*] := the round with the median req/s, plus the
# lowest and highest req/s over all rounds.
aggregate() {
  local target="$1" file="$2" round field
  local -a rows=()
  for ((round = 1; round <= ROUNDS; round++)); do
    local r="${RESULT[$target/$file@$round/rps]:-FAILED}"
    if [[ "$r" == FAILED ]]; then RESULT[$target/$file/rps]=FAILED; return 0; fi
    rows+=("$r $round")
  done
  local sorted median_round
  sorted="$(printf '%s\n' "${rows[@]}" | sort -g)"
  median_round="$(sed -n "$(( (ROUNDS + 1) / 2 ))p" <<<"$sorted" | cut -d' ' -f2)"
  for field in rps p50_us p99_us requests bytes duration_us err_status errors cpu pcpu up_est up_new; do
    [[ -n "${RESULT[$target/$file@$median_round/$field]:-}" ]] &&
      RESULT[$target/$file/$field]="${RESULT[$target/$file@$median_round/$field]}"
  done
  RESULT[$target/$file/rps_min]="$(head -1 <<<"$sorted" | cut -d' ' -f1)"
  RESULT[$target/$file/rps_max]="$(tail -1 <<<"$sorted" | cut -d' ' -f1)"
}

# --- report -------------------------------------------------------------------------------------

fmt_us() {  # microseconds -> "123us" / "1.23ms" / "1.23s"
  awk -v u="$1" 'BEGIN {
    if (u < 1000) printf "%dus", u; else if (u < 1e6) printf "%.2fms", u / 1000;
    else printf "%.2fs", u / 1e6 }'
}

# ratio A B (A, B = TARGET/FILE): the median over rounds of A's req/s / B's req/s in the same
# round (runs of one round are close in time, so a burst of load from elsewhere affects both),
# as "M" or, with several rounds, "M (lo-hi)"; "n/a" if either was not measured.
ratio() {
  local round a b
  local -a rs=()
  for ((round = 1; round <= ROUNDS; round++)); do
    a="${RESULT[$1@$round/rps]:-}"
    b="${RESULT[$2@$round/rps]:-}"
    [[ "$a" =~ ^[0-9.]+$ && "$b" =~ ^[0-9.]+$ ]] || { echo "n/a"; return 0; }
    rs+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", (b > 0 ? a / b : 0) }')")
  done
  printf '%s\n' "${rs[@]}" | sort -g | awk '{ v[NR] = $1 } END {
    m = v[int((NR + 1) / 2)]
    if (NR > 1) printf "%.2f (%.2f-%.2f)", m, v[1], v[NR]; else printf "%.2f", m }'
}

print_report() {
  local target file r
  local -a order=()
  for target in $ALL_TARGETS; do has_target "$target" && order+=("$target"); done

  echo
  echo "=== proxy_bench: wrk -t1 -c$CONNECTIONS -d${DURATION}s, keep-alive, rounds: $ROUNDS" \
    "(warm-up ${WARMUP}s per target and file) ==="
  echo "    $(date -u '+%Y-%m-%d %H:%M:%SZ'), $(nproc) cores, $(uname -r), nginx $("$NGINX" -v 2>&1 | sed 's|.*/||')," \
    "load average at start $LOADAVG, CPU steal during the runs $STEAL"
  if awk -v l="${LOADAVG%% *}" 'BEGIN { exit !(l > 1.5) }'; then
    echo "    WARNING: the machine was busy when the run started (load ${LOADAVG%% *} on $(nproc) cores):"
    echo "    other processes share the cores, so absolute figures and ratios are noisy."
  fi
  if ((PIN)); then
    echo "    pinning: wrk on core $WRK_CPU; origin + proxy (server side) share core $SERVER_CPU"
  else
    echo "    pinning: none"
  fi
  echo "    page.html = $PAGE_BYTES bytes text/html, file.bin = $BIN_BYTES bytes application/octet-stream"
  if has_target liveproxy-https; then
    echo "    liveproxy-https: wrk -> https://localhost:P, keep-alive TLS (curl negotiated" \
      "${TLS_INFO:-?}); liveproxy --https, CA and certificate made in the temp dir"
  fi
  echo
  printf '%-15s %-10s %9s %11s %9s %9s %8s %9s %16s %s\n' \
    target file "req/s" "range" p50 p99 "MB/s" "CPU srv/px" "origin conns" "errors"
  for target in "${order[@]}"; do
    for file in page.html file.bin; do
      local k="$target/$file"
      if [[ "${RESULT[$k/rps]:-}" == FAILED || -z "${RESULT[$k/rps]:-}" ]]; then
        printf '%-15s %-10s %9s\n' "$target" "$file" "FAILED"
        continue
      fi
      local up="${RESULT[$k/up_new]:-?} new"
      [[ -n "${RESULT[$k/up_est]:-}" ]] && up="${RESULT[$k/up_est]} open, $up"
      local errs="${RESULT[$k/errors]}"
      ((RESULT[$k/err_status] > 0)) && errs="$errs +${RESULT[$k/err_status]} non-2xx"
      local range="-"
      ((ROUNDS > 1)) && range="$(awk -v lo="${RESULT[$k/rps_min]}" -v hi="${RESULT[$k/rps_max]}" \
        -v m="${RESULT[$k/rps]}" 'BEGIN { printf "%+.0f/%+.0f%%", 100 * (lo / m - 1), 100 * (hi / m - 1) }')"
      local cpu="${RESULT[$k/cpu]}%"
      [[ -n "${RESULT[$k/pcpu]:-}" ]] && cpu="$cpu/${RESULT[$k/pcpu]}%"
      printf '%-15s %-10s %9.0f %11s %9s %9s %8.1f %10s %16s %s\n' "$target" "$file" \
        "${RESULT[$k/rps]}" "$range" "$(fmt_us "${RESULT[$k/p50_us]}")" "$(fmt_us "${RESULT[$k/p99_us]}")" \
        "$(awk -v b="${RESULT[$k/bytes]}" -v d="${RESULT[$k/duration_us]}" \
            'BEGIN { printf "%.1f", b / (d / 1e6) / 1048576 }')" \
        "$cpu" "$up" "$errs"
    done
  done
  echo "    req/s: median of $ROUNDS interleaved rounds; range: lowest/highest round against it;"
  echo "    the other columns: from the median round."
  echo "    CPU srv/px: CPU time / wall time (100% = one core) of the whole server side (origin and"
  echo "    proxy), then of the proxy alone."
  echo "    origin conns: connections to the origin open midway through the run, and how many the"
  echo "    origin accepted during the run (0 new = every connection reused from the warm-up; up to"
  echo "    ~$CONNECTIONS new can replace those closed when the previous run stopped mid-request)."

  echo
  echo "ratio of req/s: median over rounds of the per-round ratio (lowest-highest round)"
  printf '%-26s %18s %18s\n' "" page.html file.bin
  local -a pairs=()
  # Only pairs whose both sides were asked for: the others would print n/a.
  has_target nginx && has_target direct && pairs+=("nginx direct")
  has_target liveproxy && has_target direct && pairs+=("liveproxy direct")
  has_target liveproxy && has_target nginx && pairs+=("liveproxy nginx")
  has_target liveproxy-https && has_target liveproxy && pairs+=("liveproxy-https liveproxy")
  has_target browser-sync && has_target direct && pairs+=("browser-sync direct")
  has_target browser-sync && has_target nginx && pairs+=("browser-sync nginx")
  has_target browser-sync && has_target liveproxy && pairs+=("liveproxy browser-sync")
  local pair a b html bin
  for pair in "${pairs[@]}"; do
    read -r a b <<<"$pair"
    html="$(ratio "$a/page.html" "$b/page.html")"
    bin="$(ratio "$a/file.bin" "$b/file.bin")"
    printf '%-26s %18s %18s\n' "$a/$b" "$html" "$bin"
  done

  local -a verdicts=()
  has_target liveproxy && has_target nginx && verdicts+=("liveproxy nginx $HTML_TARGET $BIN_TARGET")
  has_target liveproxy-https && has_target liveproxy &&
    verdicts+=("liveproxy-https liveproxy $HTTPS_TARGET $HTTPS_TARGET")
  local v html_target bin_target
  ((${#verdicts[@]})) && echo
  for v in "${verdicts[@]}"; do
    read -r a b html_target bin_target <<<"$v"
    verdict "$a/$b" "HTML (page.html, with injection)" "$(ratio "$a/page.html" "$b/page.html")" \
      "$html_target"
    verdict "$a/$b" "100 KB file (file.bin)" "$(ratio "$a/file.bin" "$b/file.bin")" "$bin_target"
  done
  ((${#LP_RSS[@]})) && echo
  for target in liveproxy liveproxy-https; do
    if [[ -n "${LP_RSS[$target]:-}" ]]; then
      printf '%-15s peak RSS (VmHWM): %s (liveproxy process only, not its app)\n' "$target" \
        "${LP_RSS[$target]}"
    fi
  done
}

verdict() {  # verdict PAIR LABEL RATIO TARGET
  local pair="$1" label="$2" r="${3%% *}" target="$4"
  if [[ "$r" == n/a ]]; then
    printf '%-25s %-34s %5s  NOT MEASURED (target >= %s)\n' "$pair" "$label:" "$r" "$target"
  elif awk -v r="$r" -v t="$target" 'BEGIN { exit !(r >= t) }'; then
    printf '%-25s %-34s %5s  meets target (>= %s)\n' "$pair" "$label:" "$r" "$target"
  else
    printf '%-25s %-34s %5s  *** BELOW TARGET (>= %s) ***\n' "$pair" "$label:" "$r" "$target"
  fi
}

# --- main ---------------------------------------------------------------------------------------

# cpu_steal: "steal total" jiffies of all CPUs, from /proc/stat.
cpu_steal() {
  awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t }' /proc/stat
}

# plain_target TARGET PORT: TARGET is loaded over plain HTTP on 127.0.0.1:PORT and reaches the
# shared origin (direct: is the shared origin).
plain_target() {
  TARGET_URL[$1]="http://127.0.0.1:$2"
  UPSTREAM_PORT[$1]="${PORT[origin]}"
}

# start_targets: starts each wanted target's server side and checks its responses; a target that
# fails is marked FAILED and left out of ACTIVE.
start_targets() {
  local target file ok
  for target in $ALL_TARGETS; do
    has_target "$target" || continue
    ok=1
    # The liveproxies set their URL and origin themselves (each has its own).
    case "$target" in
      direct) plain_target direct "${PORT[origin]}" ;;
      nginx) plain_target nginx "${PORT[nginx]}"; start_nginx_proxy || ok=0 ;;
      liveproxy|liveproxy-https) start_liveproxy "$target" || ok=0 ;;
      browser-sync) plain_target browser-sync "${PORT[browser-sync]}"; start_browser_sync || ok=0 ;;
    esac
    if ((ok)) && ! check_responses "$target"; then
      log "$target: wrong responses, not measured"
      ok=0
    fi
    if ((ok)); then
      ACTIVE+=("$target")
    else
      for file in page.html file.bin; do RESULT[$target/$file/rps]=FAILED; done
      FAILED=1
    fi
  done
}

main() {
  parse_args "$@"
  ensure_deps
  WORK="$(mktemp -d /tmp/proxy_bench.XXXXXX)"
  trap cleanup EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "terminated"; exit 143' TERM

  local -a roles=(origin nginx origin_lp liveproxy origin_lps liveproxy-https browser-sync)
  local -a ports
  read -r -a ports <<<"$(free_ports "${#roles[@]}")"
  local i
  for i in "${!roles[@]}"; do PORT[${roles[i]}]="${ports[i]}"; done
  log "work dir $WORK; ports: $(for r in "${roles[@]}"; do printf '%s=%s ' "$r" "${PORT[$r]}"; done)"

  LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
  make_docroot
  start_origin
  start_targets

  # Rounds interleave the targets, so a burst of load from elsewhere on the machine hits one
  # round of every target rather than all runs of one target; the median round is reported.
  local round target file steal0 total0 steal1 total1
  read -r steal0 total0 <<<"$(cpu_steal)"
  for ((round = 1; round <= ROUNDS; round++)); do
    for target in "${ACTIVE[@]}"; do
      for file in page.html file.bin; do run_wrk "$target" "$file" "$round"; done
    done
  done
  read -r steal1 total1 <<<"$(cpu_steal)"
  STEAL="$(awk -v s="$((steal1 - steal0))" -v t="$((total1 - total0))" \
    'BEGIN { printf "%.1f%%", (t > 0 ? 100 * s / t : 0) }')"
  for target in "${ACTIVE[@]}"; do
    for file in page.html file.bin; do aggregate "$target" "$file"; done
  done

  for target in "${!LP_PID[@]}"; do
    if kill -0 "${LP_PID[$target]}" 2>/dev/null; then
      LP_RSS[$target]="$(awk '/^VmHWM/ { print $2 " " $3 }' "/proc/${LP_PID[$target]}/status")"
    else
      log "$target is no longer running after the benchmark:"
      sed 's/^/    /' "$WORK/$target.out" >&2 || true
      FAILED=1
    fi
  done

  print_report
  if ((FAILED)); then
    echo
    echo "Some targets could not be measured (see the log above): exit status 2."
    exit 2
  fi
}

main "$@"
