#!/usr/bin/env bash
# Packs the portable liveproxy (cmake/portable.cmake) as a pip wheel or an npm package, into OUT_DIR.
# Both hold the stripped binary and the shared libraries it carries, in one layout: bin/liveproxy beside
# lib/liveproxy/, which the binary's run path ($ORIGIN/../lib/liveproxy) names. pip installs a wheel's
# .data/scripts into the environment's bin/ and .data/data into the environment itself, so a virtualenv gets
# venv/bin/liveproxy and venv/lib/liveproxy/; npm links node_modules/.bin/liveproxy to the package's
# bin/liveproxy, and the run path follows the link to the real file.
# usage: portable_package.sh wheel|npm PORTABLE_DIR VERSION OUT_DIR SOURCE_DIR
set -euo pipefail
kind=$1 portable=$2 version=$3 out=$4 src=$5
fail() {
  echo "portable_package.sh: $*" >&2
  exit 1
}
bin=$portable/bin/liveproxy
[[ -x $bin ]] || fail "$bin is not built (cmake --build build --target liveproxy_portable)"

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
# What a package may leave to the machine: glibc, and for a carried library the C++ runtime every glibc
# system has (the libraries the manylinux policies allow).
libs=()
for soname in $(needed "$bin"); do
  case $soname in
    libc.so.6 | libm.so.6 | ld-linux-*.so.*) ;;
    *)
      [[ -f $portable/lib/liveproxy/$soname ]] || fail "the binary needs $soname, which is neither glibc nor carried"
      libs+=("$portable/lib/liveproxy/$soname")
      for dep in $(needed "$portable/lib/liveproxy/$soname"); do
        case $dep in
          libc.so.6 | libm.so.6 | libpthread.so.0 | libstdc++.so.6 | libgcc_s.so.1) ;;
          *) fail "$soname needs $dep, which the package neither carries nor may expect" ;;
        esac
      done
      ;;
  esac
done
readelf -d "$bin" | grep -q 'R.*PATH.*\[\$ORIGIN/\.\./lib/liveproxy\]' || fail "$bin has no \$ORIGIN/../lib/liveproxy run path"

# The newest glibc symbol version anything here uses is the glibc the package needs.
glibc=$(objdump -T "$bin" "${libs[@]}" | grep -oE 'GLIBC_2\.[0-9]+' | sort -uV | tail -n 1)
glibc_minor=${glibc#GLIBC_2.}
machine=$(uname -m)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# Shared by both layouts: root/bin/liveproxy and root/lib/liveproxy/*.
lay_out() {
  mkdir -p "$1/bin" "$1/lib/liveproxy"
  strip -o "$1/bin/liveproxy" "$bin"
  for lib in "${libs[@]}"; do strip --strip-unneeded -o "$1/lib/liveproxy/$(basename "$lib")" "$lib"; done
  chmod 755 "$1/bin/liveproxy"
  chmod 644 "$1"/lib/liveproxy/*
}
mkdir -p "$out"

case $kind in
  wheel)
    tag="py3-none-manylinux_2_${glibc_minor}_${machine}"
    root=$stage/liveproxy-$version
    info=$root/liveproxy-$version.dist-info
    data=$root/liveproxy-$version.data
    lay_out "$stage/layout"
    mkdir -p "$info" "$data/scripts" "$data/data/lib"
    mv "$stage/layout/bin/liveproxy" "$data/scripts/liveproxy"
    mv "$stage/layout/lib/liveproxy" "$data/data/lib/liveproxy"
    {
      printf 'Metadata-Version: 2.1\nName: liveproxy\nVersion: %s\n' "$version"
      printf 'Summary: dev-server reverse proxy with browser live reload\n'
      printf 'Keywords: django,flask,fastapi,livereload,dev-server,reverse-proxy\n'
      printf 'Description-Content-Type: text/markdown\n\n'
      cat "$src/README.md"
    } >"$info/METADATA"
    printf 'Wheel-Version: 1.0\nGenerator: liveproxy (cmake/portable_package.sh)\nRoot-Is-Purelib: false\nTag: %s\n' \
      "$tag" >"$info/WHEEL"
    rm -f "$out"/liveproxy-"$version"-*.whl
    # Debian's python3-wheel (for /usr/bin/python3: the python3 first on PATH may be another) writes RECORD.
    /usr/bin/python3 -m wheel pack --dest-dir "$out" "$root" >/dev/null ||
      fail "python3 -m wheel pack failed (Debian package python3-wheel)"
    file=$out/liveproxy-$version-$tag.whl
    ;;
  npm)
    command -v npm >/dev/null || fail "npm-package needs npm (Debian package npm)"
    declare -A npm_cpu=([x86_64]=x64 [aarch64]=arm64)
    cpu=${npm_cpu[$machine]:-$machine}
    root=$stage/package
    lay_out "$root"
    cp "$src/README.md" "$root/README.md"
    cat >"$root/package.json" <<JSON
{
  "name": "liveproxy",
  "version": "$version",
  "description": "Dev-server reverse proxy with browser live reload: runs your app, watches your files, restarts or updates the page",
  "keywords": ["livereload", "dev-server", "reverse-proxy", "hot-reload", "django", "flask"],
  "bin": {"liveproxy": "bin/liveproxy"},
  "files": ["bin/", "lib/"],
  "os": ["linux"],
  "cpu": ["$cpu"],
  "libc": ["glibc"],
  "license": "UNLICENSED"
}
JSON
    rm -f "$out/liveproxy-$version.tgz"
    (cd "$root" && npm pack --silent --ignore-scripts --pack-destination "$out" >/dev/null) || fail "npm pack failed"
    file=$out/liveproxy-$version.tgz
    ;;
  *) fail "unknown package kind '$kind' (wheel or npm)" ;;
esac
[[ -f $file ]] || fail "$file was not written"
echo "$file ($(($(stat -c %s "$file") / 1024)) KiB; needs glibc 2.$glibc_minor or later, $machine)"
