#!/usr/bin/env bash
# Installs what liveproxy needs on Debian 12, and only what is missing (safe to run again).
# usage: install-deps.sh [--tests | --demo]
#   --tests adds Chromium, watchman, the browser-test npm packages, what the package test uses, and clang for
#           the fuzz targets; --demo installs only what building liveproxy and the Flask example need.
set -euo pipefail
cd "$(dirname "$0")/../.."

packages=(g++ cmake make pkg-config libboost1.81-dev libsimdjson-dev catch2 zlib1g-dev libbrotli-dev libzstd-dev libjemalloc-dev libssl-dev
          libqrencode-dev python3-flask)
# The examples and tests run Django, gunicorn, FastAPI under uvicorn and websockets clients too.
[[ "${1:-}" == "--demo" ]] || packages+=(python3-django gunicorn python3-websockets python3-fastapi python3-uvicorn)
if [[ "${1:-}" == "--tests" ]]; then
  # watchman: the watcher tests run their behaviour tests against it too (liveproxy --watchman).
  packages+=(chromium watchman)
  # wrk: the load of the test that stops an upstream app under 32 connections (upstream_retry_test.cpp).
  packages+=(wrk)
  # The package test (tests/package/): cpack's Depends come from dpkg-shlibdeps (dpkg-dev), which CPack
  # feeds the ELF files `file` finds; the installed completion is run under bash-completion.
  packages+=(dpkg-dev file bash-completion)
  # The pip wheel and npm package test: a new virtualenv (python3-venv), Debian's wheel packer, unzip.
  packages+=(python3-venv python3-wheel unzip)
  # bindfs: a FUSE mount for the test of watching a network file system (polled, not inotify).
  packages+=(bindfs)
  # tmux: a real terminal for the test of pdb in liveproxy's terminal (app_terminal_test.cpp) and of the QR code.
  packages+=(tmux)
  # --https: zbarimg reads the status page's QR code back; certutil is what `liveproxy trust` uses for NSS.
  packages+=(zbar-tools libnss3-tools)
  # The fuzz targets (tests/fuzz/run.sh): clang, and libFuzzer with the sanitizer runtimes (only recommended by clang).
  packages+=(clang libclang-rt-dev)
  command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ "${1:-}" == "--tests" ]] && { [[ ! -d tests/browser/node_modules/playwright-core ]] || [[ ! -d tests/browser/node_modules/livereload-js ]] || [[ ! -d tests/browser/node_modules/vite ]]; }; then
  # playwright-core only: it drives Debian's /usr/bin/chromium and never downloads a browser.
  npm ci --prefix tests/browser --no-audit --no-fund
fi
