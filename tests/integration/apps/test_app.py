"""The app the integration tests put behind liveproxy: a threaded stdlib HTTP/1.1 server.

The tests copy this file into a temporary directory that liveproxy watches, then edit
files there. State the tests need to observe without racing the proxy (when the app
became connectable, when it was told to stop) goes to TEST_APP_STATE_DIR, a directory
that is *not* watched, so writing it never triggers the watcher.

Routes:
  /pid               this process's PID (text)
  /info              JSON: pid, argv, PORT from the environment, cwd
  /                  templates/index.html, read from disk at every request (text/html)
  /static/<file>     a file under static/, read from disk
  /headers           the request headers as a JSON object (name -> value, last wins)
  /slow?ms=N         answers after N milliseconds
  /chunked-html      an HTML page sent with Transfer-Encoding: chunked
  /greeting          the text from greeting.py (a code module: editing it needs a restart)
  /conn              "HOST:PORT" of the TCP peer (the proxy's app-side connection)
  /stream?go=NAME    text/event-stream, chunked: one event, then (once the file STATE_DIR/NAME exists, at most
                     20 s later) a second one and the end, so a test can tell an event arrived before the next
  /bytes?n=N         N bytes of a fixed pattern (byte i = i * 7 mod 251), with Content-Length
  /slow-body?ms=N    the header at once, the body ("done\n") N milliseconds later
  /big?n=N           N bytes ('x'), with Content-Length, written 1 MiB at a time as the reader takes them
  /one-write?n=N     /bytes' answer, its header and body sent in one write (the proxy reads body bytes with the
                     header)
  /big-html?n=N      an HTML page of N bytes (at least the markup's), with Content-Length, in one write
  /gzip-html?n=N     /big-html's page gzip-compressed (Content-Encoding: gzip), with Content-Length, in one write
  /close-delimited?n=N  N bytes of /bytes' pattern as an HTTP/1.0 response with no Content-Length: the close
                     ends it
  /ws-echo           a WebSocket (RFC 6455) that sends every message back as it came (unfragmented messages
                     only), answers ping with pong and close with close
  POST (any path)    the request body back, as application/octet-stream

Environment:
  PORT (or argv[1])          the port to listen on, always on 127.0.0.1
  TEST_APP_START_DELAY       seconds to sleep before binding, so a restart is observable
  TEST_APP_STATE_DIR         where to write listening.<pid> / stopped.<pid> markers
  TEST_APP_SPAWN_CHILD       if set, start a `sleep` grandchild in our process group
"""

import base64
import gzip
import hashlib
import http.server
import json
import mimetypes
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import greeting  # noqa: E402  (after the path tweak on purpose)

STATE_DIR = os.environ.get("TEST_APP_STATE_DIR")


def write_marker(name, content=""):
    """Records an event for the test; written atomically so a reader never sees half a file."""
    if not STATE_DIR:
        return
    tmp = os.path.join(STATE_DIR, "." + name + ".tmp")
    with open(tmp, "w") as f:
        f.write(content)
    os.replace(tmp, os.path.join(STATE_DIR, name))


def exit_when_orphaned():
    """If liveproxy dies without stopping us, exit anyway: a test must never leave an app behind."""
    parent = os.getppid()
    while True:
        time.sleep(0.2)
        if os.getppid() != parent:
            os._exit(0)


WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_read_frame(rfile):
    """One WebSocket frame as (opcode, payload), unmasked; None once the connection ends."""
    head = rfile.read(2)
    if len(head) < 2:
        return None
    opcode, n = head[0] & 0x0F, head[1] & 0x7F
    if n == 126:
        n = struct.unpack("!H", rfile.read(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", rfile.read(8))[0]
    mask = rfile.read(4) if head[1] & 0x80 else b""
    data = rfile.read(n)
    if len(data) < n:
        return None
    if mask:
        # XOR as one big integer: a byte at a time is slow for large messages.
        key = (mask * (n // 4 + 1))[:n]
        data = (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
    return opcode, data


def ws_frame(opcode, data):
    """A whole, unmasked frame (the server's side)."""
    n = len(data)
    if n < 126:
        head = bytes([0x80 | opcode, n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 126]) + struct.pack("!H", n)
    else:
        head = bytes([0x80 | opcode, 127]) + struct.pack("!Q", n)
    return head + data


class handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the proxy's app-side reuse is exercised

    def log_message(self, fmt, *args):
        # Keep the output for lines the tests look for; request logs would only add noise.
        pass

    def send_body(self, status, content_type, body):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        self.send_body(200, "application/octet-stream", data)

    def ws_echo(self):
        key = self.headers.get("Sec-WebSocket-Key", "").encode()
        if self.headers.get("Upgrade", "").lower() != "websocket" or not key:
            self.send_body(400, "text/plain", "a WebSocket upgrade is expected here")
            return
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode())
        self.end_headers()
        self.close_connection = True
        while True:
            frame = ws_read_frame(self.rfile)
            if frame is None:
                return
            opcode, data = frame
            if opcode == 0x8:
                self.wfile.write(ws_frame(0x8, data[:2]))
                return
            self.wfile.write(ws_frame(0xA if opcode == 0x9 else opcode, data))

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = urllib.parse.parse_qs(url.query)
        if path == "/pid":
            self.send_body(200, "text/plain", str(os.getpid()))
        elif path == "/info":
            info = {
                "pid": os.getpid(),
                "argv": sys.argv,
                "port_env": os.environ.get("PORT", ""),
                "cwd": os.getcwd(),
            }
            self.send_body(200, "application/json", json.dumps(info))
        elif path == "/":
            with open(os.path.join(HERE, "templates", "index.html"), "rb") as f:
                self.send_body(200, "text/html; charset=utf-8", f.read())
        elif path.startswith("/static/"):
            file = os.path.normpath(os.path.join(HERE, path.lstrip("/")))
            if not file.startswith(os.path.join(HERE, "static")) or not os.path.isfile(file):
                self.send_body(404, "text/plain", "not found")
                return
            with open(file, "rb") as f:
                kind = mimetypes.guess_type(file)[0] or "application/octet-stream"
                self.send_body(200, kind, f.read())
        elif path == "/cached":
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Cache-Control", "max-age=60")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"//")
        elif path == "/headers":
            self.send_body(200, "application/json", json.dumps(dict(self.headers.items())))
        elif path == "/slow":
            time.sleep(int(query.get("ms", ["500"])[0]) / 1000)
            self.send_body(200, "text/plain", "slow done")
        elif path == "/chunked-html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"<!doctype html><html><head><title>chunked</title>",
                         b"</head><body><p>chunked body</p>", b"</body></html>"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

            def chunk(data):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            chunk(b"data: one\n\n")
            go = os.path.join(STATE_DIR or HERE, os.path.basename(query.get("go", ["go"])[0]))
            deadline = time.monotonic() + 20
            while not os.path.exists(go) and time.monotonic() < deadline:
                time.sleep(0.01)
            chunk(b"data: two\n\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/bytes":
            n = int(query.get("n", ["0"])[0])
            self.send_body(200, "application/octet-stream", bytes((i * 7) % 251 for i in range(n)))
        elif path == "/slow-body":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.flush()
            time.sleep(int(query.get("ms", ["0"])[0]) / 1000.0)
            self.wfile.write(b"done\n")
        elif path == "/big":
            n = int(query.get("n", ["0"])[0])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            block = b"x" * (1 << 20)
            while n > 0 and self.command != "HEAD":
                self.wfile.write(block[: min(n, len(block))])
                n -= min(n, len(block))
        elif path in ("/one-write", "/big-html", "/gzip-html"):
            n = int(query.get("n", ["0"])[0])
            if path == "/one-write":
                kind, data = "application/octet-stream", bytes((i * 7) % 251 for i in range(n))
            else:
                start, end = b"<!doctype html><html><head><title>big</title></head><body><p>", b"</p></body></html>"
                kind = "text/html; charset=utf-8"
                data = start + b"x" * max(0, n - len(start) - len(end)) + end
            encoding = ""
            if path == "/gzip-html":
                data, encoding = gzip.compress(data), "Content-Encoding: gzip\r\n"
            head = "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n%sContent-Length: %d\r\n\r\n" % (kind, encoding, len(data))
            self.wfile.write(head.encode() + (data if self.command != "HEAD" else b""))
        elif path == "/close-delimited":
            n = int(query.get("n", ["0"])[0])
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
            if self.command != "HEAD":
                self.wfile.write(bytes((i * 7) % 251 for i in range(n)))
            self.close_connection = True
        elif path == "/ws-echo":
            self.ws_echo()
        elif path == "/conn":
            self.send_body(200, "text/plain", "%s:%d" % self.client_address[:2])
        elif path == "/greeting":
            self.send_body(200, "text/plain", greeting.TEXT)
        else:
            self.send_body(404, "text/plain", "not found")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else int(os.environ["PORT"])
    threading.Thread(target=exit_when_orphaned, daemon=True).start()

    def on_term(signum, frame):
        write_marker("stopped.%d" % os.getpid())
        print("test_app: stopping pid=%d" % os.getpid(), flush=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, on_term)

    delay = float(os.environ.get("TEST_APP_START_DELAY") or 0)
    if delay:
        print("test_app: starting pid=%d, delaying %.2fs" % (os.getpid(), delay), flush=True)
        time.sleep(delay)

    if os.environ.get("TEST_APP_SPAWN_CHILD"):
        child = subprocess.Popen(["sleep", "30"])
        write_marker("child.%d" % os.getpid(), str(child.pid))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler, bind_and_activate=False)
    server.daemon_threads = True
    server.server_bind()
    port = server.server_address[1]  # port 0 means "any": report the one we got
    # The marker and the line come before listen(): once the port accepts connections they exist,
    # so "reload only after ready" can be checked without racing liveproxy's output relay.
    write_marker("listening.%d" % os.getpid(), str(port))
    print("test_app: listening on 127.0.0.1:%d pid=%d" % (port, os.getpid()), flush=True)
    server.server_activate()
    server.serve_forever()


if __name__ == "__main__":
    main()
