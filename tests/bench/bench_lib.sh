# bench_lib.sh: helpers shared by serve_bench.sh and load_bench.sh (sourced, not run).
#
# Why a library: both scripts start servers pinned to one core and wrk to the other, pick ports at
# run time, stop everything on exit, sample the servers' CPU, memory and descriptors, and say how
# quiet the machine was; proxy_bench.sh, the model, does the same inline. The caller sets
# BENCH_NAME before sourcing, and WORK, PIN, KEEP_TMP before using what needs them.
# shellcheck shell=bash
# Variables set here are read by the scripts that source this file:
# shellcheck disable=SC2034

WRK_CPU=0
SERVER_CPU=1
PIN="${PIN:-1}"
KEEP_TMP="${KEEP_TMP:-0}"
WORK=""
LOAD_PID=""                    # the running wrk, if any
declare -a STARTED_PIDS=()     # every server we started, stopped in reverse order on exit
declare -a SAMPLER_PIDS=()     # background samplers, each stopped through its stop file
declare -A RESULT=()           # "row/file[@round]/field" -> value, filled by parse_bench and the caller

log() { printf '[%s] %s\n' "$BENCH_NAME" "$*" >&2; }
die() { log "error: $*"; exit 2; }

# usage: the "# Usage:" block of the header comment, up to "# Environment".
usage() { sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

# --- dependencies -------------------------------------------------------------------------------

# ensure_deps: installs from Debian what the benchmarks run (only what is missing); sets NGINX.
ensure_deps() {
  local -a missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
  command -v curl >/dev/null || missing+=(curl)
  [[ -x /usr/bin/python3 ]] || missing+=(python3)
  command -v taskset >/dev/null || missing+=(util-linux)
  command -v ss >/dev/null || missing+=(iproute2)
  command -v cmp >/dev/null || missing+=(diffutils)
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

# liveproxy_path BIN: BIN as an absolute path, once it exists. Others rebuild build/liveproxy from
# time to time, so a missing binary is waited for (up to 5 minutes) rather than failed at once.
liveproxy_path() {
  local bin="$1" deadline=$((SECONDS + 300)) said=0
  while [[ ! -x "$bin" ]]; do
    ((SECONDS < deadline)) || { log "liveproxy binary not found or not executable: $bin"; return 1; }
    ((said)) || { log "waiting for $bin to appear (a rebuild in progress?)"; said=1; }
    sleep 2
  done
  echo "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
}

# --- the machine --------------------------------------------------------------------------------

# busy_processes: names of heavy processes of other work (compilers, browsers, test runners).
busy_processes() {
  local name
  for name in cc1plus cc1 chromium ctest; do
    pgrep -x "$name" >/dev/null 2>&1 && printf '%s ' "$name"
  done
  return 0
}

# wait_quiet MAX_LOAD MINUTES: waits (polling every 30 s) until the 1-minute load average is below
# MAX_LOAD and none of busy_processes runs; gives up after MINUTES and carries on, saying so.
wait_quiet() {
  local max="$1" minutes="$2" deadline load busy
  deadline=$((SECONDS + 60 * minutes))
  while :; do
    load="$(cut -d' ' -f1 /proc/loadavg)"
    busy="$(busy_processes)"
    if [[ -z "$busy" ]] && awk -v l="$load" -v m="$max" 'BEGIN { exit !(l < m) }'; then
      log "machine quiet: load $load"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      log "still busy after $minutes min (load $load${busy:+; running: $busy}): measuring anyway"
      return 0
    fi
    log "waiting for a quiet machine: load $load (want < $max)${busy:+; running: $busy}"
    sleep 30
  done
}

# cpu_busy: "busy total" jiffies of all CPUs from /proc/stat (busy = all but idle and iowait).
cpu_busy() {
  awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# cpu_steal: "steal total" jiffies of all CPUs, from /proc/stat.
cpu_steal() {
  awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t }' /proc/stat
}

# own_ticks: CPU jiffies used so far by this script and everything it started: our own
# utime+stime+cutime+cstime (the children we waited for: wrk, curl...) plus that of every live
# descendant (servers, and the app processes they reaped). What the machine did beyond this in a
# window is other people's work: the noise figure printed with the results.
own_ticks() {
  local total=0 pid child stat
  local -a queue=("$$") f
  while ((${#queue[@]})); do
    pid="${queue[0]}"
    queue=("${queue[@]:1}")
    if stat="$(cat "/proc/$pid/stat" 2>/dev/null)"; then
      stat="${stat##*) }"
      read -r -a f <<<"$stat"
      total=$((total + f[11] + f[12] + f[13] + f[14]))
    fi
    # shellcheck disable=SC2013
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do queue+=("$child"); done
  done
  echo "$total"
}

# noise_start / noise_end: CPU used by other processes between the two calls, in % of one core,
# and the CPU steal in % of all; sets NOISE_OTHER and NOISE_STEAL.
noise_start() {
  read -r NOISE_B0 NOISE_T0 <<<"$(cpu_busy)"
  read -r NOISE_S0 _ <<<"$(cpu_steal)"
  NOISE_O0="$(own_ticks)"
  NOISE_W0="$EPOCHREALTIME"
}
noise_end() {
  local b1 t1 s1 o1 w1
  read -r b1 t1 <<<"$(cpu_busy)"
  read -r s1 _ <<<"$(cpu_steal)"
  o1="$(own_ticks)"
  w1="$EPOCHREALTIME"
  NOISE_OTHER="$(awk -v b="$((b1 - NOISE_B0))" -v o="$((o1 - NOISE_O0))" -v w0="$NOISE_W0" -v w1="$w1" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN { x = 100 * (b - o) / hz / (w1 - w0); if (x < 0) x = 0; printf "%.0f%%", x }')"
  NOISE_STEAL="$(awk -v s="$((s1 - NOISE_S0))" -v t="$((t1 - NOISE_T0))" \
    'BEGIN { printf "%.1f%%", (t > 0 ? 100 * s / t : 0) }')"
}

# --- process management -------------------------------------------------------------------------

# Prefix for server commands: own session (so Ctrl-C reaches only us and we stop them in order),
# pinned to the server core. setsid and taskset both exec, so $! is the server's own pid.
server_prefix() {
  if ((PIN)); then echo "setsid taskset -c $SERVER_CPU"; else echo "setsid"; fi
}

# client_prefix: the same for helpers on the load generator's side (they must not take the
# servers' core).
client_prefix() {
  if ((PIN)); then echo "taskset -c $WRK_CPU"; fi
}

# run_bg OUT CMD...: runs the load generator pinned to its core, output to OUT, and waits for
# it. In the background plus `wait`, so that Ctrl-C runs our trap at once: wrk catches SIGINT
# and exits 0, and bash would then ignore the SIGINT of a foreground command.
run_bg() {
  local out="$1"; shift
  start_bg "$out" "$@"
  wait_bg
}

# start_bg OUT CMD...: starts the load generator as run_bg does, without waiting (see wait_bg).
start_bg() {
  local out="$1"; shift
  if ((PIN)); then set -- taskset -c "$WRK_CPU" "$@"; fi
  "$@" >"$out" 2>&1 &
  LOAD_PID=$!
}

# wait_bg: waits for the load generator started by start_bg; its exit status.
wait_bg() {
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

# cleanup: the EXIT trap. Stops the load, the samplers and every server (last started first),
# then any server a supervisor started that outlived it (named by a *.pid file in WORK).
cleanup() {
  local status=$? i pidfile pid
  trap - EXIT INT TERM
  if [[ -n "${LOAD_PID:-}" ]]; then stop_pid "$LOAD_PID"; fi
  if [[ -n "$WORK" && -d "$WORK" ]]; then touch "$WORK/stop-samplers"; fi
  for pid in "${SAMPLER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${STARTED_PIDS[i]}"
  done
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

# install_traps: cleanup on exit, Ctrl-C and SIGTERM included.
install_traps() {
  trap cleanup EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "terminated"; exit 143' TERM
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

# wait_http URL PID WHAT: until URL answers 200, the process dies, or 20 s pass.
wait_http() {
  local url="$1" pid="$2" what="$3" deadline=$((SECONDS + 20))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$what exited during start-up"
      return 1
    fi
    if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  log "$what did not answer $url within 20 s"
  return 1
}

# --- measuring processes ------------------------------------------------------------------------

# cpu_split [--self] PID...: "utime stime" (jiffies) of the given processes and all their live
# descendants (with --self: of the given processes only).
cpu_split() {
  local user=0 sys=0 pid child stat self=0
  if [[ "${1:-}" == --self ]]; then self=1; shift; fi
  local -a queue=("$@") f
  while ((${#queue[@]})); do
    pid="${queue[0]}"
    queue=("${queue[@]:1}")
    if stat="$(cat "/proc/$pid/stat" 2>/dev/null)"; then
      # Fields after the ")" that closes the command name: utime is the 12th, stime the 13th.
      stat="${stat##*) }"
      read -r -a f <<<"$stat"
      user=$((user + f[11]))
      sys=$((sys + f[12]))
    fi
    ((self)) && continue
    # shellcheck disable=SC2013
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do queue+=("$child"); done
  done
  echo "$user $sys"
}

# cpu_ticks [--self] PID...: utime+stime, as cpu_split counts them.
cpu_ticks() {
  local user sys
  read -r user sys <<<"$(cpu_split "$@")"
  echo $((user + sys))
}

# cpu_percent TICKS SECONDS: CPU time over wall time, in % of one core.
cpu_percent() {
  awk -v d="$1" -v hz="$(getconf CLK_TCK)" -v s="$2" 'BEGIN { printf "%.0f", 100 * d / hz / s }'
}

# vm_kb PID FIELD: a /proc/PID/status field in kB (VmRSS, VmHWM...), or "" if the process is gone.
vm_kb() {
  awk -v f="$2:" '$1 == f { print $2; found = 1 } END { if (!found) exit 1 }' "/proc/$1/status" 2>/dev/null ||
    true
}

# reset_hwm PID: resets the process's peak RSS (VmHWM) to its current RSS, so the next reading is
# the peak of what follows (Linux >= 4.0, "echo 5 > clear_refs"); false where not allowed.
reset_hwm() { { echo 5 >"/proc/$1/clear_refs"; } 2>/dev/null; }

# fd_count PID: open descriptors of the process.
fd_count() {
  local SAMPLE
  sample_fds "$1"
  echo "${SAMPLE:-0}"
}

# start_sampler OUT CMD...: every 0.2 s until the run's stop file appears, runs CMD (a function
# that sets SAMPLE to a number, or to "" when there is nothing to read) and finally writes
# "max last" of those numbers to OUT. The samplers fork nothing but sleep and run on the load
# generator's core, so they take nothing from the servers. Stop them with stop_samplers.
start_sampler() {
  local out="$1"; shift
  (
    if ((PIN)); then taskset -pc "$WRK_CPU" "$BASHPID" >/dev/null 2>&1 || true; fi
    max=0 last=""
    while [[ ! -e "$WORK/stop-samplers" ]]; do
      SAMPLE=""
      "$@"
      if [[ "$SAMPLE" =~ ^[0-9]+$ ]]; then
        last="$SAMPLE"
        if ((SAMPLE > max)); then max="$SAMPLE"; fi
      fi
      sleep 0.2
    done
    echo "$max ${last:-0}" >"$out"
  ) &
  SAMPLER_PIDS+=($!)
}

# sample_rss PID...: SAMPLE := the sum of the processes' VmRSS in kB (pure bash: no fork).
sample_rss() {
  local pid k v total=0 seen=0
  for pid in "$@"; do
    [[ -r "/proc/$pid/status" ]] || continue
    while read -r k v _; do
      if [[ "$k" == VmRSS: ]]; then total=$((total + v)); seen=1; break; fi
    done <"/proc/$pid/status" 2>/dev/null || true
  done
  if ((seen)); then SAMPLE="$total"; else SAMPLE=""; fi
}

# sample_fds PID: SAMPLE := the process's open descriptors.
sample_fds() {
  local -a fds=("/proc/$1/fd/"*)
  if [[ -e "${fds[0]}" ]]; then SAMPLE="${#fds[@]}"; else SAMPLE=""; fi
}

# stop_samplers: ends every running sampler and waits for their last figures.
stop_samplers() {
  local pid
  touch "$WORK/stop-samplers"
  for pid in "${SAMPLER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SAMPLER_PIDS=()
  rm -f "$WORK/stop-samplers"
}

# --- wrk and figures ----------------------------------------------------------------------------

# parse_bench OUT KEY: the wrk report line (written by REPORT_LUA) of OUT into RESULT[KEY/field];
# false when wrk printed none.
parse_bench() {
  local out="$1" k="$2" line kv
  line="$(grep '^BENCH ' "$out" || true)"
  [[ -n "$line" ]] || return 1
  for kv in ${line#BENCH }; do RESULT[$k/${kv%%=*}]="${kv#*=}"; done
  RESULT[$k/errors]=$((RESULT[$k/err_connect] + RESULT[$k/err_read] +
                       RESULT[$k/err_write] + RESULT[$k/err_timeout]))
}

fmt_us() {  # microseconds -> "123us" / "1.23ms" / "1.23s"
  awk -v u="$1" 'BEGIN {
    if (u < 1000) printf "%dus", u; else if (u < 1e6) printf "%.2fms", u / 1000;
    else printf "%.2fs", u / 1e6 }'
}

fmt_kb() {  # kB -> "12.3 MB"
  [[ "$1" =~ ^[0-9]+$ ]] || { echo "?"; return 0; }
  awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'
}

# median_round PREFIX ROUNDS: the round whose RESULT[PREFIX@round/rps] is the median; "" if any
# round failed.
median_round() {
  local prefix="$1" rounds="$2" round r
  local -a rows=()
  for ((round = 1; round <= rounds; round++)); do
    r="${RESULT[$prefix@$round/rps]:-FAILED}"
    [[ "$r" == FAILED ]] && return 0
    rows+=("$r $round")
  done
  printf '%s\n' "${rows[@]}" | sort -g | sed -n "$(( (rounds + 1) / 2 ))p" | cut -d' ' -f2
}

# rps_range PREFIX ROUNDS: lowest/highest round's req/s against the median, "-" for one round.
rps_range() {
  local prefix="$1" rounds="$2" round m
  ((rounds > 1)) || { echo "-"; return 0; }
  m="${RESULT[$prefix/rps]}"
  for ((round = 1; round <= rounds; round++)); do echo "${RESULT[$prefix@$round/rps]}"; done | sort -g |
    awk -v m="$m" '{ v[NR] = $1 } END { printf "%+.0f/%+.0f%%", 100 * (v[1] / m - 1), 100 * (v[NR] / m - 1) }'
}

# ratio A B ROUNDS (A, B = RESULT prefixes): the median over rounds of A's req/s / B's req/s in
# the same round (runs of one round are close in time, so a burst of load from elsewhere affects
# both), as "M" or, with several rounds, "M (lo-hi)"; "n/a" if either was not measured.
ratio() {
  local round a b
  local -a rs=()
  for ((round = 1; round <= $3; round++)); do
    a="${RESULT[$1@$round/rps]:-}"
    b="${RESULT[$2@$round/rps]:-}"
    [[ "$a" =~ ^[0-9.]+$ && "$b" =~ ^[0-9.]+$ ]] || { echo "n/a"; return 0; }
    rs+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", (b > 0 ? a / b : 0) }')")
  done
  printf '%s\n' "${rs[@]}" | sort -g | awk '{ v[NR] = $1 } END {
    m = v[int((NR + 1) / 2)]
    if (NR > 1) printf "%.2f (%.2f-%.2f)", m, v[1], v[NR]; else printf "%.2f", m }'
}

# make_page FILE: a realistic ~2 KB page (the one proxy_bench.sh serves): head with meta, a
# stylesheet and a script, a body with navigation, a table and text, padded with paragraphs.
make_page() {
  local page="$1"
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
}

# nginx_user_line: nginx's "user" directive when running as root (workers would otherwise switch
# to nobody, who may not read the temp dir), else nothing.
nginx_user_line() {
  if [[ "$(id -u)" == 0 ]]; then echo "user root root;"; fi
}

# check_nginx_conf NAME: nginx -t on $WORK/NAME.conf.
check_nginx_conf() {
  mkdir -p "$WORK/$1-tmp"
  "$NGINX" -t -q -p "$WORK" -e "$WORK/$1.startup.log" -c "$WORK/$1.conf" ||
    die "generated $1.conf is invalid (see above)"
}

nginx_cmd() {  # nginx_cmd NAME: the command line that runs $WORK/NAME.conf in the foreground
  echo "$NGINX -p $WORK -e $WORK/$1.startup.log -c $WORK/$1.conf"
}
