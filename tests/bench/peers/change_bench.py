#!/usr/bin/python3
"""change_bench.py: file change -> reload message on each tool's own socket, and what watching a big tree costs.

For each tool (liveproxy --serve on its socket and on its LiveReload endpoint, browser-sync --server --watch,
live-server, python-livereload, and for --idle Django's runserver reloader), each at its defaults, serving and
watching the same folder:
  latency  --edits edits of a stylesheet and as many of an HTML page (truncate + write, as an editor saves
           without a rename), each timed from just before the write to the arrival of the tool's message on its
           socket; in a small folder and with 20,000 more files in it. p50/p95 and the ratio to liveproxy's socket.
           python-livereload drops changes within 3 s of its last reload: a tenth as many edits (3 to 10), 3.1 s
           apart.
  idle     on the 20,000-file folder: spawn -> first change reported (a stylesheet written every 50 ms; 150 ms for
           live-server and 600 ms for browser-sync, whose debounce of 100 and 500 ms would otherwise swallow every
           write), then CPU over --idle seconds of quiet and the resident memory of the tool's process tree.
Prints Markdown tables on stdout, progress on stderr. The folder and every tool started are removed/stopped at
the end, also on Ctrl-C and SIGTERM.

usage: change_bench.py [--edits N] [--idle SECS] [--only latency|idle] [--tools LIST] [--binary PATH]
                       [--peers DIR] [--out-prefix PREFIX]
"""
import argparse
import asyncio
import contextlib
import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
import reload_clients as C  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
TREE_FILES = 20000
EDIT_TIMEOUT = 5.0   # an edit not reported within this counts as missed
GAP = 0.1            # after a message, before the next edit: past every tool's coalescing window
PAGE = '<!doctype html><html><head><link rel="stylesheet" href="style.css"></head><body><h1>edit %d</h1></body></html>\n'
CSS = "h1 { color: rgb(%d, 100, 50); }\n"


class Tool:
    """How to start a tool on a folder, which client reads its socket, and the pace its defaults allow."""

    def __init__(self, cmd, client, interval=0.05, spacing=0.0, max_edits=None):
        self.cmd = cmd              # (port, folder) -> argv
        self.client = client        # a reload_clients.Client class
        self.interval = interval    # between writes while waiting for the first change: past its debounce
        self.spacing = spacing      # at least this long from one edit to the next
        self.max_edits = max_edits  # edits per file at most (for a tool whose spacing makes 100 too long)


def tools(args):
    bin_dir = os.path.join(args.peers, "node_modules", ".bin")
    lp = lambda port, site: [args.binary, "--port", str(port), "--serve", site, "--quiet"]  # noqa: E731
    return {
        # The reference: inotify -> WebSocket in a few lines, nothing else (minimal_relay.py).
        "minimal relay (Python)": Tool(lambda port, site: ["/usr/bin/python3", os.path.join(HERE, "minimal_relay.py"),
                                                           str(port), site], C.MinimalRelay),
        "liveproxy": Tool(lp, C.Liveproxy),
        "liveproxy /livereload": Tool(lp, C.LiveReload),
        # Its reloadDebounce (500 ms) restarts with every change: writes closer than that are never reported.
        "browser-sync": Tool(lambda port, site: [os.path.join(bin_dir, "browser-sync"), "start", "--server", site,
                                                 "--watch", "--port", str(port), "--no-open", "--no-ui", "--no-notify",
                                                 "--no-online"], C.BrowserSync, interval=0.6),
        # Its socket sends are debounced by --wait (100 ms).
        "live-server": Tool(lambda port, site: [os.path.join(bin_dir, "live-server"), site, "--port=%d" % port,
                                                "--host=127.0.0.1", "--no-browser", "--quiet"], C.LiveServer,
                            interval=0.15),
        # It drops every change that comes within 3 s of its previous reload (handlers.py, poll_tasks): edits 3.1 s
        # apart, so a tenth as many (3 to 10 per file).
        "python-livereload": Tool(lambda port, site: ["/usr/bin/python3", "/usr/bin/livereload", site, "-p", str(port),
                                                      "--host", "127.0.0.1"], C.LiveReload, spacing=3.1,
                                  max_edits=min(10, max(3, args.edits // 10))),
    }


def make_site(base, name, tree_files):
    site = os.path.join(base, name)
    os.makedirs(site)
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write(PAGE % 0)
    with open(os.path.join(site, "style.css"), "w") as f:
        f.write(CSS % 0)
    if tree_files:
        B.log("writing %d files under %s" % (tree_files, site))
        B.make_tree(os.path.join(site, "tree"), tree_files)
    return site


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


async def connect(client_cls, port, proc, timeout=30):
    """The tool's socket, retried until it answers (some open it a moment after the HTTP port)."""
    deadline = time.monotonic() + timeout
    while True:
        client = client_cls(port)
        try:
            await client.connect()
            return client
        except Exception as e:  # refused, 404 before the socket is set up, a handshake cut short...
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("no socket at %s: %s" % (client.url, e))
            await asyncio.sleep(0.05)


async def first_change(client, site, interval, timeout=60):
    """Writes the stylesheet every `interval` s until the tool reports something; the time of that report."""
    css = os.path.join(site, "style.css")
    since = time.monotonic()
    deadline = since + timeout
    n = 1000
    while time.monotonic() < deadline:
        n += 1
        write(css, CSS % (n % 256))
        t = await client.wait("css", since, interval) or await client.wait("reload", since, 0)
        if t:
            return t
    return None


async def edits(client, path, kind, count, spacing, label):
    """count edits of path, at least spacing s apart; latencies in ms, and how many were never reported."""
    lat, missed, streak = [], 0, 0
    t0 = 0.0
    for i in range(1, count + 1):
        text = CSS % (i % 256) if kind == "css" else PAGE % i
        await asyncio.sleep(max(0.0, t0 + spacing - time.monotonic()))
        t0 = time.monotonic()
        write(path, text)
        t = await client.wait(kind, t0, EDIT_TIMEOUT)
        if t is None:
            missed += 1
            streak += 1
            if streak == 5:
                B.log("%s: 5 edits in a row not reported: giving up on this row" % label)
                missed += count - i
                break
        else:
            streak = 0
            lat.append((t - t0) * 1000)
        await asyncio.sleep(GAP)
    return lat, missed


async def run_tool(name, spec, site, args, tree, want_idle, want_latency):
    port = B.free_port()
    cmd = spec.cmd(port, site)
    logf = os.path.join(os.path.dirname(site), "%s-%s.log" % (name.replace(" ", "_").replace("/", ""), tree))
    p = B.start(cmd, logf, cwd=site)
    row = {"tool": name, "tree": tree, "cmd": " ".join(cmd)}
    client = None
    try:
        if not B.wait_port(port, p, 60):
            raise RuntimeError("did not listen on %d: %s" % (port, open(logf, errors="replace").read()[-500:]))
        client = await connect(spec.client, port, p)
        t = await first_change(client, site, spec.interval)
        if t is None:
            raise RuntimeError("reported no change within 60 s")
        row["watching"] = t - p.started
        if want_idle:
            await asyncio.sleep(1)
            c0 = B.cpu_seconds(p.pid)
            await asyncio.sleep(args.idle)
            row["idle_cpu"] = B.cpu_seconds(p.pid) - c0
            row["rss"] = B.rss_mb(p.pid)
        if want_latency:
            count = min(args.edits, spec.max_edits or args.edits)
            row["edits"] = count
            for kind, file in (("css", "style.css"), ("reload", "index.html")):
                await asyncio.sleep(max(0.5, spec.spacing))  # past the previous reload, however it came
                lat, missed = await edits(client, os.path.join(site, file), kind, count, spec.spacing,
                                          "%s %s" % (name, tree))
                row[kind] = lat
                row[kind + "_missed"] = missed
                B.log("%s, %s tree, %s: p50 %s ms, p95 %s ms, %d missed" % (
                    name, tree, file, B.fmt_ms(B.percentile(lat, 50)), B.fmt_ms(B.percentile(lat, 95)), missed))
    except Exception as e:
        row["error"] = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        B.log("%s (%s tree): %s" % (name, tree, row["error"]))
    finally:
        if client:
            await client.close()
        B.stop(p)
    return row


DJANGO_URLS = '''from django.http import HttpResponse
from django.urls import path
import os
urlpatterns = [path("pid", lambda request: HttpResponse(str(os.getpid())))]
# edit %d
'''


def get(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def run_django_idle(base, args):
    """Django's runserver (its StatReloader) in a project that holds the 20,000-file tree: spawn -> first change
    noticed (the serving child exits to be replaced), idle CPU and RSS of parent and child."""
    import subprocess
    proj = os.path.join(base, "django")
    os.makedirs(proj)
    subprocess.run(["/usr/bin/python3", "-m", "django", "startproject", "mysite", proj], check=True)
    B.make_tree(os.path.join(proj, "tree"), TREE_FILES)
    urls = os.path.join(proj, "mysite", "urls.py")
    write(urls, DJANGO_URLS % 0)
    port = B.free_port()
    cmd = ["/usr/bin/python3", "manage.py", "runserver", "127.0.0.1:%d" % port]
    row = {"tool": "Django runserver", "tree": "20k", "cmd": " ".join(cmd)}
    p = B.start(cmd, os.path.join(base, "django.log"), cwd=proj)
    try:
        if not B.wait_port(port, p, 60):
            raise RuntimeError("runserver did not listen: " + open(os.path.join(base, "django.log")).read()[-500:])
        child = int(get("http://127.0.0.1:%d/pid" % port))
        # The reloader polls once a second: a write every 200 ms until the serving child goes.
        deadline = time.monotonic() + 60
        n = 0
        noticed = None
        while time.monotonic() < deadline and noticed is None:
            n += 1
            write(urls, DJANGO_URLS % n)
            until = time.monotonic() + 0.2
            while time.monotonic() < until:
                if not os.path.exists("/proc/%d" % child) or open("/proc/%d/stat" % child).read().split()[2] == "Z":
                    noticed = time.monotonic()
                    break
                time.sleep(0.002)
        if noticed is None:
            raise RuntimeError("no restart within 60 s")
        row["watching"] = noticed - p.started
        # Until the new child serves, then quiet.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if int(get("http://127.0.0.1:%d/pid" % port)) != child:
                    break
            except Exception:
                time.sleep(0.05)
        time.sleep(1)
        c0 = B.cpu_seconds(p.pid)
        time.sleep(args.idle)
        row["idle_cpu"] = B.cpu_seconds(p.pid) - c0
        row["rss"] = B.rss_mb(p.pid)
    except Exception as e:
        row["error"] = str(e).strip().splitlines()[0]
        B.log("Django runserver: " + row["error"])
    finally:
        B.stop(p)
    return row


def latency_table(rows, edits):
    print("| tool | folder | CSS p50 | CSS p95 | HTML p50 | HTML p95 | CSS p50 / liveproxy | HTML p50 / liveproxy "
          "| not reported |")
    print("|---|---|---|---|---|---|---|---|---|")
    ref = {r["tree"]: r for r in rows if r["tool"] == "liveproxy" and "error" not in r}
    for r in rows:
        tree = "small" if r["tree"] == "small" else "+ 20,000 files"
        if "error" in r:
            print("| %s | %s | failed: %s | | | | | | |" % (r["tool"], tree, r["error"]))
            continue
        cells = []
        for kind in ("css", "reload"):
            cells += [B.fmt_ms(B.percentile(r[kind], 50)), B.fmt_ms(B.percentile(r[kind], 95))]
        ratios = []
        for kind in ("css", "reload"):
            mine, base = B.percentile(r[kind], 50), ref.get(r["tree"], {}).get(kind)
            base = B.percentile(base, 50) if base else None
            ratios.append("%.1f" % (mine / base) if mine and base else "-")
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %d / %d |" % (
            r["tool"], tree, *cells, *ratios, r["css_missed"] + r["reload_missed"], 2 * r["edits"]))
    print()
    print("Milliseconds from just before the write (open with truncation, write, close) to the message's arrival on "
          "the tool's socket, over %d edits of each file, one edit at a time (the next %d ms after the previous "
          "message); not reported: edits with no message within %.0f s. python-livereload drops any change within "
          "3 s of its previous reload, so its edits are 3.1 s apart and %d per file; with pyinotify installed (a "
          "Recommends of python3-livereload) it reacts to IN_MODIFY, i.e. already to the truncation, before the "
          "new content is written, where liveproxy waits for the close. The minimal relay is the reference for what "
          "this machine and this client allow: a few lines of Python relaying inotify (top level only) to a "
          "WebSocket (peers/minimal_relay.py)."
          % (edits, GAP * 1000, EDIT_TIMEOUT, min(10, max(3, edits // 10))))


def idle_table(rows, idle):
    print("| tool | first change reported after | idle CPU (%d s) | RSS |" % idle)
    print("|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print("| %s | failed: %s | | |" % (r["tool"], r["error"]))
            continue
        print("| %s | %.2f s | %.2f s (%.1f%% of a core) | %.1f MB |" % (
            r["tool"], r["watching"], r["idle_cpu"], 100 * r["idle_cpu"] / idle, r["rss"]))
    print()
    print("Watching a folder of %d files: spawn -> the first change the tool reports (a stylesheet written every "
          "50 ms; 150 ms for live-server and 600 ms for browser-sync, past their debounce of 100 and 500 ms; for "
          "Django, urls.py every 200 ms, and the moment its reloader ends the serving process), then CPU time over "
          "%d s with no change, and the resident memory of the tool's whole "
          "process tree (Django: reloader parent and serving child)." % (TREE_FILES, idle))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog="see the top of this file")
    ap.add_argument("--edits", type=int, default=100)
    ap.add_argument("--idle", type=int, default=30)
    ap.add_argument("--only", choices=("latency", "idle"))
    ap.add_argument("--tools", default=None, help="comma-separated subset of: minimal relay (Python), "
                    "liveproxy, liveproxy /livereload, "
                    "browser-sync, live-server, python-livereload, Django runserver (default: all)")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "liveproxy"))
    ap.add_argument("--out-prefix", help="write the tables to PREFIX-latency.md and PREFIX-idle.md, not stdout")
    ap.add_argument("--peers", default=os.path.join(ROOT, "tests", "bench", ".peers"),
                    help="npm prefix holding browser-sync and live-server (peers_bench.sh installs them there)")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    B.install_cleanup()
    specs = tools(args)
    wanted = args.tools.split(",") if args.tools else list(specs) + ["Django runserver"]
    base = B.temp_dir("change_bench.")
    small = make_site(base, "small", 0)
    big = make_site(base, "big", TREE_FILES)

    async def run():
        lat_rows, idle_rows = [], []
        for name, spec in specs.items():
            if name not in wanted:
                continue
            if args.only != "idle":
                B.log("%s: small folder" % name)
                lat_rows.append(await run_tool(name, spec, small, args, "small", False, True))
            # The LiveReload endpoint is the same process as liveproxy's socket: one idle row is enough. The minimal
            # relay watches the top level only: nothing to say about watching a tree.
            idle = args.only != "latency" and name not in ("liveproxy /livereload", "minimal relay (Python)")
            if args.only != "idle" or idle:
                first = " (idle for %d s first)" % args.idle if idle else ""
                B.log("%s: folder with %d files%s" % (name, TREE_FILES, first))
                row = await run_tool(name, spec, big, args, "20k", idle, args.only != "idle")
                if args.only != "idle":
                    lat_rows.append(row)
                if idle:
                    idle_rows.append(row)
        return lat_rows, idle_rows

    lat_rows, idle_rows = asyncio.run(run())
    if args.only != "latency" and "Django runserver" in wanted:
        B.log("Django runserver: project with %d files (idle for %d s)" % (TREE_FILES, args.idle))
        idle_rows.append(run_django_idle(base, args))
    # Each table with the commands of its rows, to stdout or to PREFIX-latency.md / PREFIX-idle.md.
    for what, rows, table in (("latency", lat_rows, lambda: latency_table(lat_rows, args.edits)),
                              ("idle", idle_rows, lambda: idle_table(idle_rows, args.idle))):
        if not rows:
            continue
        out = open(args.out_prefix + "-" + what + ".md", "w") if args.out_prefix else sys.stdout
        with contextlib.redirect_stdout(out):
            table()
            print()
            print("Commands (run in the folder served, 20,000-file case):")
            for r in rows:
                if r["tree"] == "20k":
                    print("- %s: `%s`" % (r["tool"], re.sub(r"/\S*/(liveproxy|browser-sync|live-server)\b", r"\1",
                                                         r["cmd"].replace(base + "/", ""))))
            print()
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
