#!/usr/bin/env bash
# Installs what is missing, builds liveproxy (the binary alone, not the tests), and runs it in front of the
# Flask example. Open the URL it prints, then edit examples/flask/static/style.css, templates/ or app.py.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-3000}"
echo "demo: liveproxy will answer at http://127.0.0.1:$port (another port: PORT=8080 bash examples/demo.sh)"
bash tests/scripts/install-deps.sh --demo
# The same configuration as tests/scripts/build.sh, so the two share build/ without reconfiguring it.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIVEPROXY_WERROR=ON >/dev/null
cmake --build build -j2 --target liveproxy
exec ./build/liveproxy --port "$port" --watch examples/flask -- /usr/bin/python3 examples/flask/app.py
