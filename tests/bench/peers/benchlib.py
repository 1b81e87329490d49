"""Shared by the peers_bench helpers: progress on stderr, temporary trees and started processes cleaned up on exit
(Ctrl-C and SIGTERM included), CPU and RSS of a process tree, percentiles, free ports, the 20,000-file tree."""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

NAME = os.path.basename(sys.argv[0]).rsplit(".", 1)[0]
HZ = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

_dirs = []
_procs = []


def log(*what):
    print("[%s] %s" % (NAME, " ".join(str(w) for w in what)), file=sys.stderr, flush=True)


def _on_signal(signum, _frame):
    # At once, not by unwinding: an asyncio run would first cancel its tasks, whose websocket closes and process
    # stops can take seconds. Every tool's group gets SIGTERM, then SIGKILL a second later; the trees go.
    log("interrupted: stopping the tools, removing the temporary files")
    for p in _procs:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline and any(p.poll() is None for p in _procs):
        time.sleep(0.02)
    for p in _procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)
    os._exit(128 + signum)


def install_cleanup():
    """Started processes stopped and temporary trees removed at exit, and at once on Ctrl-C and SIGTERM."""
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    atexit.register(cleanup)


def cleanup():
    while _procs:
        stop(_procs[-1])
    while _dirs:
        shutil.rmtree(_dirs.pop(), ignore_errors=True)


def temp_dir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    _dirs.append(d)
    return d


def start(cmd, log_path, cwd=None, env=None):
    """A tool in its own session (so its whole group can be stopped), output to log_path."""
    out = open(log_path, "wb")
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    out.close()
    p.started = time.monotonic()
    _procs.append(p)
    return p


def stop(p):
    """SIGTERM to the process group, SIGKILL after 3 s."""
    if p in _procs:
        _procs.remove(p)
    for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 3)):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            break
        try:
            p.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue
    # Children that outlived their leader are still in its group.
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=60):
    """True once 127.0.0.1:port accepts; False if proc exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def tree_pids(pid):
    """pid and all its live descendants."""
    out, queue = [], [pid]
    while queue:
        p = queue.pop()
        out.append(p)
        try:
            for task in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, task)) as f:
                    queue.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def cpu_seconds(pid):
    """utime + stime of a process tree (live processes, plus the children they reaped)."""
    total = 0
    for p in tree_pids(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15])
        except OSError:
            pass
    return total / HZ


def rss_mb(pid):
    """Resident memory of a process tree, MB."""
    total = 0
    for p in tree_pids(pid):
        try:
            with open("/proc/%d/statm" % p) as f:
                total += int(f.read().split()[1]) * PAGE
        except OSError:
            pass
    return total / 1048576


def percentile(values, p):
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.4999)) - 1))]


def fmt_ms(v):
    if v is None:
        return "-"
    return "%.2f" % v if v < 10 else "%.1f" % v if v < 100 else "%.0f" % v


def make_tree(root, files):
    """files files, 10 a directory, two levels deep, of the kinds a project has (none that tools ignore by default)."""
    names = ("a.css", "b.html", "c.py", "d.js", "e.py", "f.txt", "g.json", "h.md", "i.svg", "j.py")
    for d in range(max(1, files // 10)):
        path = os.path.join(root, "d%03d" % (d % 100), "s%05d" % d)
        os.makedirs(path, exist_ok=True)
        for n in names:
            with open(os.path.join(path, n), "w") as f:
                f.write("x\n")
