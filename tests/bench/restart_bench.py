#!/usr/bin/env python3
"""Restart latency: from a code file change to the first held request being answered, split into
watcher, stop, spawn, app start-up, readiness detection and forwarding.

Usage: python3 tests/bench/restart_bench.py [--binary build/liveproxy] [--runs 15] [--fd] [--speculative]

A binary with speculative restart (it restarts the app at the first change and holds requests until the
changes have settled) runs with --no-speculative-restart unless --speculative: the restart then starts after
the settle time, as it did before speculative restarts, and the figures compare with earlier runs.

Timestamps come from one clock (CLOCK_MONOTONIC): the bench stamps each liveproxy log line as it
arrives (liveproxy runs with --verbose, which logs each step of a restart), and the app prints
time.monotonic() right after it starts listening. Only the "app start" segment belongs to the app;
the rest is liveproxy's. Progress on stderr; liveproxy and the temporary app folder are stopped and
removed at the end, also on Ctrl-C and SIGTERM.
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

APP = r'''import http.server, os, socket, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
if os.environ.get("LISTEN_FDS"):
    class S(http.server.HTTPServer):
        def server_bind(self): pass
        def server_activate(self): pass
    srv = S(("127.0.0.1", 0), H, bind_and_activate=False)
    srv.socket = socket.socket(fileno=3)
else:
    srv = http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H)
print("LISTENING %.6f" % time.monotonic(), flush=True)
srv.serve_forever()
# edit: {n}
'''


class lines:
    """liveproxy's output, each line stamped on arrival."""

    def __init__(self, stream):
        self.items = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for raw in stream:
            t = time.monotonic()
            with self.cond:
                self.items.append((t, raw.decode(errors="replace").rstrip("\n")))
                self.cond.notify_all()

    def wait(self, pattern, start, timeout=20):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.items)):
                    m = rx.search(self.items[i][1])
                    if m:
                        return i, self.items[i][0], m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(pattern + "\n" + "\n".join(l for _, l in self.items[-20:]))
                self.cond.wait(left)


def on_signal(signum, _frame):
    # Unwinds through the finally blocks below: liveproxy stopped, the temporary folder removed.
    raise SystemExit(128 + signum)


def main():
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog="see the top of this file")
    ap.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "../../build/liveproxy"))
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--fd", action="store_true", help="socket hand-off mode")
    ap.add_argument("--speculative", action="store_true",
                    help="leave speculative restart on (the default of binaries that have it)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="restart-bench") as d:
        app = os.path.join(d, "app.py")
        with open(app, "w") as f:
            f.write(APP.replace("{n}", "0"))
        help_text = subprocess.run([args.binary, "--help"], capture_output=True, text=True).stdout
        mode = []
        if "--no-speculative-restart" in help_text and not args.speculative:
            mode = ["--no-speculative-restart"]
        elif args.speculative and "--no-speculative-restart" not in help_text:
            sys.exit("restart_bench: this binary has no speculative restart (no --no-speculative-restart in --help)")
        cmd = ([args.binary, "--verbose", "--port", "0", "--watch", d] + (["--fd"] if args.fd else []) + mode +
               ["--", args.python, app])
        print("[restart_bench] %s" % " ".join(cmd), file=sys.stderr, flush=True)
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=d, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        out = lines(p.stdout)
        try:
            i, _, m = out.wait(r"liveproxy: http://127\.0\.0\.1:(\d+)", 0)
            url = "http://127.0.0.1:%s/" % m.group(1)
            i, _, _ = out.wait(r"app ready on port", i)
            urllib.request.urlopen(url, timeout=10).read()
            segs = {k: [] for k in ("watcher", "stop", "spawn", "app start", "readiness", "forwarding", "total", "ours")}
            for n in range(1, args.runs + 1):
                time.sleep(0.3)
                pos = len(out.items)
                t0 = time.monotonic()
                with open(app, "w") as f:
                    f.write(APP.replace("{n}", str(n)))
                i, t_restart, _ = out.wait(r"restarting the app|→ restart…|restarting now", pos)
                # Held at the gate now: it is answered by the new run.
                urllib.request.urlopen(url, timeout=20).read()
                t_answer = time.monotonic()
                i2, t_stopped, _ = out.wait(r"app stopped in", i)
                i3, t_spawn, _ = out.wait(r"starting app \(run", i2)
                i4, _, lm = out.wait(r"LISTENING (\d+\.\d+)", i3)
                i5, t_ready, _ = out.wait(r"app ready on port", i3)
                t_listen = float(lm.group(1))
                if args.fd:
                    t_listen = t_ready  # the socket listens all along; the app's start is then overlapped
                s = {
                    "watcher": t_restart - t0,
                    "stop": t_stopped - t_restart,
                    "spawn": t_spawn - t_stopped,
                    "app start": max(t_listen - t_spawn, 0.0),
                    "readiness": max(t_ready - t_listen, 0.0),
                    "forwarding": t_answer - t_ready,
                    "total": t_answer - t0,
                }
                s["ours"] = s["total"] - s["app start"] - s["watcher"]
                for k, v in s.items():
                    segs[k].append(v * 1000)
                print("[restart_bench] run %d/%d: total %.1f ms, app start %.1f ms, ours %.2f ms" % (
                    n, args.runs, s["total"] * 1000, s["app start"] * 1000, s["ours"] * 1000), file=sys.stderr, flush=True)
            print("restart latency over %d runs (ms; median / min / max)%s%s" % (
                args.runs, " --fd" if args.fd else "", " " + " ".join(mode) if mode else
                " (speculative restart)" if args.speculative else ""))
            for k, v in segs.items():
                print("  %-11s %8.2f %8.2f %8.2f" % (k, statistics.median(v), min(v), max(v)))
            if args.speculative:
                print("  (the restart starts at the first change; forwarding includes the wait for the changes to settle,"
                      " 80 ms after the change; 'ours' = stop + spawn + readiness + forwarding)")
            else:
                print("  (watcher includes the 80 ms restart debounce; 'ours' = stop + spawn + readiness + forwarding)")
        finally:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(p.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
