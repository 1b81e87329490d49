#!/usr/bin/python3
"""soak_bench.py: 1,000 app restarts under load, to show that nothing leaks and nothing hangs.

liveproxy runs the integration tests' app (tests/integration/apps/test_app.py). Meanwhile:
  - WORKERS threads send requests back to back (GET /greeting, a 30 s client timeout each), through the proxy;
  - a browser-like WebSocket client (Origin and the page's token, as Chromium sends them) stays connected
    and counts the reload events;
  - the app is restarted RESTARTS times (POST /__liveproxy/restart, as the status page's button does), each
    time waiting until the new run answers.
It prints: requests served, failed and hung (no answer within the client timeout: what wrk cannot see), the
reload events seen, and liveproxy's open descriptors and RSS after the first 100 restarts and after the last.
The claim: no failed or hung request, and the same descriptors (and RSS within noise) at both points.

usage: tests/bench/soak_bench.py [--restarts N] [--workers N] [--binary PATH]
Progress on stderr (every 100 restarts); liveproxy and the temporary folder are stopped and removed at the end,
also on Ctrl-C and SIGTERM.
"""
import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import websockets  # Debian: python3-websockets

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def get(url, timeout=30, data=None):
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def status(base):
    return json.loads(get(base + "/__liveproxy/status.json", 10)[1])


class Load:
    """Worker threads sending requests back to back; counts what came back."""

    def __init__(self, base, workers):
        self.base, self.stop = base, threading.Event()
        self.running = threading.Event()
        self.running.set()
        self.ok = self.failed = self.hung = 0
        self.errors = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(workers)]

    def run(self):
        while not self.stop.is_set():
            if not self.running.is_set():
                time.sleep(0.01)
                continue
            try:
                code, _ = get(self.base + "/greeting", 30)
                outcome = "ok" if code == 200 else "failed"
            except socket.timeout:
                outcome = "hung"
            except urllib.error.HTTPError:
                outcome = "failed"
            except Exception as e:  # refused, reset, a body cut short (http.client.IncompleteRead), ...
                outcome = "hung" if "timed out" in str(e) else "failed"
                with self.lock:
                    if len(self.errors) < 5:
                        self.errors.append("%s: %s" % (type(e).__name__, e))
            with self.lock:
                setattr(self, outcome, getattr(self, outcome) + 1)


def quiet_figures(base, load, pid):
    """Descriptors and RSS measured the same way both times: the load paused and its requests answered, one
    more restart (which drops the pooled app connections of the old run), then a moment of quiet."""
    load.running.clear()
    time.sleep(1.0)
    run_before = status(base)["app"]["run"]
    get(base + "/__liveproxy/restart", 10, data=b"")
    while status(base)["app"]["run"] == run_before or status(base)["app"]["state"] != "running":
        time.sleep(0.005)
    time.sleep(0.5)
    figures = (fds(pid), rss_kib(pid))
    load.running.set()
    return figures


class Tab:
    """A browser-like socket: Origin and token as a page of ours sends them; counts reload events."""

    def __init__(self, port, token):
        self.port, self.token, self.reloads, self.reconnects = port, token, 0, 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=lambda: self.loop.run_until_complete(self.run()), daemon=True)
        self.stopping = False

    async def run(self):
        url = "ws://127.0.0.1:%d/__liveproxy/ws?token=%s" % (self.port, self.token)
        while not self.stopping:
            try:
                async with websockets.connect(url, origin="http://127.0.0.1:%d" % self.port) as ws:
                    async for msg in ws:
                        if json.loads(msg).get("type") == "reload":
                            self.reloads += 1
                        if self.stopping:
                            return
            except Exception:
                self.reconnects += 1
                await asyncio.sleep(0.1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog="see the top of this file")
    ap.add_argument("--restarts", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "liveproxy"))
    args = ap.parse_args()
    if args.restarts < 101:
        ap.error("--restarts must be over 100 (the first figures are taken after 100)")

    work = tempfile.mkdtemp(prefix="soak_bench.")
    proxy = None
    try:
        app_dir = os.path.join(work, "app")
        shutil.copytree(os.path.join(ROOT, "tests", "integration", "apps"), app_dir)
        port = free_port()
        env = dict(os.environ, TEST_APP_STATE_DIR=work)
        proxy = subprocess.Popen([args.binary, "--port", str(port), "--watch", app_dir, "--", "/usr/bin/python3",
                                  os.path.join(app_dir, "test_app.py"), "{port}"], cwd=app_dir, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        base = "http://127.0.0.1:%d" % port
        deadline = time.time() + 20
        while True:
            try:
                page = get(base + "/", 5)[1].decode()
                break
            except Exception:
                if time.time() > deadline:
                    sys.exit("liveproxy did not come up")
                time.sleep(0.1)
        token = page.split('data-token="', 1)[1][:32]
        load, tab = Load(base, args.workers), Tab(port, token)
        for t in load.threads:
            t.start()
        tab.thread.start()
        at_100 = None
        started = time.time()
        for i in range(1, args.restarts + 1):
            run_before = status(base)["app"]["run"]
            get(base + "/__liveproxy/restart", 10, data=b"")
            while True:
                st = status(base)
                if st["app"]["run"] > run_before and st["app"]["state"] == "running":
                    break
                time.sleep(0.005)
            if i == 100:
                at_100 = quiet_figures(base, load, proxy.pid)
            if i % 100 == 0:
                print("[soak_bench] %d/%d restarts, %.1f s, requests ok %d failed %d hung %d" %
                      (i, args.restarts, time.time() - started, load.ok, load.failed, load.hung),
                      file=sys.stderr, flush=True)
        at_end = quiet_figures(base, load, proxy.pid)
        elapsed = time.time() - started
        load.stop.set()
        for t in load.threads:
            t.join(40)
        tab.stopping = True
        print()
        print("=== soak_bench: %d restarts in %.1f s (%.0f ms each), %d request workers, 1 browser-like socket" %
              (args.restarts, elapsed, 1000 * elapsed / args.restarts, args.workers))
        print("requests: %d ok, %d failed, %d hung (no answer in 30 s)" % (load.ok, load.failed, load.hung))
        for e in load.errors:
            print("  e.g. " + e)
        print("reload events on the socket: %d (reconnects: %d)" % (tab.reloads, tab.reconnects))
        print("liveproxy descriptors after 100 restarts: %d, after %d: %d" % (at_100[0], args.restarts, at_end[0]))
        print("liveproxy RSS after 100 restarts: %d KiB, after %d: %d KiB" % (at_100[1], args.restarts, at_end[1]))
        holds = load.failed == 0 and load.hung == 0 and at_100[0] == at_end[0]
        print('claim "no failed or hung request, same descriptors": %s' % ("holds" if holds else "DOES NOT HOLD"))
        return 0 if holds else 1
    finally:
        if proxy is not None and proxy.poll() is None:
            os.killpg(proxy.pid, signal.SIGTERM)
            try:
                proxy.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proxy.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)


def on_term(signum, _frame):
    # Unwinds through main's finally: liveproxy's group stopped, the temporary folder removed.
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
