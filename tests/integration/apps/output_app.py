"""An app that prints the way careless apps do, for the tests of what liveproxy keeps of an app's output.

OUTPUT_MODE (environment) says what it prints before serving on 127.0.0.1:$PORT (or argv[1]):
  huge-lines      4 lines of OUTPUT_MB megabytes each, then exits with status 1 (a crash at start-up)
  no-newline      OUTPUT_MB megabytes without a newline, then serves (and prints nothing more)
  placeholders    100 request-log lines of 6,000 "{{script}}" each, then exits with status 1
  chatty          serves, and prints a line of OUTPUT_LINE_KB kilobytes (default 1) every OUTPUT_INTERVAL_MS
                  milliseconds (default 1) meanwhile
  quiet           serves, and prints nothing
It serves "ok" on every path.
"""

import http.server
import os
import sys
import threading
import time

mode = os.environ.get("OUTPUT_MODE", "chatty")
mb = int(os.environ.get("OUTPUT_MB", "10"))
out = sys.stdout

if mode == "huge-lines":
    for _ in range(4):
        out.write("x" * (mb << 20) + "\n")
    out.flush()
    sys.exit(1)
if mode == "placeholders":
    for i in range(100):
        out.write('127.0.0.1 - - "GET /search?q=' + "{{script}}" * 6000 + ' HTTP/1.1" 200 -\n')
    out.write("Traceback (most recent call last):\nRuntimeError: crashed after logging\n")
    out.flush()
    sys.exit(1)
if mode == "no-newline":
    chunk = "y" * (1 << 20)
    for _ in range(mb):
        out.write(chunk)
        out.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def chatter():
    line = "chatty " + "z" * (int(os.environ.get("OUTPUT_LINE_KB", "1")) * 1024 - 8) + "\n"
    pause = int(os.environ.get("OUTPUT_INTERVAL_MS", "1")) / 1000
    while True:
        out.write(line)
        out.flush()
        time.sleep(pause)


port = int(os.environ.get("PORT") or sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
server.daemon_threads = True
if mode == "chatty":
    threading.Thread(target=chatter, daemon=True).start()
server.serve_forever()
