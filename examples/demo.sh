#!/usr/bin/env bash
# Installs what is missing, builds liveproxy, and runs it in front of the Flask example.
# Open the URL it prints, then edit examples/flask/static/style.css, templates/ or app.py.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/scripts/install-deps.sh
bash tests/scripts/build.sh
exec ./build/liveproxy --port "${PORT:-3000}" --watch examples/flask -- /usr/bin/python3 examples/flask/app.py
