// Pages under a Content-Security-Policy still get our client: it runs, connects, reloads and swaps CSS, and the
// proxy widens the policy only as far as our script and socket need (no violations that name /__liveproxy/).
import assert from 'node:assert/strict';
import { connected, liveSuite, pageWait, waitFor } from './harness.mjs';

const APP_PY = `# CSP test app: each route sends one kind of policy with its own template.
import base64, hashlib, http.server, os, sys

ROOT = os.path.dirname(os.path.abspath(__file__))
# The inline script of the hash-only page, and the hash that allows exactly it.
INLINE = "document.getElementById('app').textContent = 'app ran';"
INLINE_HASH = base64.b64encode(hashlib.sha256(INLINE.encode()).digest()).decode()
ROUTES = {
    "/self": ("self.html", "Content-Security-Policy", "default-src 'self'"),
    "/nonce": ("nonce.html", "Content-Security-Policy", "script-src 'nonce-abc' 'strict-dynamic'; connect-src 'none'"),
    "/report-only": ("report.html", "Content-Security-Policy-Report-Only", "default-src 'none'"),
    "/hash": ("hash.html", "Content-Security-Policy", "script-src 'sha256-" + INLINE_HASH + "'"),
}
TYPES = {".css": "text/css", ".js": "text/javascript"}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/pid":
            return self.send(200, "text/plain", str(os.getpid()).encode())
        if path in ROUTES:
            name, field, policy = ROUTES[path]
            with open(os.path.join(ROOT, "templates", name), encoding="utf-8") as f:
                html = f.read().replace("{{inline}}", INLINE)
            return self.send(200, "text/html; charset=utf-8", html.encode(), {field: policy})
        if path.startswith("/static/") and ".." not in path:
            file = os.path.join(ROOT, path[1:])
            if os.path.isfile(file):
                with open(file, "rb") as f:
                    return self.send(200, TYPES.get(os.path.splitext(file)[1], "application/octet-stream"), f.read())
        self.send(404, "text/plain", b"not found")

    def send(self, status, ctype, body, extra={}):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
`;

const page = (title, head, body) => `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
${head}
</head><body>
<h1 id="title">${title} v1</h1>
<p id="app">app did not run</p>
${body}
</body></html>
`;

const FILES = {
  'app.py': APP_PY,
  'templates/self.html': page('Self', '<link rel="stylesheet" href="/static/site.css">', '<script src="/static/app.js"></script>'),
  'templates/nonce.html': page('Nonce', '', `<script nonce="abc">document.getElementById('app').textContent = 'app ran';</script>`),
  'templates/report.html': page('Report', '<link rel="stylesheet" href="/static/site.css">',
    `<script>document.getElementById('app').textContent = 'app ran';</script>`),
  'templates/hash.html': page('Hash', '', '<script>{{inline}}</script>'),
  'static/site.css': 'h1 { color: rgb(255, 0, 0); }\n',
  'static/app.js': "document.getElementById('app').textContent = 'app ran';\n",
};

/// Opens pathname with every CSP violation (securitypolicyviolation events, across reloads) and console line recorded.
async function openRecorded(env, pathname) {
  const context = await env.browser.newContext();
  env.contexts.push(context);
  const p = await context.newPage();
  p.consoleLines = [];
  p.violations = [];
  p.on('console', (m) => p.consoleLines.push(`${m.type()}: ${m.text()}`));
  p.on('pageerror', (e) => p.consoleLines.push(`pageerror: ${e.message}`));
  await p.exposeFunction('__recordViolation', (v) => { p.violations.push(v); });
  // Init scripts run before any page script and are not subject to the page's CSP.
  await p.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => window.__recordViolation({
      blockedURI: e.blockedURI, directive: e.effectiveDirective, disposition: e.disposition,
      sourceFile: e.sourceFile, sample: e.sample,
    }));
  });
  p.response = await p.goto(env.url + pathname);
  return p;
}

const text = (p, id) => p.evaluate((id) => document.getElementById(id).textContent, id);
const mentionsUs = (s) => /__liveproxy|livereload/.test(s);
const ourViolations = (p) => p.violations.filter((v) => mentionsUs(JSON.stringify(v)));
// A CSP console line names the resource first, then the directive it violates (which may list our allowed URLs).
const ourConsoleLines = (p) => p.consoleLines.filter((l) => /content security policy|refused/i.test(l) && mentionsUs(l.split(/violates|because/)[0]));
const describePage = (p) => `violations: ${JSON.stringify(p.violations)}\nconsole:\n  ${p.consoleLines.join('\n  ')}`;

/// Edits the page's template and waits for the page to come back with the new title, freshly loaded.
async function expectReloadOnEdit(env, p, template, from, to) {
  await p.evaluate(() => { window.marker = 'before-edit'; });
  env.write(template, env.read(template).replace(`${from} v1`, `${to}`));
  await pageWait(p, `the reloaded page (${to})`, (to) => document.getElementById('title').textContent === to && !window.marker, to);
  await connected(p);
}

liveSuite('content security policy', (env) => {
  env.test("default-src 'self': the page works, our client connects, CSS swaps in place and templates reload", async () => {
    const p = await openRecorded(env, '/self');
    assert.equal(p.response.headers()['content-security-policy'], "default-src 'self'", "'self' already allows us: no change");
    await connected(p).catch((e) => { throw new Error(e.message + '\n' + describePage(p)); });
    assert.equal(await text(p, 'app'), 'app ran');
    assert.equal(await p.evaluate(() => getComputedStyle(document.getElementById('title')).color), 'rgb(255, 0, 0)');

    await p.evaluate(() => { window.marker = 'before-edit'; });
    env.write('static/site.css', 'h1 { color: rgb(0, 128, 0); }\n');
    await pageWait(p, 'the swapped stylesheet', () => getComputedStyle(document.getElementById('title')).color === 'rgb(0, 128, 0)');
    assert.equal(await p.evaluate(() => window.marker), 'before-edit', 'a CSS edit navigated');

    await expectReloadOnEdit(env, p, 'templates/self.html', 'Self', 'Self v2');
    assert.equal(await text(p, 'app'), 'app ran');
    assert.deepEqual(p.violations, [], describePage(p));
  });

  env.test("nonce and 'strict-dynamic' with connect-src 'none': our tag gets the page nonce, connect-src exactly our socket", async () => {
    const p = await openRecorded(env, '/nonce');
    const policy = p.response.headers()['content-security-policy'];
    const host = new URL(env.url).host;
    assert.equal(policy, `script-src 'nonce-abc' 'strict-dynamic'; connect-src ws://${host}/__liveproxy/ws wss://${host}/__liveproxy/ws`);
    await connected(p).catch((e) => { throw new Error(e.message + '\n' + describePage(p)); });
    assert.equal(await text(p, 'app'), 'app ran');
    assert.equal(await p.evaluate(() => document.querySelector('script[src*="/__liveproxy/"]').nonce), 'abc');
    await expectReloadOnEdit(env, p, 'templates/nonce.html', 'Nonce', 'Nonce v2');
    assert.equal(await text(p, 'app'), 'app ran');
    assert.deepEqual(p.violations, [], describePage(p));
    // Widened to our socket only: the page still may not fetch from its own origin.
    const fetched = await p.evaluate(() => fetch('/pid').then(() => 'fetched', () => 'blocked'));
    assert.equal(fetched, 'blocked', 'connect-src was widened beyond our socket');
  });

  env.test("Content-Security-Policy-Report-Only default-src 'none': works, reloads, and no report names /__liveproxy/", async () => {
    const p = await openRecorded(env, '/report-only');
    await connected(p).catch((e) => { throw new Error(e.message + '\n' + describePage(p)); });
    assert.equal(await text(p, 'app'), 'app ran');
    assert.ok(await p.evaluate(() => document.styleSheets.length === 1 && document.styleSheets[0].cssRules.length > 0), 'the stylesheet applies');
    await expectReloadOnEdit(env, p, 'templates/report.html', 'Report', 'Report v2');
    // The app's own inline script and stylesheet are reported: proof that reports are seen at all.
    await waitFor('a report about the app\'s inline script', () => p.violations.some((v) => v.disposition === 'report' && v.blockedURI === 'inline'))
      .catch((e) => { throw new Error(e.message + '\n' + describePage(p)); });
    assert.ok(p.consoleLines.some((l) => /report-only/i.test(l)), describePage(p));
    assert.deepEqual(ourViolations(p), [], describePage(p));
    assert.deepEqual(ourConsoleLines(p), [], describePage(p));
  });

  env.test("hash-only script-src: the app's inline script runs and our client (with a nonce of the proxy's) connects", async () => {
    const p = await openRecorded(env, '/hash');
    const policy = p.response.headers()['content-security-policy'];
    const nonce = /'nonce-([^']+)'/.exec(policy);
    assert.ok(nonce && /^script-src 'sha256-[^']+' 'nonce-[^']+'$/.test(policy), policy);
    await connected(p).catch((e) => { throw new Error(e.message + '\n' + describePage(p)); });
    assert.equal(await text(p, 'app'), 'app ran');
    assert.equal(await p.evaluate(() => document.querySelector('script[src*="/__liveproxy/"]').nonce), nonce[1]);
    await expectReloadOnEdit(env, p, 'templates/hash.html', 'Hash', 'Hash v2');
    assert.equal(await text(p, 'app'), 'app ran');
    assert.deepEqual(p.violations, [], describePage(p));
  });
  // A real reload: the page and our client load again under the policy each time (morphing fetches the page,
  // which a policy may forbid: the client then reloads, as here).
}, FILES, ['--reload-mode', 'full']);
