// An app that compresses its HTML even when asked for identity: liveproxy decodes it, injects our client, and
// Chromium renders the page whole, connects, and reloads on a template edit.
import assert from 'node:assert/strict';
import { connected, liveSuite, pageWait } from './harness.mjs';

const APP_PY = `# Compressing test app: /gzip and /deflate with a length, /gzip-chunked streamed in flushed pieces.
import gzip, http.server, os, sys, zlib

ROOT = os.path.dirname(os.path.abspath(__file__))
ROWS = 4000  # a page far larger than one relay buffer, before and after compression


def render(name):
    with open(os.path.join(ROOT, "templates", name + ".html"), encoding="utf-8") as f:
        html = f.read()
    rows = "".join('<p class="row">row %d: h\\u00e9llo \\u2713</p>\\n' % i for i in range(ROWS))
    return html.replace("{{rows}}", rows).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = self.path.split("?")[0]
        # Accept-Encoding is ignored on purpose: liveproxy asks for identity and must cope anyway.
        if path == "/pid":
            return self.send(200, "text/plain", str(os.getpid()).encode())
        if path == "/gzip":
            return self.send(200, "text/html; charset=utf-8", gzip.compress(render("gzip")), {"Content-Encoding": "gzip"})
        if path == "/deflate":
            return self.send(200, "text/html; charset=utf-8", zlib.compress(render("deflate")), {"Content-Encoding": "deflate"})
        if path == "/gzip-chunked":
            body = render("chunked")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            z = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip stream
            step = 7000
            for i in range(0, len(body), step):
                self.chunk(z.compress(body[i:i + step]) + z.flush(zlib.Z_SYNC_FLUSH))
            self.chunk(z.flush())
            self.wfile.write(b"0\\r\\n\\r\\n")
            return
        self.send(404, "text/plain", b"not found")

    def chunk(self, data):
        if data:
            self.wfile.write(b"%x\\r\\n%s\\r\\n" % (len(data), data))
            self.wfile.flush()

    def send(self, status, ctype, body, extra={}):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
`;

const page = (title) => `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title></head><body>
<h1 id="title">${title} v1</h1>
{{rows}}<p id="end">end \u00e9 \u2713</p>
</body></html>
`;

const FILES = {
  'app.py': APP_PY,
  'templates/gzip.html': page('Gzip'),
  'templates/deflate.html': page('Deflate'),
  'templates/chunked.html': page('Chunked'),
};

/// What the page shows: its title, how many rows, the last element, and how many copies of our client it has.
const shape = (p) => p.evaluate(() => ({
  title: document.getElementById('title').textContent,
  rows: document.querySelectorAll('p.row').length,
  lastRow: [...document.querySelectorAll('p.row')].at(-1)?.textContent,
  end: document.getElementById('end')?.textContent,
  clients: document.querySelectorAll('script[src*="/__liveproxy/client.js"]').length,
}));

liveSuite('compressed app responses', (env) => {
  for (const [route, template, title] of [['/gzip', 'gzip', 'Gzip'], ['/deflate', 'deflate', 'Deflate'],
    ['/gzip-chunked', 'chunked', 'Chunked']]) {
    env.test(`${route}: the decoded page renders whole, our client connects, a template edit reloads it`, async () => {
      const p = await env.open(route);
      assert.deepEqual(await shape(p), { title: `${title} v1`, rows: 4000, lastRow: 'row 3999: h\u00e9llo \u2713',
        end: 'end \u00e9 \u2713', clients: 1 });
      await p.evaluate(() => { window.marker = 'before-edit'; });
      env.write(`templates/${template}.html`, env.read(`templates/${template}.html`).replace(`${title} v1`, `${title} v2`));
      // Loaded to the end: the streamed (chunked) page is still arriving when its title and client are there.
      await pageWait(p, 'the reloaded page', (t) => document.getElementById('title').textContent === t && !window.marker &&
        document.readyState === 'complete', `${title} v2`);
      await connected(p);
      assert.deepEqual(await shape(p), { title: `${title} v2`, rows: 4000, lastRow: 'row 3999: h\u00e9llo \u2713',
        end: 'end \u00e9 \u2713', clients: 1 });
    });
  }
  // A real reload: this suite is about what the browser renders of a decoded, injected response (morph.test.mjs
  // has the morphing).
}, FILES, ['--reload-mode', 'full']);
