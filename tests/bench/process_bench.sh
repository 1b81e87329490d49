#!/usr/bin/env bash
# process_bench.sh: what the whole liveproxy process costs on a big tree: time until it watches, memory,
# CPU while idle. watcher_bench measures the watcher alone; this measures the real binary (proxy, reload hub,
# supervisor and watcher together) in front of a real app, after it has served requests.
#
# Reference in the same run: the app itself (python3 -m http.server), so the figures read as "liveproxy
# costs this much next to your app". It prints figures; it is not a test (exit status 0 unless something
# could not be measured).
#
# Usage: tests/bench/process_bench.sh [--files N] [--idle SECS] [--requests N]
#   Progress on stderr; the tree and liveproxy are removed/stopped at the end, also on Ctrl-C and SIGTERM.
# Environment: LIVEPROXY_BINARY (default ./build/liveproxy)
set -euo pipefail

FILES=20000
IDLE=30
REQUESTS=500
LIVEPROXY_BINARY="${LIVEPROXY_BINARY:-./build/liveproxy}"
while (($#)); do
  case "$1" in
    --files) FILES="$2"; shift 2 ;;
    --idle) IDLE="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    -h|--help) sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -x "$LIVEPROXY_BINARY" ]] || { echo "liveproxy binary not found: $LIVEPROXY_BINARY (set LIVEPROXY_BINARY)" >&2; exit 2; }
LIVEPROXY_BINARY="$(realpath "$LIVEPROXY_BINARY")"
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }

WORK="$(mktemp -d /tmp/process_bench.XXXXXX)"
LP_PID=""
log() { printf '[process_bench] %s\n' "$*" >&2; }
cleanup() {
  [[ -n "$LP_PID" ]] && kill -TERM "$LP_PID" 2>/dev/null && wait "$LP_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM
log "writing $FILES files under $WORK/tree"

# The tree: FILES files, 10 per directory, directories two levels deep (as watcher_bench makes them).
/usr/bin/python3 - "$WORK/tree" "$FILES" <<'EOF'
import os, sys
root, files = sys.argv[1], int(sys.argv[2])
dirs = max(1, files // 10)
for d in range(dirs):
    path = os.path.join(root, "d%03d" % (d % 100), "s%05d" % d)
    os.makedirs(path, exist_ok=True)
    for f in range(10):
        with open(os.path.join(path, "f%d.py" % f), "w") as fh:
            fh.write("x = %d\n" % f)
with open(os.path.join(root, "index.html"), "w") as fh:
    fh.write("<!doctype html><html><head><title>bench</title></head><body>" + "<p>text</p>" * 150 + "</body></html>\n")
EOF

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
hz="$(getconf CLK_TCK)"

log "starting liveproxy in front of python3 -m http.server, watching the tree"
start_ns="$(date +%s%N)"
(cd "$WORK/tree" && exec "$LIVEPROXY_BINARY" --port 0 --watch . -- /usr/bin/python3 -m http.server --bind 127.0.0.1 '{port}') \
  >"$WORK/out.log" 2>&1 &
LP_PID=$!
for ((i = 0; i < 600; i++)); do
  grep -q "watching" "$WORK/out.log" && break
  kill -0 "$LP_PID" 2>/dev/null || { cat "$WORK/out.log" >&2; exit 2; }
  sleep 0.01
done
ready_ns="$(date +%s%N)"
port="$(sed -n 's|.*http://127.0.0.1:\([0-9]*\) -> app.*|\1|p' "$WORK/out.log" | head -1)"
[[ -n "$port" ]] || { echo "no URL line:" >&2; cat "$WORK/out.log" >&2; exit 2; }
for ((i = 0; i < 500; i++)); do
  curl -fs -o /dev/null "http://127.0.0.1:$port/index.html" && break
  sleep 0.02
done
for ((i = 0; i < REQUESTS; i++)); do printf 'url = "http://127.0.0.1:%s/index.html"\noutput = "/dev/null"\n' "$port"; done >"$WORK/urls"
curl -fs -K "$WORK/urls" || { echo "requests through liveproxy failed" >&2; exit 2; }
curl -fs "http://127.0.0.1:$port/index.html" | grep -q "/__liveproxy/client.js" || { echo "no script injected" >&2; exit 2; }
app_pid="$(pgrep -f "http.server --bind 127.0.0.1 [0-9]" | while read -r p; do
  [[ "$(readlink "/proc/$p/cwd")" == "$WORK/tree" ]] && echo "$p"; done | head -1)"
[[ -n "$app_pid" ]] || { echo "app process not found" >&2; exit 2; }

log "served $REQUESTS requests; now $IDLE s idle"
lp0="$(ticks "$LP_PID")"; app0="$(ticks "$app_pid")"
sleep "$IDLE" & wait $!   # in the background, so that Ctrl-C runs the trap at once
lp1="$(ticks "$LP_PID")"; app1="$(ticks "$app_pid")"

awk -v r="$(( (ready_ns - start_ns) / 1000000 ))" -v n="$FILES" -v req="$REQUESTS" -v idle="$IDLE" -v hz="$hz" \
    -v lrss="$(status_kb "$LP_PID" VmRSS)" -v lhwm="$(status_kb "$LP_PID" VmHWM)" -v lcpu="$((lp1 - lp0))" \
    -v arss="$(status_kb "$app_pid" VmRSS)" -v ahwm="$(status_kb "$app_pid" VmHWM)" -v acpu="$((app1 - app0))" '
BEGIN {
  printf "=== process_bench: %d files watched, %d requests served, %d s idle ===\n", n, req, idle
  printf "%-28s %12s %10s %10s %14s\n", "process", "watching in", "RSS MB", "peak MB", "idle CPU s"
  printf "%-28s %10d ms %10.1f %10.1f %14.2f\n", "liveproxy (whole process)", r, lrss / 1024, lhwm / 1024, lcpu / hz
  printf "%-28s %12s %10.1f %10.1f %14.2f\n", "reference: the app alone", "-", arss / 1024, ahwm / 1024, acpu / hz
  printf "liveproxy / app peak RSS: %.2f\n", lhwm / ahwm
}'
