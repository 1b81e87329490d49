"""An app that breaks HTTP/1.1 the way naive servers do, for the proxy's robustness tests.

A raw-socket, threaded, keep-alive server on 127.0.0.1 ($PORT or argv[1]). It reads request headers only
(requests with bodies are not used). Routes:
  GET  /extra         "ok" with Content-Length: 2, then 300 ms later a second, unasked response on the
                      same connection (body "STRAY")
  HEAD /head-body     the header of an 11-byte body, then the body anyway ("HEAD-BODY!!")
  GET  /overlong      Content-Length: 2 "ok", followed at once by a whole unasked response ("STRAY")
  GET  /bad-status    a status line that is not HTTP ("HTTP/1.1 OK-ish\r\n")
  GET  /hang          never answers (the connection stays open)
  ANY  /half-header?n=K  the first K requests for this exact target get a status line and one header field, then
                      the connection closes (as a process stopped mid-answer); later ones get the normal answer.
                      Each cut is recorded as "cut.<n>"
  GET  /header?h=NAME&v=VALUE  302 with the field NAME: VALUE, "{port}" in VALUE replaced by the app's port
  anything else       200, text/plain, the request's path as the body
On start it prints "APP-SECRET=<token>" (a stand-in for credentials an app logs) and "listening".
When TEST_APP_STATE_DIR is set, each unasked write is recorded as a file there ("stray.<n>") once sent,
so a test can wait for it instead of sleeping; "hanging.<n>" when a /hang request arrived.
"""

import os
import socket
import urllib.parse
import sys
import threading
import time

STATE_DIR = os.environ.get("TEST_APP_STATE_DIR")
counter = 0
counter_lock = threading.Lock()
seen = {}  # target -> requests for it so far (/half-header)


def mark(kind):
    global counter
    if not STATE_DIR:
        return
    with counter_lock:
        counter += 1
        n = counter
    tmp = os.path.join(STATE_DIR, ".%s.%d.tmp" % (kind, n))
    with open(tmp, "w") as f:
        f.write("sent")
    os.replace(tmp, os.path.join(STATE_DIR, "%s.%d" % (kind, n)))


def response(body, extra=""):
    data = body.encode()
    return ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n" % (len(data), extra)).encode() + data


def serve(conn, port):
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, buf = buf.split(b"\r\n\r\n", 1)
            method, path = head.split(b"\r\n", 1)[0].decode("latin1").split(" ")[:2]
            if path == "/extra":
                conn.sendall(response("ok"))
                time.sleep(0.3)
                conn.sendall(response("STRAY"))
                mark("stray")
            elif path == "/head-body" and method == "HEAD":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n")
                conn.sendall(b"HEAD-BODY!!")
                mark("stray")
            elif path == "/overlong":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + response("STRAY"))
                mark("stray")
            elif path == "/bad-status":
                conn.sendall(b"HTTP/1.1 OK-ish\r\nContent-Length: 0\r\n\r\n")
            elif path.startswith("/header?"):
                query = urllib.parse.parse_qs(path.split("?", 1)[1])
                value = query["v"][0].replace("{port}", str(port))
                conn.sendall(("HTTP/1.1 302 Found\r\n%s: %s\r\nContent-Length: 0\r\n\r\n" % (query["h"][0], value)).encode())
            elif path.startswith("/half-header?"):
                limit = int(urllib.parse.parse_qs(path.split("?", 1)[1])["n"][0])
                with counter_lock:
                    seen[path] = seen.get(path, 0) + 1
                    cut = seen[path] <= limit
                if cut:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
                    mark("cut")
                    return
                conn.sendall(response(path))
            elif path == "/hang":
                mark("hanging")
                while conn.recv(65536):
                    pass
                return
            else:
                conn.sendall(response(path))
    except OSError:
        pass
    finally:
        conn.close()


def main():
    port = int(os.environ.get("PORT") or sys.argv[1])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    print("APP-SECRET=Secret-Token-9931", flush=True)
    print("listening", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, port), daemon=True).start()


if __name__ == "__main__":
    main()
