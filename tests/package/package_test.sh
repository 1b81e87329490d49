#!/usr/bin/env bash
# The Debian package as a user gets it: cpack builds it from the build folder, its control fields, files
# and Depends are checked, then it is unpacked into a scratch folder (never installed: the machine is left
# as it was) and the unpacked binary serves examples/static with the reload script in its pages.
# usage: package_test.sh BUILD_DIR SOURCE_DIR VERSION    (exit status 77: skipped, a tool is missing)
set -euo pipefail

missing=()
for tool in cpack:cmake dpkg-deb:dpkg dpkg-shlibdeps:dpkg-dev file:file readelf:binutils python3:python3; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
[[ -r /usr/share/bash-completion/bash_completion ]] || missing+=(bash-completion)
if ((${#missing[@]})); then
  echo "skipped: needs the Debian packages ${missing[*]} (bash tests/scripts/install-deps.sh --tests)"
  exit 77
fi
build=$(realpath "$1")
src=$(realpath "$2")
version=$3

scratch=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Into the scratch folder rather than build/: a cpack run by hand meanwhile is not disturbed.
if ! cpack --config "$build/CPackConfig.cmake" -G DEB -B "$scratch/out" >"$scratch/cpack.log" 2>&1; then
  cat "$scratch/cpack.log"
  fail "cpack -G DEB failed"
fi
shopt -s nullglob
debs=("$scratch"/out/liveproxy_*.deb)
shopt -u nullglob
((${#debs[@]} == 1)) || fail "expected one liveproxy_*.deb from cpack, got ${#debs[@]}"
deb=${debs[0]}
arch=$(dpkg --print-architecture)
[[ $(basename "$deb") == "liveproxy_${version}-1_${arch}.deb" ]] || fail "package file named $(basename "$deb")"
echo "package: $(basename "$deb") ($(($(stat -c %s "$deb") / 1024)) KiB)"

# Control fields.
field() { dpkg-deb -f "$deb" "$1"; }
expect_field() {
  [[ $(field "$1") == "$2" ]] || fail "$1 is '$(field "$1")', expected '$2'"
}
expect_field Package liveproxy
expect_field Version "${version}-1"
expect_field Architecture "$arch"
expect_field Section devel
expect_field Suggests watchman
expect_field Recommends bash-completion
[[ $(field Maintainer) == *\ \<*@*\> ]] || fail "Maintainer is '$(field Maintainer)'"
description=$(field Description)
[[ ${description%%$'\n'*} == "dev-server reverse proxy with browser live reload" ]] ||
  fail "Description's first line is '${description%%$'\n'*}'"
(($(wc -l <<<"$description") > 3)) || fail "Description has no long text"
depends=$(field Depends)
[[ -n $depends ]] || fail "no Depends"
echo "Depends: $depends"

# Contents: the binary, the completion, the manual and the doc, all under /usr, all root's.
dpkg-deb -c "$deb" >"$scratch/contents"
expect_file() {
  awk -v mode="$1" -v path="$2" '$1 == mode && $2 == "root/root" && $6 == path { found = 1 } END { exit !found }' \
    "$scratch/contents" || fail "$2 is not in the package as $1 root/root: $(grep -F " $2" "$scratch/contents" || true)"
}
expect_file -rwxr-xr-x ./usr/bin/liveproxy
expect_file -rw-r--r-- ./usr/share/bash-completion/completions/liveproxy
expect_file -rw-r--r-- ./usr/share/man/man1/liveproxy.1
expect_file -rw-r--r-- ./usr/share/doc/liveproxy/README.md
if awk '$2 != "root/root" || ($6 != "./" && $6 !~ /^\.\/usr\//) || $6 ~ /^\.\/usr\/local\//' "$scratch/contents" |
  grep .; then
  fail "the entries above are not root's or lie outside /usr"
fi
echo "contents: $(grep -vc '/$' "$scratch/contents") files, all under /usr, all root/root"

# Depends: every library the binary needs (NEEDED) belongs to a package named there, and this Debian 12
# machine's versions of the packages named satisfy the versions asked for.
dpkg-deb -x "$deb" "$scratch/root"
bin=$scratch/root/usr/bin/liveproxy
if file "$bin" | grep -q "not stripped"; then fail "the binary is not stripped"; fi
mapfile -t needed < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
((${#needed[@]})) || fail "readelf finds no NEEDED libraries"
# Entries are "name (op version)" or alternatives "a | b".
mapfile -t depends_entries < <(tr ',|' '\n' <<<"$depends" | sed -E 's/^ +//; s/ +$//' | grep .)
depends_names=" "
for entry in "${depends_entries[@]}"; do
  name=${entry%% *}
  name=${name%%:*}
  depends_names+="$name "
  [[ $name == *-dev ]] && fail "Depends names a -dev package: $entry"
  if [[ $entry =~ ^[^\ ]+\ \((<<|<=|=|>=|>>)\ ([^\)]+)\)$ ]]; then
    installed=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null) || fail "$name (in Depends) is not installed here"
    dpkg --compare-versions "$installed" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" ||
      fail "$entry: Debian 12 here has $name $installed"
  fi
done
owner_of() {
  # Debian 12 is merged-/usr: a library found in /lib may be registered under /usr/lib, and the other way.
  local path=$1 found candidate line
  for found in "$path" "$(realpath "$path")"; do
    for candidate in "$found" "/usr$found" "${found#/usr}"; do
      if line=$(dpkg-query -S "$candidate" 2>/dev/null | grep -v '^diversion' | head -n 1) && [[ -n $line ]]; then
        line=${line%%: /*}
        line=${line%%,*}
        echo "${line%%:*}"
        return
      fi
    done
  done
  return 1
}
ldd "$bin" >"$scratch/ldd"
for soname in "${needed[@]}"; do
  path=$(awk -v s="$soname" '$1 == s && $2 == "=>" { print $3 }' "$scratch/ldd")
  [[ -n $path && -e $path ]] || fail "$soname: not found by the dynamic linker ($(grep -F "$soname" "$scratch/ldd"))"
  owner=$(owner_of "$path") || fail "$soname ($path) belongs to no Debian package"
  [[ $depends_names == *" $owner "* ]] || fail "$soname comes from $owner, which Depends does not name"
  echo "needed: $soname -> $owner"
done

# The unpacked binary: its version is the package's, and it serves a site with the reload script.
[[ $("$bin" --version) == "liveproxy $version" ]] || fail "--version says '$("$bin" --version)'"
"$bin" --port 0 --serve "$src/examples/static" >"$scratch/liveproxy.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -nE 's/^liveproxy: http:\/\/127\.0\.0\.1:([0-9]+).*/\1/p' "$scratch/liveproxy.log" | head -n 1)
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$scratch/liveproxy.log"; fail "liveproxy exited at start"; }
  sleep 0.1
done
[[ -n $port ]] || { cat "$scratch/liveproxy.log"; fail "liveproxy printed no URL within 10 s"; }
python3 - "$port" <<'EOF' || { cat "$scratch/liveproxy.log"; fail "fetching through the unpacked liveproxy"; }
import re, sys, urllib.request

base = f"http://127.0.0.1:{sys.argv[1]}"
with urllib.request.urlopen(base + "/", timeout=10) as r:
    page = r.read().decode()
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/html"), (r.status, r.headers)
    length = r.headers["Content-Length"]
    assert length is None or int(length) == len(page.encode()), "Content-Length not kept right"
assert "<title>liveproxy + a static site</title>" in page, page[:300]
head = page.index("<head>") + len("<head>")
assert re.match(r'\s*<script src="/__liveproxy/client\.js" data-token="[0-9a-f]{32}"></script>', page[head:]), page[:300]
with urllib.request.urlopen(base + "/__liveproxy/client.js", timeout=10) as r:
    script = r.read().decode()
    assert r.status == 200 and "javascript" in r.headers["Content-Type"], (r.status, r.headers)
assert "/__liveproxy/ws" in script, "the embedded client is not the reload client"
print(f"served: / ({len(page)} bytes, script injected after <head>) and /__liveproxy/client.js ({len(script)} bytes)")
EOF
kill -TERM "$server_pid"
for _ in $(seq 50); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && fail "liveproxy still runs 5 s after SIGTERM"
status=0
wait "$server_pid" || status=$?
server_pid=
((status == 0)) || { cat "$scratch/liveproxy.log"; fail "liveproxy exited with $status after SIGTERM"; }

# The unpacked completion, with the unpacked binary first on the PATH.
complete_line() {
  PATH="$scratch/root/usr/bin:$PATH" bash --norc --noprofile -c '
    source /usr/share/bash-completion/bash_completion
    source "$1"
    COMP_LINE=$2
    COMP_POINT=${#COMP_LINE}
    read -ra COMP_WORDS <<<"$COMP_LINE"
    [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _liveproxy liveproxy "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
    printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd " "
  ' complete_line "$scratch/root/usr/share/bash-completion/completions/liveproxy" "$1"
}
expect_completion() {
  local got
  got=$(complete_line "$1")
  # shellcheck disable=SC2053 # $2 may be a pattern
  [[ $got == $2 ]] || fail "completing '$1' offers '$got', expected '$2'"
}
help_options=$("$bin" --help | sed -nE 's/^ {1,4}(-h, )?(--[a-z][a-z0-9-]*).*/\2/p' | sort | paste -sd " ")
[[ $help_options == *--serve* && $help_options == *--watch* ]] || fail "--help lists no options: $help_options"
offered=" $(complete_line "liveproxy --") "
for opt in $help_options; do
  [[ $offered == *" $opt "* ]] || fail "completing 'liveproxy --' does not offer $opt (from --help)"
done
expect_completion "liveproxy --wat" "--watch --watchman"
expect_completion "liveproxy --port " ""
expect_completion "liveproxy --watch $src/examples/" \
  "$src/examples/django $src/examples/flask $src/examples/node $src/examples/static"
expect_completion "liveproxy --serve $src/examples/st" "$src/examples/static"
expect_completion "liveproxy --ignore -- --wat" "--watch --watchman"
expect_completion "liveproxy --port 0 -- python" "*python3*"
echo "completion: all $(wc -w <<<"$help_options") options of --help, directories after --watch/--serve, commands after --"
echo "ok"
