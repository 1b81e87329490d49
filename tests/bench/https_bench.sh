#!/usr/bin/env bash
# https_bench.sh: what TLS costs on liveproxy's front port (--https), against plain HTTP on the same port of
# the same liveproxy, in one run: wrk over keep-alive connections for a 2 KB HTML page (script injected) served
# by --serve, so the figure is the front's own cost with nothing behind it: TLS and injection. It is the hardest
# case for TLS (serving from memory costs so little that the encryption is a third of the work); issue 27's
# target (within 15 % of plain HTTP, proxying) is measured by proxy_bench.sh's liveproxy-https target.
# A measurement, not a test: the exit status is 0 unless something could not be measured.
#
# Usage: tests/bench/https_bench.sh [--duration SECS] [--rounds N]
# Environment: LIVEPROXY_BINARY (default ./build/liveproxy), CONNECTIONS (32).
# wrk gets core 0 and liveproxy core 1 (two cores), so neither steals from the other.
set -euo pipefail

DURATION=10
ROUNDS=3
while (($#)); do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    *) echo "usage: $0 [--duration SECS] [--rounds N]" >&2; exit 2 ;;
  esac
done
LIVEPROXY_BINARY="${LIVEPROXY_BINARY:-./build/liveproxy}"
CONNECTIONS="${CONNECTIONS:-32}"
command -v wrk >/dev/null || { echo "https_bench: wrk is needed (apt-get install wrk)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/liveproxy-https-bench.XXXXXX)"
LP_PID=""
cleanup() {
  [[ -n "$LP_PID" ]] && kill "$LP_PID" 2>/dev/null && wait "$LP_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# A 2 KB page, as the proxy benchmark's.
mkdir -p "$WORK/site" "$WORK/data"
{
  echo '<!doctype html><html><head><meta charset="utf-8"><title>bench</title></head><body>'
  for i in $(seq 1 30); do echo "<p>Paragraph $i of a page of about two kilobytes.</p>"; done
  echo '</body></html>'
} >"$WORK/site/index.html"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
XDG_DATA_HOME="$WORK/data" taskset -c 1 "$LIVEPROXY_BINARY" --https --port "$PORT" --serve "$WORK/site" --quiet \
  >"$WORK/liveproxy.out" 2>&1 &
LP_PID=$!
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/" && break
  sleep 0.05
done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/" || { echo "https_bench: liveproxy did not start:" >&2; cat "$WORK/liveproxy.out" >&2; exit 1; }
curl -sf -o /dev/null --cacert "$WORK/data/liveproxy/ca.pem" "https://localhost:$PORT/" ||
  { echo "https_bench: https did not answer" >&2; exit 1; }

# Requests/s of one wrk run against URL.
rate() {
  taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -H 'Accept: text/html' "$1" 2>&1 |
    awk '/Requests\/sec/ {print $2}'
}
best_http=0
best_https=0
echo "2 KB page through liveproxy --https --serve, wrk -t1 -c$CONNECTIONS, ${DURATION}s x $ROUNDS rounds (best of each)"
for round in $(seq 1 "$ROUNDS"); do
  # Alternated, so drift (heat, other load) falls on both alike.
  h="$(rate "http://127.0.0.1:$PORT/")"
  s="$(rate "https://localhost:$PORT/")"
  printf '  round %d: http %s req/s, https %s req/s\n' "$round" "$h" "$s"
  best_http="$(python3 -c "print(max($best_http, $h))")"
  best_https="$(python3 -c "print(max($best_https, $s))")"
done
ratio="$(python3 -c "print(f'{$best_https / $best_http:.3f}')")"
printf 'http  %10.0f req/s\nhttps %10.0f req/s\nhttps/http %s\n' "$best_http" "$best_https" "$ratio"
