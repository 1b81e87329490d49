#!/usr/bin/env bash
# peers_bench.sh: liveproxy next to the tools people use instead, in one run on one machine, one report.
#
# Why: every figure we quote against another tool should come from the same invocation on the same machine,
# with the versions and the exact commands beside it. This script installs the peers it needs (browser-sync
# and live-server from npm into a cache folder, python3-livereload, Django and nginx from Debian), runs the
# sections below, prints one Markdown report and saves it (tests/bench/RESULTS.md for a full run):
#   1  proxy throughput, p50/p99: direct, nginx proxy_pass, browser-sync --proxy, liveproxy  (proxy_bench.sh)
#   2  change -> socket message p50/p95, CSS and HTML, small folder and 20,000 files  (peers/change_bench.py)
#   3  change -> pixel in headless Chromium for a CSS edit, and where the time goes  (css_swap_bench.mjs);
#      a template edit with the page kept (morphed) and with --reload-mode full  (morph_bench.mjs)
#   4  Django code edit -> new content served: runserver, browser-sync, liveproxy's modes  (peers/code_edit_bench.py)
#   5  liveproxy's own share of a restart  (restart_bench.py)
#   6  idle CPU, RSS and time until watching on 20,000 files  (peers/change_bench.py)
# It is a measurement, not a test: it exits non-zero only on a usage error or when a section could not run.
#
# Usage: tests/bench/peers_bench.sh [--quick] [--only N[,N...]] [--binary PATH] [--out FILE]
#   --quick   fewer edits, rounds and seconds (about 6 minutes instead of about 20; rougher figures)
#   --only N  run only these sections (numbers above, comma-separated)
#   --out     where to save the report (default: tests/bench/RESULTS.md for a full run, else
#             tests/bench/RESULTS-partial.md, which git ignores)
# Environment: LIVEPROXY_BINARY (default ./build/liveproxy), LIVEPROXY_PEERS_DIR (npm prefix for the peers;
#   default tests/bench/.peers).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
readonly ROOT
# shellcheck disable=SC2034  # read by bench_lib.sh
BENCH_NAME=peers_bench
# shellcheck source=tests/bench/bench_lib.sh
source "$SCRIPT_DIR/bench_lib.sh"

readonly PY=/usr/bin/python3              # Debian's: it has Django, websockets and livereload
readonly BROWSER_SYNC_VERSION=3.0.4
readonly LIVE_SERVER_VERSION=1.2.2
PEERS="${LIVEPROXY_PEERS_DIR:-$SCRIPT_DIR/.peers}"
LIVEPROXY_BINARY="${LIVEPROXY_BINARY:-./build/liveproxy}"
QUICK=0
ONLY="1,2,3,4,5,6"
OUT=""

parse_args() {
  while (($#)); do
    case "$1" in
      --quick) QUICK=1; shift ;;
      --only) [[ $# -ge 2 ]] || die "--only wants section numbers"; ONLY="$2"; shift 2 ;;
      --binary) [[ $# -ge 2 ]] || die "--binary wants a path"; LIVEPROXY_BINARY="$2"; shift 2 ;;
      --out) [[ $# -ge 2 ]] || die "--out wants a file"; OUT="$2"; shift 2 ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; die "unknown argument: $1" ;;
    esac
  done
  [[ "$ONLY" =~ ^[1-6](,[1-6])*$ ]] || die "--only wants section numbers 1-6, comma-separated (got '$ONLY')"
  if [[ -z "$OUT" ]]; then
    if ((QUICK)) || [[ "$ONLY" != "1,2,3,4,5,6" ]]; then OUT="$SCRIPT_DIR/RESULTS-partial.md"
    else OUT="$SCRIPT_DIR/RESULTS.md"; fi
  fi
}

wants() { [[ ",$ONLY," == *",$1,"* ]]; }

# helper CMD...: runs a section's benchmark in the background and waits for it, so that Ctrl-C or SIGTERM runs
# our trap at once (bash defers traps until a foreground child ends); the trap's cleanup stops LOAD_PID, and the
# helper's own trap or signal handler stops what it started.
helper() {
  "$@" &
  LOAD_PID=$!
  local status=0
  wait "$LOAD_PID" || status=$?
  LOAD_PID=""
  return "$status"
}

# --- installing the peers -----------------------------------------------------------------------

# need PACKAGE TEST...: PACKAGE (Debian) is wanted unless the command TEST succeeds.
declare -a APT_MISSING=()
need() {
  local pkg="$1"; shift
  "$@" >/dev/null 2>&1 || APT_MISSING+=("$pkg")
}

install_peers() {
  ensure_deps   # wrk, nginx, curl, taskset... (bench_lib.sh)
  need python3-django "$PY" -c 'import django'
  need python3-websockets "$PY" -c 'import websockets'
  need python3-livereload test -x /usr/bin/livereload
  need nodejs command -v node
  need npm command -v npm
  if wants 3; then need chromium test -x /usr/bin/chromium; fi
  if ((${#APT_MISSING[@]})); then
    log "installing from Debian: ${APT_MISSING[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT_MISSING[@]}" >/dev/null ||
      die "could not install ${APT_MISSING[*]}"
  fi
  local bin="$PEERS/node_modules/.bin"
  if [[ ! -x "$bin/browser-sync" || ! -x "$bin/live-server" ]] ||
     ! grep -q "\"version\": \"$BROWSER_SYNC_VERSION\"" "$PEERS/node_modules/browser-sync/package.json" 2>/dev/null ||
     ! grep -q "\"version\": \"$LIVE_SERVER_VERSION\"" "$PEERS/node_modules/live-server/package.json" 2>/dev/null; then
    mkdir -p "$PEERS"
    log "installing browser-sync@$BROWSER_SYNC_VERSION and live-server@$LIVE_SERVER_VERSION from npm into $PEERS"
    (cd "$PEERS" && npm install --no-audit --no-fund --no-save "browser-sync@$BROWSER_SYNC_VERSION" \
      "live-server@$LIVE_SERVER_VERSION" >"$PEERS/npm.log" 2>&1) || {
      tail -20 "$PEERS/npm.log" >&2; die "npm install of the peers failed (log: $PEERS/npm.log)"; }
  fi
  if wants 3 && [[ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]]; then
    log "installing tests/browser's npm packages (playwright-core) for section 3"
    (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund >/dev/null 2>&1) || die "npm ci in tests/browser failed"
  fi
}

# --- the machine and the versions ---------------------------------------------------------------

version_of() {  # version_of NAME: one line
  case "$1" in
    liveproxy) "$LIVEPROXY_BINARY" --version 2>/dev/null | head -1 || echo "?" ;;
    nginx) "$NGINX" -v 2>&1 | sed 's|.*/||' ;;
    wrk) { wrk -v 2>&1 || true; } | awk 'NR == 1 { print $2 }' ;;
    node) node --version ;;
    browser-sync) "$PEERS/node_modules/.bin/browser-sync" --version 2>/dev/null ;;
    live-server) "$PEERS/node_modules/.bin/live-server" --version 2>/dev/null | awk '{ print $NF }' ;;
    python-livereload) "$PY" -c 'import livereload, tornado; print(livereload.__version__, "(tornado", tornado.version + ")")' ;;
    django) "$PY" -c 'import django; print(django.get_version())' ;;
    python) "$PY" --version | awk '{ print $2 }' ;;
    chromium) /usr/bin/chromium --version 2>/dev/null | awk '{ print $2 }' ;;
  esac
}

header() {
  local cpu started="$1"
  cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "# liveproxy and its peers: benchmark results"
  echo
  echo "Generated by \`tests/bench/peers_bench.sh$( ((QUICK)) && echo ' --quick')$([[ "$ONLY" != 1,2,3,4,5,6 ]] && echo " --only $ONLY")\`" \
    "on $(date -u '+%Y-%m-%d %H:%M UTC'); every figure below comes from this one run."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| machine | ${cpu:-?}, $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) |"
  echo "| system | $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r) |"
  echo "| load average at start | $started (1, 5, 15 min) |"
  echo "| load average at end | $(cut -d' ' -f1-3 /proc/loadavg) |"
  local t
  for t in liveproxy nginx wrk node browser-sync live-server python-livereload django python chromium; do
    echo "| $t | $(version_of "$t" || echo '?') |"
  done
  echo "| liveproxy binary | \`$LIVEPROXY_BINARY\`, built $(date -u -r "$LIVEPROXY_BINARY" '+%Y-%m-%d %H:%M UTC') |"
  if awk -v l="${started%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > 0.5 * n) }'; then
    echo
    echo "**The machine was busy when the run started (load ${started%% *} on $(nproc) cores): other processes" \
      "shared the cores, so absolute figures are noisy; the ratios, measured in the same run, less so.**"
  fi
}

# --- the sections -------------------------------------------------------------------------------

section_1() {
  local rounds=3 duration=5 warmup=2
  ((QUICK)) && { rounds=1; duration=3; warmup=1; }
  echo "## 1. Proxy throughput and latency"
  echo
  echo "wrk, 32 keep-alive connections, wrk on one core and the server side (origin + proxy) on the other;" \
    "a 2 KB HTML page (liveproxy and browser-sync inject their script) and a 100 KB file." \
    "\"direct\" is the origin nginx itself."
  echo
  echo '```'
  BROWSER_SYNC_DIR="$PEERS" LIVEPROXY_BINARY="$LIVEPROXY_BINARY" \
    helper "$SCRIPT_DIR/proxy_bench.sh" --with-browser-sync --rounds "$rounds" --duration "$duration" --warmup "$warmup" || true
  echo '```'
  echo
  echo "Commands: origin and nginx proxy from \`tests/bench/proxy_bench/*.conf.in\` (one worker each);" \
    "\`liveproxy --port P --app-port O --watch EMPTY -- nginx -c origin.conf\`;" \
    "\`browser-sync start --proxy 127.0.0.1:O --port P --no-open --no-ui --no-notify --no-online\`;" \
    "\`wrk -t1 -c32 -d${duration}s --timeout 5s\`."
}

# Sections 2 and 6 share one 20,000-file folder and one start of each tool, so they run together.
run_change_bench() {
  local only=()
  if wants 2 && ! wants 6; then only=(--only latency); fi
  if wants 6 && ! wants 2; then only=(--only idle); fi
  local edits=100 idle=30
  ((QUICK)) && { edits=20; idle=10; }
  helper "$PY" "$SCRIPT_DIR/peers/change_bench.py" --binary "$LIVEPROXY_BINARY" --peers "$PEERS" --edits "$edits" \
    --idle "$idle" "${only[@]}" --out-prefix "$WORK/change" || log "change_bench.py failed"
}

section_2() {
  echo "## 2. Change -> reload message on the tool's socket"
  echo
  echo "Each tool at its defaults, serving and watching the same folder; a test client on its socket speaks" \
    "its protocol (liveproxy's /__liveproxy/ws and its LiveReload endpoint /livereload, browser-sync's socket.io," \
    "live-server's socket, python-livereload's LiveReload). Target: liveproxy lowest, under 1 ms p50 with" \
    "20,000 files."
  echo
  cat "$WORK/change-latency.md" 2>/dev/null || echo "(no figures: see the log)"
}

section_3() {
  local edits=50
  ((QUICK)) && edits=20
  echo "## 3. Change -> pixel in headless Chromium (CSS edit, template edit)"
  echo
  echo "\`node tests/bench/css_swap_bench.mjs --edits $edits\`: the browser tests' app (a Python http.server)" \
    "behind liveproxy, a page with four stylesheets; each edit rewrites static/site.css and waits for the new" \
    "colour. The parts come from the page's own clock (socket message, Resource Timing of the sheet's fetch," \
    "the load event / next frame that shows the colour)."
  echo
  echo '```'
  LIVEPROXY_BINARY="$LIVEPROXY_BINARY" helper node "$SCRIPT_DIR/css_swap_bench.mjs" --edits "$edits" || echo "(failed: see the log)"
  echo '```'
  echo
  echo "\`node tests/bench/morph_bench.mjs --edits $edits\`: the same app; each edit gives the template of a page" \
    "of about 1400 px with a form (scrolled down, a name typed) a new heading and waits for the new text: first" \
    "with the page kept (the default: the page is fetched again and morphed in place), then with a fresh liveproxy" \
    "under \`--reload-mode full\` (the page reloads). The page's clock stamps the text in the DOM (a" \
    "MutationObserver) and the next frame; for a reload, in the new document."
  echo
  echo '```'
  LIVEPROXY_BINARY="$LIVEPROXY_BINARY" helper node "$SCRIPT_DIR/morph_bench.mjs" --edits "$edits" || echo "(failed: see the log)"
  echo '```'
}

section_4() {
  local edits=20 gentle=10
  ((QUICK)) && { edits=5; gentle=3; }
  echo "## 4. Django code edit -> new content served"
  echo
  echo "Twice: a client starting a request every 20 ms (about 50 requests arrive while the app restarts, as when" \
    "several tabs reload a page with its assets), then every 100 ms (about 10)."
  echo
  echo "### A request every 20 ms"
  echo
  helper "$PY" "$SCRIPT_DIR/peers/code_edit_bench.py" --binary "$LIVEPROXY_BINARY" --peers "$PEERS" --edits "$edits" \
    --poll-ms 20 || echo "(failed: see the log)"
  echo
  echo "### A request every 100 ms"
  echo
  helper "$PY" "$SCRIPT_DIR/peers/code_edit_bench.py" --binary "$LIVEPROXY_BINARY" --peers "$PEERS" --edits "$gentle" \
    --poll-ms 100 || echo "(failed: see the log)"
}

section_5() {
  local runs=15
  ((QUICK)) && runs=5
  echo "## 5. liveproxy's own share of a restart"
  echo
  echo "\`restart_bench.py --runs $runs\`: a minimal Python app; change -> held request answered, split." \
    "'ours' = stop + spawn + readiness + forwarding (target: <= 5 ms median)."
  echo
  echo '```'
  helper "$PY" "$SCRIPT_DIR/restart_bench.py" --binary "$LIVEPROXY_BINARY" --runs "$runs" || echo "(failed: see the log)"
  if "$LIVEPROXY_BINARY" --help | grep -q -- --no-speculative-restart; then
    echo
    helper "$PY" "$SCRIPT_DIR/restart_bench.py" --binary "$LIVEPROXY_BINARY" --runs "$runs" --speculative ||
      echo "(failed: see the log)"
  fi
  echo '```'
}

section_6() {
  echo "## 6. Watching 20,000 files: time until watching, idle CPU, memory"
  echo
  cat "$WORK/change-idle.md" 2>/dev/null || echo "(no figures: see the log)"
}

# peers_cleanup: the EXIT trap. A running section's benchmark gets SIGTERM and up to 15 s to stop what it started
# and remove its files (closing Chromium takes a few seconds), then bench_lib.sh's cleanup does the rest.
peers_cleanup() {
  local status=$? i
  set +e  # the (exit) below must not end the trap before the cleanup
  if [[ -n "${LOAD_PID:-}" ]] && kill -TERM "$LOAD_PID" 2>/dev/null; then
    for ((i = 0; i < 150; i++)); do kill -0 "$LOAD_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  (exit "$status")
  cleanup
}

main() {
  parse_args "$@"
  WORK="$(mktemp -d /tmp/peers_bench.XXXXXX)"
  install_traps
  trap peers_cleanup EXIT
  install_peers
  LIVEPROXY_BINARY="$(liveproxy_path "$LIVEPROXY_BINARY")" || die "build liveproxy first (cmake --build build)"
  local started t0 n
  started="$(cut -d' ' -f1-3 /proc/loadavg)"
  t0=$SECONDS
  log "sections $ONLY$( ((QUICK)) && echo ' (quick)'); load average $started; report -> $OUT"
  if wants 2 || wants 6; then
    log "sections 2/6: change -> message and idle cost, every tool (the longest part)"
    run_change_bench
  fi
  for n in 1 2 3 4 5 6; do
    wants "$n" || continue
    log "section $n"
    "section_$n" >"$WORK/section-$n.md"
  done
  {
    header "$started"
    for n in 1 2 3 4 5 6; do
      wants "$n" || continue
      echo
      cat "$WORK/section-$n.md"
    done
    echo
    echo "Whole run: $(( (SECONDS - t0) / 60 )) min $(( (SECONDS - t0) % 60 )) s."
  } >"$WORK/report.md"
  cp "$WORK/report.md" "$OUT"
  cat "$WORK/report.md"
  log "saved $OUT"
}

main "$@"
