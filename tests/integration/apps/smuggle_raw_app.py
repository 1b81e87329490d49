"""A lenient app for the request-framing tests: HTTP/1.1 parsed by hand off a raw socket, as naive servers do.

It frames requests the loose way that makes smuggling possible when a proxy in front forwards
ambiguous framing: header names are matched case-insensitively with '_' taken for '-' and
surrounding whitespace ignored (so "Transfer_Encoding" and " Transfer-Encoding" count), any
Transfer-Encoding value containing "chunked" means chunked (and wins over Content-Length), and
the FIRST Content-Length counts, read as loosely as int() allows ("+5", " 7 "). Connections are
kept alive and pipelined requests are read off the same connection one after the other.

Every request it reads is appended as one line to $TEST_APP_STATE_DIR/requests.log (not watched by
liveproxy), in the same format as smuggle_node_app.js:
  REQ     x<method> x<url> x<body> x<name>=x<value> ...   header fields as received (name not stripped)
  PARTIAL x<method> x<url> x<body so far> x<name>=x<value> ...   the body did not arrive within 2 s
  ERROR   x<reason> x<bytes it could not parse>
Every request is answered "app saw METHOD URL" (GET /pid: the PID, which the test fixture waits for);
a URL containing "slow" is answered after 300 ms.

Usage: python3 smuggle_raw_app.py PORT   (or PORT in the environment); listens on 127.0.0.1.
"""

import os
import re
import socket
import sys
import threading
import time

STATE_DIR = os.environ.get("TEST_APP_STATE_DIR")
LOG_PATH = os.path.join(STATE_DIR, "requests.log") if STATE_DIR else None
LOG_LOCK = threading.Lock()
# A body that does not arrive within this time is recorded as PARTIAL and the connection closed.
BODY_TIMEOUT = 2.0
# An idle keep-alive connection is closed after this.
IDLE_TIMEOUT = 30.0


def hx(data):
    if isinstance(data, str):
        data = data.encode("latin-1")
    return "x" + data.hex()


def record(tokens):
    if not LOG_PATH:
        return
    with LOG_LOCK, open(LOG_PATH, "a", encoding="ascii") as f:
        f.write(" ".join(tokens) + "\n")


class partial_body(Exception):
    """The connection ended or went quiet before the body did."""


class connection:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, OSError):
            return False
        if not data:
            return False
        self.buf += data
        return True

    def read_until(self, marker, timeout):
        """Bytes up to and including marker, or None if it does not come."""
        while marker not in self.buf:
            if not self.fill(timeout):
                return None
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_exactly(self, n, timeout):
        while len(self.buf) < n:
            if not self.fill(timeout):
                return None
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def loose_name(name):
    return name.strip().lower().replace("_", "-")


def loose_int(value, base=10):
    """int() as far as it goes, else the leading digits, else 0: what a naive server does."""
    try:
        return max(0, int(value.strip(), base))
    except ValueError:
        m = re.match(r"\s*([0-9a-fA-F]+)" if base == 16 else r"\s*(\d+)", value)
        return int(m.group(1), base) if m else 0


def read_chunked(conn, body):
    """Reads a chunked body into body (a bytearray); raises partial_body if it ends early."""
    while True:
        line = conn.read_until(b"\r\n", BODY_TIMEOUT)
        if line is None:
            raise partial_body()
        size = loose_int(line[:-2].split(b";")[0].decode("latin-1"), 16)
        if size == 0:
            break
        data = conn.read_exactly(size + 2, BODY_TIMEOUT)
        if data is None:
            body.extend(conn.buf)
            raise partial_body()
        body.extend(data[:size])
    # Trailer fields up to the empty line.
    while True:
        line = conn.read_until(b"\r\n", BODY_TIMEOUT)
        if line is None:
            raise partial_body()
        if line == b"\r\n":
            return


def answer(conn, method, url, keep):
    body = (str(os.getpid()) if url == "/pid" else "app saw %s %s\n" % (method, url)).encode("latin-1")
    if "slow" in url:
        time.sleep(0.3)
    head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n" % len(body)
    if not keep:
        head += "Connection: close\r\n"
    conn.sock.sendall(head.encode("latin-1") + b"\r\n" + body)


def serve(sock):
    conn = connection(sock)
    try:
        while True:
            # Blank lines before a request are skipped, as RFC 9112 allows.
            while conn.buf.startswith(b"\r\n"):
                conn.buf = conn.buf[2:]
            head = conn.read_until(b"\r\n\r\n", IDLE_TIMEOUT)
            if head is None:
                if conn.buf.strip():
                    record(["ERROR", hx("incomplete header"), hx(conn.buf)])
                return
            lines = head[:-4].decode("latin-1").split("\r\n")
            parts = lines[0].split()
            if len(parts) != 3:
                record(["ERROR", hx("bad request line"), hx(head)])
                conn.sock.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                return
            method, url, version = parts
            fields = []
            for line in lines[1:]:
                name, _, value = line.partition(":")
                fields.append((name, value.strip(" \t")))
            chunked = any(loose_name(n) == "transfer-encoding" and "chunked" in v.lower() for n, v in fields)
            lengths = [v for n, v in fields if loose_name(n) == "content-length"]
            body = bytearray()
            try:
                if chunked:
                    read_chunked(conn, body)
                elif lengths:
                    n = loose_int(lengths[0])
                    data = conn.read_exactly(n, BODY_TIMEOUT)
                    if data is None:
                        body.extend(conn.buf)
                        raise partial_body()
                    body.extend(data)
            except partial_body:
                record(["PARTIAL", hx(method), hx(url), hx(bytes(body))] + ["%s=%s" % (hx(n), hx(v)) for n, v in fields])
                return
            record(["REQ", hx(method), hx(url), hx(bytes(body))] + ["%s=%s" % (hx(n), hx(v)) for n, v in fields])
            close = any(loose_name(n) == "connection" and "close" in v.lower() for n, v in fields)
            keep = version == "HTTP/1.1" and not close
            answer(conn, method, url, keep)
            if not keep:
                return
    except OSError:
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def exit_when_orphaned():
    """If liveproxy dies without stopping us, exit anyway: a test must never leave an app behind."""
    parent = os.getppid()
    while True:
        time.sleep(0.2)
        if os.getppid() != parent:
            os._exit(0)


def main():
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ["PORT"])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    threading.Thread(target=exit_when_orphaned, daemon=True).start()
    print("smuggle_raw_app: listening on 127.0.0.1:%d pid=%d" % (port, os.getpid()), flush=True)
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve, args=(sock,), daemon=True).start()


if __name__ == "__main__":
    main()
