#!/usr/bin/env bash
# Installs what is missing, builds liveproxy (the binary alone, not the tests), and runs it in front of the
# Flask example. Open the URL it prints, then edit examples/flask/static/style.css, templates/ or app.py.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-3000}"
echo "demo: liveproxy will answer at http://127.0.0.1:$port (another port: PORT=8080 bash examples/demo.sh)"
bash tests/scripts/install-deps.sh --demo
# A quick build of its own (build-demo/): -O1 without debug information compiles in half the time of the
# tests' -O2 -g build (two minutes on two cores instead of three and a half), and a dev proxy at -O1 is still
# far faster than the app behind it. No tests are configured.
cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" -DLIVEPROXY_TESTS=OFF >/dev/null
cmake --build build-demo -j2 --target liveproxy
exec ./build-demo/liveproxy --port "$port" --watch examples/flask -- /usr/bin/python3 examples/flask/app.py
