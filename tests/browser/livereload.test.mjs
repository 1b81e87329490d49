// LiveReload 7 compatibility: the real livereload-js client (npm), on a page served from another local origin,
// connects to liveproxy's /livereload socket, swaps CSS by path and reloads on a template edit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { APP_FILES, liveSuite, pageWait, waitFor } from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LIVERELOAD_JS = path.join(HERE, 'node_modules', 'livereload-js', 'dist', 'livereload.js');

// A page of the usual LiveReload set-up: livereload.js from the static server, told where the LiveReload server is.
const LR_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>livereload</title>
<link rel="stylesheet" href="/static/site.css">
<link rel="stylesheet" href="/static/other/site.css">
<script>document.addEventListener('LiveReloadConnect', () => { window.lrConnected = true; });</script>
</head><body>
<h1 id="title">LR v1</h1><p id="other-styled">other</p>
<script src="{{origin}}/livereload.js?host=127.0.0.1&port={{lrport}}"></script>
</body></html>
`;

// The LiveReload snippet pointed at liveproxy itself: liveproxy's own /livereload.js must connect back to it.
const SNIPPET_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>snippet</title></head><body>
<h1 id="title">Snippet v1</h1>
<script src="http://127.0.0.1:{{lrport}}/livereload.js?snipver=1"></script>
</body></html>
`;

// Another local origin: serves pages from the app's templates/, /static/ from the app, and livereload.js unchanged.
const STATIC_SERVER_PY = `import http.server, os, sys

APP, LIVERELOAD_JS, LR_PORT = sys.argv[1], sys.argv[2], sys.argv[3]
PAGES = {"/": "lr.html", "/snippet": "snippet.html"}
TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        if path in PAGES:
            with open(os.path.join(APP, "templates", PAGES[path]), encoding="utf-8") as f:
                html = f.read().replace("{{origin}}", "http://127.0.0.1:%d" % self.server.server_port).replace("{{lrport}}", LR_PORT)
            return self.send(200, "text/html; charset=utf-8", html.encode())
        file = LIVERELOAD_JS if path == "/livereload.js" else os.path.join(APP, path[1:]) if path.startswith("/static/") and ".." not in path else ""
        if file and os.path.isfile(file):
            with open(file, "rb") as f:
                return self.send(200, TYPES.get(os.path.splitext(file)[1], "application/octet-stream"), f.read())
        self.send(404, "text/plain", b"not found")

    def send(self, status, ctype, body):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("static: http://127.0.0.1:%d" % server.server_port, flush=True)
server.serve_forever()
`;

const FILES = { ...APP_FILES, 'templates/lr.html': LR_HTML, 'templates/snippet.html': SNIPPET_HTML };

/// Sends a WebSocket upgrade for pathname to liveproxy with the given Origin; resolves with the status line.
function upgradeStatus(port, pathname, origin) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    sock.setTimeout(5000, () => { sock.destroy(); reject(new Error('no answer to the upgrade within 5 s')); });
    sock.on('connect', () => sock.write([
      `GET ${pathname} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', `Origin: ${origin}`, '', ''].join('\r\n')));
    sock.on('data', (d) => {
      got += d;
      const eol = got.indexOf('\r\n');
      if (eol >= 0) { sock.destroy(); resolve(got.slice(0, eol)); }
    });
    sock.on('error', reject);
    sock.on('close', () => resolve(got.split('\r\n')[0]));
  });
}

liveSuite('livereload compatibility', (env) => {
  const statik = { child: null, origin: null, out: '' };

  before(async () => {
    assert.ok(fs.existsSync(LIVERELOAD_JS), `${LIVERELOAD_JS} is missing: run npm ci --prefix tests/browser`);
    statik.child = spawn('/usr/bin/python3', ['-c', STATIC_SERVER_PY, env.dir, LIVERELOAD_JS, String(env.port)],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    statik.child.stdout.on('data', (d) => { statik.out += d; });
    statik.child.stderr.on('data', (d) => { statik.out += d; });
    statik.origin = await waitFor('the static server to print its URL', () => /static: (http:\S+)/.exec(statik.out)?.[1]);
  }, { timeout: 60000 });
  after(() => { statik.child?.kill('SIGTERM'); });

  /// A page from the static origin, once livereload-js has finished its handshake with liveproxy.
  async function openStatic(pathname, ready = () => window.lrConnected) {
    const context = await env.browser.newContext();
    env.contexts.push(context);
    const page = await context.newPage();
    page.consoleLines = [];
    page.on('console', (m) => page.consoleLines.push(m.text()));
    await page.goto(statik.origin + pathname);
    await pageWait(page, 'the client to connect to liveproxy', ready);
    return page;
  }

  env.test('livereload-js connects to /livereload and swaps an edited stylesheet matched by path, without navigation', async () => {
    const page = await openStatic('/');
    const color = () => getComputedStyle(document.getElementById('title')).color;
    assert.equal(await page.evaluate(color), 'rgb(255, 0, 0)');
    await page.evaluate(() => { window.marker = 'before-edit'; });
    env.write('static/site.css', env.read('static/site.css').replace('rgb(255, 0, 0)', 'rgb(0, 128, 0)'));
    await pageWait(page, 'the new colour', () => getComputedStyle(document.getElementById('title')).color === 'rgb(0, 128, 0)');
    await pageWait(page, 'the old link to go', () => document.querySelectorAll('link[rel=stylesheet]').length === 2);
    const hrefs = await page.evaluate(() => [...document.querySelectorAll('link[rel=stylesheet]')].map((l) => {
      const u = new URL(l.href);
      return u.origin === location.origin ? u.pathname + u.search : l.href;
    }));
    assert.equal(await page.evaluate(() => window.marker), 'before-edit', 'the page navigated');
    // livereload-js picked the best path match (not a reload of every stylesheet).
    assert.match(hrefs.find((h) => h.startsWith('/static/site.css')), /^\/static\/site\.css\?livereload=\d+$/, hrefs.join());
    assert.ok(hrefs.includes('/static/other/site.css'), 'a stylesheet of another path was reloaded too: ' + hrefs.join());
  });

  env.test('livereload-js reloads the page when a template is edited', async () => {
    const page = await openStatic('/');
    await page.evaluate(() => { window.marker = 'before-edit'; });
    env.write('templates/lr.html', env.read('templates/lr.html').replace('LR v1', 'LR v2'));
    await pageWait(page, 'the reloaded page', () => document.getElementById('title').textContent === 'LR v2' && !window.marker);
    await pageWait(page, 'livereload-js to reconnect', () => window.lrConnected);
  });

  env.test("liveproxy serves its own /livereload.js as JavaScript", async () => {
    const r = await fetch(env.url + '/livereload.js?snipver=1');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^(text|application)\/javascript\b/);
    assert.ok((await r.text()).length > 100);
  });

  // liveproxy's /livereload.js is its own client: it must find /__liveproxy/ws from that other script URL.
  env.test('the LiveReload snippet pointed at liveproxy (its own /livereload.js) connects and reloads the page', async () => {
    const page = await openStatic('/snippet', () => window.__liveproxy && window.__liveproxy.connected);
    await page.evaluate(() => { window.marker = 'before-edit'; });
    env.write('templates/snippet.html', env.read('templates/snippet.html').replace('Snippet v1', 'Snippet v2'));
    await pageWait(page, 'the reloaded page', () => document.getElementById('title').textContent === 'Snippet v2' && !window.marker);
  });

  env.test('a WebSocket from a foreign or null Origin is refused with 403; a loopback Origin is accepted', async () => {
    assert.match(await upgradeStatus(env.port, '/livereload', 'http://evil.example'), /^HTTP\/1\.1 403\b/);
    assert.match(await upgradeStatus(env.port, '/livereload', 'http://evil.example:' + env.port), /^HTTP\/1\.1 403\b/);
    assert.match(await upgradeStatus(env.port, '/livereload', 'null'), /^HTTP\/1\.1 403\b/);
    assert.match(await upgradeStatus(env.port, '/__liveproxy/ws', 'http://evil.example'), /^HTTP\/1\.1 403\b/);
    assert.match(await upgradeStatus(env.port, '/livereload', statik.origin), /^HTTP\/1\.1 101\b/);
  });
}, FILES);
