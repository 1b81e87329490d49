"""An app that serves prepared response bodies as they are, for the proxy's tests of what apps send.

GET /file/NAME answers with the bytes of $FILE_APP_DIR/NAME, Content-Type text/html, and the Content-Encoding
named in $FILE_APP_DIR/NAME.encoding (if that file exists). GET / answers a small HTML page. Listens on
127.0.0.1:$PORT (or argv[1]); threaded, so a client that does not read one response holds only its thread.
"""

import http.server
import os
import sys

DIR = os.environ.get("FILE_APP_DIR", ".")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/file/"):
            name = os.path.basename(self.path[len("/file/"):])
            with open(os.path.join(DIR, name), "rb") as f:
                body = f.read()
            encoding_file = os.path.join(DIR, name + ".encoding")
            encoding = open(encoding_file).read().strip() if os.path.exists(encoding_file) else ""
        else:
            body = b"<!DOCTYPE html><html><head><title>small</title></head><body>small page</body></html>"
            encoding = ""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


port = int(os.environ.get("PORT") or sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
server.daemon_threads = True
print("listening", flush=True)
server.serve_forever()
