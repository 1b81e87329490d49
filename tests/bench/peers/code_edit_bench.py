#!/usr/bin/python3
"""code_edit_bench.py: a code edit in a Django project -> the new content served, as a polling client sees it.

A fresh `django-admin startproject` site whose urls.py answers "/" with "version N". Each edit rewrites urls.py
with the next N (a code change: the app must restart). Meanwhile a client starts a request every --poll-ms
(a new connection each, Connection: close, a --timeout client timeout) and keeps a timeline of every request:
start, end, and outcome: the version served, an error (connection refused or reset, 5xx) or hung (no answer
within the timeout: what browser-sync does while its backend is down, and what wrk cannot see). Per edit: from
just before the write to the end of the first response carrying the new version; median and p95 over the edits,
and the errors and hung requests of the whole run.

Tools, each at its defaults:
  runserver                 manage.py runserver (Django's own autoreloader), polled directly
  browser-sync + runserver  browser-sync --proxy in front of the same runserver
  liveproxy plain           liveproxy --no-preload --no-speculative-restart -- manage.py runserver --noreload
  liveproxy preloaded       liveproxy --preload --no-speculative-restart -- ...
  liveproxy speculative     liveproxy --preload -- ...  (speculative restart on: the default)
A liveproxy mode whose flags the binary does not list in --help is reported as not supported by this binary.

usage: code_edit_bench.py [--edits N] [--tools LIST] [--poll-ms MS] [--timeout SECS] [--binary PATH]
                          [--peers DIR] [--timeline DIR]
"""
import argparse
import asyncio
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
PY = "/usr/bin/python3"  # Debian's, which has Django; the python3 on PATH may not
URLS = '''from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("", lambda request: HttpResponse("version %d"))]
'''
MAX_OUTSTANDING = 400
NEW_CONTENT_TIMEOUT = 30

MODES = {  # liveproxy mode -> the flags it needs
    "liveproxy plain": ["--no-preload", "--no-speculative-restart"],
    "liveproxy preloaded": ["--preload", "--no-speculative-restart"],
    "liveproxy speculative": ["--preload"],
}


class Poller:
    """Starts a GET every interval; keeps (start, end, outcome, version) per request."""

    def __init__(self, port, interval, timeout):
        self.port, self.interval, self.timeout = port, interval, timeout
        self.records = []
        self.outstanding = 0
        self.skipped = 0
        self.task = None
        self.request = ("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
                        % port).encode()

    def start(self):
        self.task = asyncio.ensure_future(self.run())

    async def run(self):
        while True:
            if self.outstanding < MAX_OUTSTANDING:
                self.outstanding += 1
                asyncio.ensure_future(self.probe())
            else:
                self.skipped += 1
            await asyncio.sleep(self.interval)

    async def probe(self):
        t0 = time.monotonic()
        outcome, version = "ok", None
        try:
            outcome, version = await asyncio.wait_for(self.get(), self.timeout)
        except asyncio.TimeoutError:
            outcome = "hung"
        except ConnectionRefusedError:
            outcome = "refused"
        except (OSError, asyncio.IncompleteReadError, ValueError):
            outcome = "reset"
        finally:
            self.outstanding -= 1
        self.records.append((t0, time.monotonic(), outcome, version))

    async def get(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(self.request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            body = await (reader.readexactly(int(m.group(1))) if m else reader.read())
        finally:
            writer.close()
        if status >= 500:
            # The status and the start of the body, kept in the timeline: which 5xx, said by whom.
            title = re.search(rb"(?is)<title>(.*?)</title>", body)
            said = title.group(1) if title else body[:120]
            return "5xx", "%d %s" % (status, re.sub(rb"\s+", b" ", said).decode("utf-8", "replace").replace(",", ";"))
        v = re.search(rb"version (\d+)", body)
        # version: the number served, or for anything else the status and the start of the body
        return ("ok", int(v.group(1))) if status == 200 and v else ("other", "%d" % status)

    def first_with(self, version, since):
        ends = [e for s, e, o, v in self.records if o == "ok" and v == version and e >= since]
        return min(ends) if ends else None

    async def stop(self):
        self.task.cancel()
        deadline = time.monotonic() + self.timeout + 1
        while self.outstanding and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


def listen_overflows():
    """The kernel's count of connections dropped because a listen queue was full (all sockets: TcpExt
    ListenOverflows). A burst of connects to an app with a short backlog (Django's runserver: 10) shows up here, and
    each dropped connect is retried by the kernel only after 1 s, then 3 s, 7 s..."""
    with open("/proc/net/netstat") as f:
        lines = [l.split() for l in f if l.startswith("TcpExt:")]
    return int(dict(zip(lines[0], lines[1])).get("ListenOverflows", 0)) if len(lines) >= 2 else 0


def make_project(base):
    proj = os.path.join(base, "mysite")
    os.makedirs(proj)
    subprocess.run([PY, "-m", "django", "startproject", "mysite", proj], check=True)
    write_urls(proj, 0)
    return proj


def write_urls(proj, n):
    with open(os.path.join(proj, "mysite", "urls.py"), "w") as f:
        f.write(URLS % n)


def commands(name, args, app_port, front_port, help_text):
    """[(cmd, role)] to start for this tool, and the port to poll; or a reason it cannot run."""
    runserver = [PY, "manage.py", "runserver", "127.0.0.1:%d" % app_port]
    if name == "runserver":
        return [(runserver, app_port)], app_port
    if name == "browser-sync + runserver":
        bs = os.path.join(args.peers, "node_modules", ".bin", "browser-sync")
        return [(runserver, app_port), ([bs, "start", "--proxy", "127.0.0.1:%d" % app_port, "--port", str(front_port),
                                         "--no-open", "--no-ui", "--no-notify", "--no-online"], front_port)], front_port
    flags = MODES[name]
    missing = [f for f in flags if not re.search(r"(^|\s)%s\b" % re.escape(f), help_text, re.M)]
    if missing:
        if name == "liveproxy plain" and "--preload" not in help_text:
            flags = []  # a binary without preloading: plain is all it does
        else:
            return "not supported by this binary (no %s in --help)" % ", ".join(missing), None
    return [([args.binary, "--port", str(front_port)] + flags +
             ["--", PY, "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"], front_port)], front_port


async def run_tool(name, proj, args, help_text, logs):
    app_port, front_port = B.free_port(), B.free_port()
    plan, port = commands(name, args, app_port, front_port, help_text)
    if isinstance(plan, str):
        B.log("%s: %s" % (name, plan))
        return {"tool": name, "error": plan}
    row = {"tool": name, "cmd": " & ".join(" ".join(c) for c, _ in plan)}
    procs = []
    poller = None
    try:
        for i, (cmd, listens) in enumerate(plan):
            log = os.path.join(logs, "%s-%d.log" % (name.replace(" ", "_").replace("+", ""), i))
            procs.append(B.start(cmd, log, cwd=proj))
            if not B.wait_port(listens, procs[-1], 60):
                tail = open(log, errors="replace").read()[-300:]
                raise RuntimeError("%s did not listen on %d: %s" % (cmd[0], listens, tail))
        write_urls(proj, 0)
        poller = Poller(port, args.poll_ms / 1000, args.timeout)
        poller.start()
        t = time.monotonic()
        while poller.first_with(0, t - 60) is None:
            if time.monotonic() > t + 60:
                raise RuntimeError("never served version 0")
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        first = len(poller.records)
        overflows = listen_overflows()
        lat, edit_times = [], []
        for n in range(1, args.edits + 1):
            t0 = time.monotonic()
            write_urls(proj, n)
            edit_times.append((t0, n))
            while True:
                got = poller.first_with(n, t0)
                if got or time.monotonic() > t0 + NEW_CONTENT_TIMEOUT:
                    break
                await asyncio.sleep(0.005)
            if got is None:
                B.log("%s: edit %d not served within %d s" % (name, n, NEW_CONTENT_TIMEOUT))
                row["missed"] = row.get("missed", 0) + 1
            else:
                lat.append((got - t0) * 1000)
            if n % 5 == 0 or n == args.edits:
                B.log("%s: %d/%d edits, median so far %s ms" % (name, n, args.edits, B.fmt_ms(B.percentile(lat, 50))))
            # The same pause for every tool, as a developer's edits are seconds apart: past Django's reloader tick
            # (1 s), so that each edit is seen as its own, and long enough for a preloaded interpreter to be ready.
            await asyncio.sleep(1.3)
        await poller.stop()
        row["overflows"] = listen_overflows() - overflows
        recs = poller.records[first:]
        row.update(lat=lat, requests=len(recs),
                   refused=sum(1 for r in recs if r[2] == "refused"),
                   fivexx=sum(1 for r in recs if r[2] == "5xx"),
                   reset=sum(1 for r in recs if r[2] in ("reset", "other")),
                   hung=sum(1 for r in recs if r[2] == "hung"), skipped=poller.skipped)
        if args.timeline:
            with open(os.path.join(args.timeline, name.replace(" ", "_") + ".csv"), "w") as f:
                f.write("start_s,end_s,outcome,version_or_detail\n")
                t_base = poller.records[0][0]
                rows = [(s, e, o, "" if v is None else v) for s, e, o, v in poller.records]
                rows += [(t, t, "edit", n) for t, n in edit_times]
                for s, e, o, v in sorted(rows):
                    f.write("%.4f,%.4f,%s,%s\n" % (s - t_base, e - t_base, o, v))
    except Exception as e:
        row["error"] = str(e)
        B.log("%s: %s" % (name, e))
    finally:
        if poller and not poller.task.done():
            poller.task.cancel()
        for p in reversed(procs):
            B.stop(p)
    return row


def table(rows, args):
    print("| tool | new content after: median | p95 | errors (refused / 5xx / reset) | hung (> %g s) | requests "
          "| listen-queue overflows |" % args.timeout)
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print("| %s | %s | | | | | |" % (r["tool"], r["error"]))
            continue
        print("| %s | %s ms | %s ms | %d / %d / %d | %d | %d | %d |" % (
            r["tool"], B.fmt_ms(B.percentile(r["lat"], 50)), B.fmt_ms(B.percentile(r["lat"], 95)),
            r["refused"], r["fivexx"], r["reset"], r["hung"], r["requests"], r["overflows"]))
    print()
    print("%d edits of urls.py per tool; a request started every %d ms (new connection, %g s client timeout); "
          "milliseconds from just before the write to the end of the first response with the new version. Errors "
          "and hung requests over the whole run of edits. Listen-queue overflows: the kernel's count (TcpExt "
          "ListenOverflows, machine-wide) over the run: connects dropped because a listen queue was full, each "
          "retried by the client's kernel only after 1 s, then 3 s." % (args.edits, args.poll_ms, args.timeout))
    print()
    print("Commands (in the project folder):")
    for r in rows:
        if "cmd" in r:
            print("- %s: `%s`" % (r["tool"], re.sub(r"/\S*/(liveproxy|browser-sync)\b", r"\1", r["cmd"])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog="see the top of this file")
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--tools", help="comma-separated subset of: runserver, browser-sync + runserver, " +
                    ", ".join(MODES) + " (default: all)")
    ap.add_argument("--poll-ms", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "liveproxy"))
    ap.add_argument("--peers", default=os.path.join(ROOT, "tests", "bench", ".peers"),
                    help="npm prefix holding browser-sync (peers_bench.sh installs it there)")
    ap.add_argument("--timeline", help="write each tool's request timeline there as CSV")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    B.install_cleanup()
    names = ["runserver", "browser-sync + runserver"] + list(MODES)
    wanted = [t.strip() for t in args.tools.split(",")] if args.tools else names
    help_text = subprocess.run([args.binary, "--help"], capture_output=True, text=True).stdout
    base = B.temp_dir("code_edit_bench.")
    proj = make_project(base)

    async def run():
        rows = []
        for name in names:
            if name in wanted:
                B.log("%s: %d edits" % (name, args.edits))
                rows.append(await run_tool(name, proj, args, help_text, base))
        return rows

    table(asyncio.run(run()), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
