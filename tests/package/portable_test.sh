#!/usr/bin/env bash
# The pip wheel and the npm package as a user gets them, offline: the wheel is installed into a new
# virtualenv and runs a new Django project there with no arguments; the npm tarball is installed into a new
# Node project with `npm install -D` and `npx liveproxy` runs its start script. Both serve the app's page
# with the reload script, and their binary needs nothing from the machine but glibc (and, for the simdjson
# library it carries, the C++ runtime).
# usage: portable_test.sh BUILD_DIR VERSION    (exit status 77: skipped, a tool is missing)
set -euo pipefail

missing=()
for tool in readelf:binutils objdump:binutils strip:binutils npm:npm node:nodejs unzip:unzip; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
[[ -x /usr/bin/django-admin ]] || missing+=(python3-django)
/usr/bin/python3 -c 'import venv, ensurepip, wheel' 2>/dev/null || missing+=(python3-venv python3-wheel)
if ((${#missing[@]})); then
  echo "skipped: needs the Debian packages ${missing[*]} (bash tests/scripts/install-deps.sh --tests)"
  exit 77
fi
build=$(realpath "$1")
version=$2

scratch=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill -KILL -- "-$server_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The packages, built by their targets (they link the portable binary first).
cmake --build "$build" --target wheel npm-package >"$scratch/build.log" 2>&1 || {
  cat "$scratch/build.log"
  fail "cmake --build --target wheel npm-package failed"
}
machine=$(uname -m)
glibc=$(objdump -T "$build/portable/bin/liveproxy" | grep -oE 'GLIBC_2\.[0-9]+' | sort -uV | tail -n 1)
wheel=$build/dist/liveproxy-$version-py3-none-manylinux_2_${glibc#GLIBC_2.}_${machine}.whl
tarball=$build/dist/liveproxy-$version.tgz
[[ -f $wheel ]] || fail "no $(basename "$wheel") (tagged with the newest glibc symbol the binary uses, $glibc): $(ls "$build/dist")"
[[ -f $tarball ]] || fail "no $(basename "$tarball")"
echo "wheel: $(basename "$wheel") ($(($(stat -c %s "$wheel") / 1024)) KiB)"
echo "npm: $(basename "$tarball") ($(($(stat -c %s "$tarball") / 1024)) KiB)"

# What the packaged binary needs from the machine: glibc, and the libraries it carries.
unzip -q "$wheel" -d "$scratch/wheel"
packed=$scratch/wheel/liveproxy-$version.data/scripts/liveproxy
[[ -x $packed ]] || fail "the wheel has no executable .data/scripts/liveproxy"
if file "$packed" | grep -q "not stripped"; then fail "the packaged binary is not stripped"; fi
needed=$(readelf -d "$packed" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | paste -sd " ")
[[ $needed == "ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libqrencode.so.4 libsimdjson.so.14" || $machine != x86_64 ]] ||
  fail "the packaged binary needs: $needed"
echo "needs: $needed"

# Runs "$@" (a liveproxy command, --port 0 added by the caller) in the current folder, waits for its URL, and
# checks that / is the app's page (containing $expect) with the reload script.
serve_check() {
  local expect=$1 log=$scratch/liveproxy-$RANDOM.log port=
  shift
  # In a process group of its own, stopped as a terminal's Ctrl-C stops it: npx runs liveproxy under npm and sh.
  setsid "$@" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 150); do
    port=$(sed -nE 's/^liveproxy: open http:\/\/127\.0\.0\.1:([0-9]+).*/\1/p' "$log" | head -n 1)
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log"; fail "liveproxy exited at start: $*"; }
    sleep 0.1
  done
  [[ -n $port ]] || { cat "$log"; fail "the app was not ready within 15 s: $*"; }
  /usr/bin/python3 - "$port" "$expect" <<'EOF' || { cat "$log"; fail "fetching the page through $*"; }
import re, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=10) as r:
    page = r.read().decode()
    assert r.status == 200, r.status
assert sys.argv[2] in page, page[:300]
assert re.search(r'<script src="/__liveproxy/client\.js" data-token="[0-9a-f]{32}"></script>', page), page[:300]
print(f"served: / ({len(page)} bytes, the app's page with the reload script)")
EOF
  kill -INT -- "-$server_pid"
  local status=0
  wait "$server_pid" || status=$?
  # npm exits 128 + the signal's number once its child is done; liveproxy itself exits 0.
  ((status == 0 || status == 130)) || { cat "$log"; fail "$1 exited with $status after Ctrl-C"; }
  for _ in $(seq 50); do
    pgrep -g "$server_pid" >/dev/null || break
    sleep 0.1
  done
  if pgrep -g "$server_pid" >/dev/null; then fail "left running after Ctrl-C: $(pgrep -a -g "$server_pid")"; fi
  server_pid=
  cp "$log" "$scratch/last.log"
}

# pip: a new virtualenv that can import Debian's Django, the wheel installed with no index (offline).
/usr/bin/python3 -m venv --system-site-packages "$scratch/venv"
"$scratch/venv/bin/pip" install --no-index --no-cache-dir --disable-pip-version-check -q "$wheel" ||
  fail "pip install of the wheel failed"
[[ -x $scratch/venv/bin/liveproxy ]] || fail "pip put no liveproxy in the virtualenv's bin/"
carried=$(ldd "$scratch/venv/bin/liveproxy" | awk '$1 == "libsimdjson.so.14" { print $3 }')
[[ $(realpath "$carried") == "$scratch/venv/lib/liveproxy/libsimdjson.so.14" ]] ||
  fail "the installed binary loads simdjson from '$carried', not the one it carries"
[[ $("$scratch/venv/bin/liveproxy" --version) == "liveproxy $version" ]] || fail "--version: $("$scratch/venv/bin/liveproxy" --version)"
mkdir "$scratch/django" && cd "$scratch/django"
/usr/bin/django-admin startproject mysite
cd mysite
# As after `. venv/bin/activate`; the python3 first on this machine's PATH may be another one.
VIRTUAL_ENV=$scratch/venv PATH=$scratch/venv/bin:/usr/bin:/bin serve_check "The install worked successfully" liveproxy --port 0
grep -q "Python: $scratch/venv/bin/python (the project's virtual environment)" "$scratch/last.log" ||
  { cat "$scratch/last.log"; fail "liveproxy did not run the virtualenv's Python"; }
"$scratch/venv/bin/pip" uninstall -y -q liveproxy
[[ ! -e $scratch/venv/bin/liveproxy && ! -e $scratch/venv/lib/liveproxy/libsimdjson.so.14 ]] ||
  fail "pip uninstall left liveproxy's files"
echo "pip: installed offline, served a new Django project, uninstalled cleanly"

# npm: a new Node project; an unreachable registry proves nothing is fetched.
mkdir "$scratch/node" && cd "$scratch/node"
cat >package.json <<'EOF'
{"name": "app", "version": "1.0.0", "private": true, "scripts": {"start": "node server.js"}}
EOF
cat >server.js <<'EOF'
require('http').createServer((req, res) => {
  res.setHeader('Content-Type', 'text/html');
  res.end('<!doctype html><html><head><title>t</title></head><body>node app</body></html>');
}).listen(process.env.PORT, '127.0.0.1');
EOF
export npm_config_registry=http://127.0.0.1:9/ npm_config_cache=$scratch/npm-cache npm_config_update_notifier=false
npm install -D --offline --no-audit --no-fund "$tarball" >"$scratch/npm.log" 2>&1 ||
  { cat "$scratch/npm.log"; fail "npm install -D of the tarball failed"; }
[[ -x node_modules/.bin/liveproxy ]] || fail "npm linked no node_modules/.bin/liveproxy"
node -e 'process.exit(require("./package.json").devDependencies.liveproxy.startsWith("file:") ? 0 : 1)' ||
  fail "npm did not record liveproxy in devDependencies: $(cat package.json)"
PATH=/usr/bin:/bin serve_check "node app" npx --offline liveproxy --port 0
echo "npm: installed offline, npx liveproxy served a new Node project"
