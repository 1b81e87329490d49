// Shared set-up for the browser tests: a tiny Python app on disk, the real liveproxy in front of it, headless Chromium.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { pngSolid } from './png.mjs';

// Absolute: liveproxy is started inside the app's folder, where a path relative to the caller would not resolve.
export const BINARY = process.env.LIVEPROXY_BINARY && path.resolve(process.env.LIVEPROXY_BINARY);
export const SOURCE_DIR = process.env.LIVEPROXY_SOURCE_DIR;
export const PYTHON = '/usr/bin/python3'; // the python3 on PATH may be another interpreter
export const CHROMIUM = '/usr/bin/chromium';
// Playwright's launch() already gives every browser a fresh temporary --user-data-dir and rejects one in args.
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'];

/// How long a change may take to reach the page: watcher debounce, an app restart, a reload.
export const CHANGE_TIMEOUT = 15000;
const START_TIMEOUT = 15000;
const STOP_TIMEOUT = 5000;

/// Polls cond() until it returns a truthy value or the deadline passes; the error names what was awaited.
export async function waitFor(what, cond, timeout = CHANGE_TIMEOUT, interval = 25) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try { const v = await cond(); if (v) return v; } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}` + (last ? `: ${last.message}` : ''));
    await new Promise((r) => setTimeout(r, interval));
  }
}

const APP_PY = `# Test app for liveproxy's browser tests: / and /NAME from templates/ (GET and POST), /static/ from disk, /pid; faults on request.
import http.server, json, os, sys, time

ROOT = os.path.dirname(os.path.abspath(__file__))
VERSION = "v1"  # tests edit this line to make liveproxy restart the app
TYPES = {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".js": "text/javascript"}
# Like Django's app static dirs: /static/x is static/x, or else myapp/static/x.
STATIC_DIRS = [os.path.join(ROOT, "static"), os.path.join(ROOT, "myapp", "static")]
# Faults a test sets for a path, read at every request from outside the watched tree (see LiveEnv.fault).
FAULTS = os.path.join(ROOT, os.pardir, "faults.json")
DELAYED = os.path.join(ROOT, os.pardir, "delayed.log")


def fault(path):
    try:
        with open(FAULTS, encoding="utf-8") as f:
            return json.load(f).get(path)
    except (OSError, ValueError):
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/pid":
            return self.send(200, "text/plain", str(os.getpid()).encode())
        if self.page(path):
            return
        f = fault(path)
        if f and f.get("delay"):
            time.sleep(f["delay"])
            with open(DELAYED, "a", encoding="utf-8") as log:
                log.write(path + "\\n")
        if f and f.get("close"):
            return  # no answer at all: the connection closes (HTTP/1.0)
        if f and f.get("status"):
            return self.send(f["status"], f.get("type", "text/plain"), f.get("body", "fault").encode())
        if path.startswith("/static/") and ".." not in path:
            for d in STATIC_DIRS:
                file = os.path.join(d, path[len("/static/"):])
                if os.path.isfile(file):
                    with open(file, "rb") as f:
                        return self.send(200, TYPES.get(os.path.splitext(file)[1], "application/octet-stream"), f.read(),
                                         {"Last-Modified": self.date_time_string(os.path.getmtime(file))})
        self.send(404, "text/plain", b"not found")

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.page(self.path.split("?")[0]):
            self.send(404, "text/plain", b"not found")

    def page(self, path):
        """/ is templates/index.html, /NAME is templates/NAME.html."""
        name = "index" if path == "/" else path[1:]
        file = os.path.join(ROOT, "templates", name + ".html")
        if "/" in name or "." in name or not os.path.isfile(file):
            return False
        with open(file, encoding="utf-8") as f:
            html = f.read().replace("{{pid}}", str(os.getpid())).replace("{{version}}", VERSION)
        self.send(200, "text/html; charset=utf-8", html.encode())
        return True

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

const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>liveproxy test</title>
<link rel="stylesheet" href="/static/site.css">
<link rel="stylesheet" href="/static/main.css">
<link rel="stylesheet" href="/static/myapp/site.css">
<link rel="stylesheet" href="/static/other/site.css">
</head><body>
<h1 id="title">Hello v1</h1>
<p id="version">{{version}}</p><p id="pid">{{pid}}</p>
<p id="imported">imported</p><p id="app-styled">app</p><p id="other-styled">other</p>
<img id="img" src="/static/img/dot.png" alt="dot"><div id="bg"></div>
</body></html>
`;

const LONG_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>long</title>
<script>history.scrollRestoration = 'manual'; // only liveproxy may restore the position</script>
</head><body><h1 id="title">Long v1</h1><div style="height:10000px;background:linear-gradient(#fff,#888)"></div></body></html>
`;

/// The files of the test app, relative to its root (the watch root).
export const APP_FILES = {
  'app.py': APP_PY,
  'templates/index.html': INDEX_HTML,
  'templates/long.html': LONG_HTML,
  'static/site.css': 'h1 { color: rgb(255, 0, 0); }\n#bg { width: 40px; height: 40px; background-image: url(img/dot.png); }\n',
  'static/main.css': '@import url("parts/imported.css");\nbody { margin: 8px; }\n',
  'static/parts/imported.css': '#imported { color: rgb(0, 0, 255); }\n',
  'myapp/static/myapp/site.css': '#app-styled { color: rgb(10, 10, 10); }\n',
  'static/other/site.css': '#other-styled { color: rgb(20, 20, 20); }\n',
};

/// One test file's world: app directory, liveproxy process, Chromium, and the pages opened by the current test.
export class LiveEnv {
  /// files: the app's files (relative path -> content); the default test app unless given.
  /// args: more liveproxy options (before the `--`).
  constructor(files = APP_FILES, args = []) {
    this.files = files;
    this.args = args;
    this.top = fs.mkdtempSync(path.join(os.tmpdir(), 'liveproxy-browser-'));
    this.dir = path.join(this.top, 'app');
    this.proxy = null;
    this.browser = null;
    this.contexts = [];
    this.log = '';
    this.faults = {};
  }

  /// Writes a file of the app in place, as most editors do.
  write(rel, content) {
    const file = path.join(this.dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  read(rel) { return fs.readFileSync(path.join(this.dir, rel), 'utf8'); }
  remove(rel) { fs.rmSync(path.join(this.dir, rel)); }

  /// Makes the app answer pathname (any query) with a fault until it is cleared with spec null: {status, type,
  /// body} answers that instead of the file; {delay} (seconds) answers late, then appends the path to delayed();
  /// {close: true} hangs up without an answer. Kept outside the watched tree, so setting one triggers nothing.
  fault(pathname, spec) {
    if (spec) this.faults[pathname] = spec;
    else delete this.faults[pathname];
    const file = path.join(this.top, 'faults.json');
    fs.writeFileSync(file + '.tmp', JSON.stringify(this.faults));
    fs.renameSync(file + '.tmp', file); // the app never reads half a file
  }
  /// The paths the app has answered late so far, in order.
  delayed() {
    try { return fs.readFileSync(path.join(this.top, 'delayed.log'), 'utf8').split('\n').filter(Boolean); } catch { return []; }
  }

  async start() {
    if (!BINARY) throw new Error('set LIVEPROXY_BINARY to the liveproxy executable (ctest does)');
    for (const [rel, content] of Object.entries(this.files)) this.write(rel, content);
    this.write('static/img/dot.png', pngSolid(10, 10, [255, 0, 0]));
    await this.startProxy(0);
    this.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  }

  /// liveproxy's arguments for port: the test app as its command. A subclass may run another project.
  proxyArgs(port) {
    return ['--port', String(port), '--watch', this.dir, ...this.args, '--', PYTHON, path.join(this.dir, 'app.py'), '{port}'];
  }

  /// Starts liveproxy on port (0: any free port) and waits until the app answers through it.
  async startProxy(port) {
    const child = spawn(BINARY, this.proxyArgs(port), { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const proxy = { child, exited: false, url: null };
    this.proxy = proxy;
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => { proxy.exited = true; resolve({ code, signal }); }));
    proxy.exitedPromise = exited;
    child.stdout.on('data', (d) => { this.log += d; });
    child.stderr.on('data', (d) => { this.log += d; });
    await waitFor('liveproxy to print its URL', () => {
      if (proxy.exited) throw new Error('liveproxy exited early:\n' + this.log);
      const m = /liveproxy: (http:\/\/[^\s]+)/.exec(this.log.slice(this.log.lastIndexOf('liveproxy: http')));
      return m && (proxy.url = m[1].replace(/\/$/, ''));
    }, START_TIMEOUT);
    this.url = proxy.url;
    this.port = Number(new URL(proxy.url).port);
    await this.appPid();
    return proxy;
  }

  /// The app's PID, asked through the proxy (so it also proves the app is up).
  async appPid() {
    return Number(await waitFor('the app to answer /pid through liveproxy', async () => {
      const r = await fetch(this.url + '/pid');
      return r.ok && (await r.text()).trim();
    }, START_TIMEOUT));
  }

  /// Stops liveproxy: SIGTERM, then SIGKILL after a deadline. Leaves the app to liveproxy, but reaps a leaked one.
  async stopProxy() {
    const proxy = this.proxy;
    if (!proxy || proxy.exited) return;
    let appPid = 0;
    try { appPid = Number(await (await fetch(this.url + '/pid', { signal: AbortSignal.timeout(1000) })).text()); } catch { /* app down */ }
    proxy.child.kill('SIGTERM');
    const timer = new Promise((r) => setTimeout(r, STOP_TIMEOUT, 'timeout'));
    if (await Promise.race([proxy.exitedPromise, timer]) === 'timeout') {
      console.warn('liveproxy ignored SIGTERM; killing it');
      proxy.child.kill('SIGKILL');
      await proxy.exitedPromise;
    }
    if (appPid && await waitFor('the app to exit', () => !alive(appPid), STOP_TIMEOUT).catch(() => false) === false) {
      console.warn(`liveproxy left its app (pid ${appPid}) running; killing it`);
      try { process.kill(appPid, 'SIGKILL'); } catch { /* gone meanwhile */ }
    }
  }

  /// A new browser context and page at path, once the client has said hello over the socket.
  async open(pathname = '/') {
    const context = await this.browser.newContext();
    this.contexts.push(context);
    const page = await context.newPage();
    page.consoleLines = [];
    page.on('console', (m) => page.consoleLines.push(m.text()));
    await page.goto(this.url + pathname);
    await connected(page);
    return page;
  }

  async closePages() {
    // Bounded: a context whose page hangs in a navigation must fail its test, not hang the suite until ctest's
    // timeout (the browser is closed at the end anyway).
    const closing = Promise.all(this.contexts.splice(0).map((c) => c.close().catch(() => {})));
    await Promise.race([closing, new Promise((r) => setTimeout(r, 5000))]);
  }

  async stop() {
    await this.closePages();
    if (this.browser) await this.browser.close().catch(() => {});
    await this.stopProxy();
    fs.rmSync(this.top, { recursive: true, force: true });
  }

  logTail() { return this.log.split('\n').slice(-40).join('\n'); }
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/// Waits until the page's client has a live socket and has seen the server's hello.
export async function connected(page, timeout = CHANGE_TIMEOUT) {
  await page.waitForFunction(() => window.__liveproxy && window.__liveproxy.connected, null, { timeout });
}

/// Waits until fn (run in the page) returns a truthy value.
/// While the page navigates (a reload), fn can throw (no #title yet) or lose its execution context: that is not
/// an answer, so it is asked again until the timeout.
export async function pageWait(page, what, fn, arg, timeout = CHANGE_TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      return await page.waitForFunction(fn, arg, { timeout: Math.max(1, deadline - Date.now()), polling: 'raf' });
    } catch (e) {
      last = e;
      if (e.name === 'TimeoutError') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  throw new Error(`timed out waiting in the page for ${what} (${last && last.message.split('\n')[0]}); console:\n  ` +
                  (page.consoleLines || []).join('\n  '));
}

/// describe() with a LiveEnv started before and stopped after its tests; failures carry liveproxy's output.
/// files: another app than the default one (it must serve /pid and take its port as its first argument);
/// args: more liveproxy options.
export function liveSuite(name, body, files = APP_FILES, args = []) {
  describe(name, () => liveSuiteBody(new LiveEnv(files, args), body));
}

/// liveSuite() for an environment made by the test file (a LiveEnv subclass that runs another project).
export function liveSuiteOf(name, makeEnv, body) {
  describe(name, () => liveSuiteBody(makeEnv(), body));
}

function liveSuiteBody(env, body) {
  before(() => env.start(), { timeout: 60000 });
  afterEach(() => env.closePages());
  after(() => env.stop(), { timeout: 30000 });
  env.test = (title, fn) => it(title, { timeout: 90000 }, async () => {
    try {
      await fn();
    } catch (e) {
      e.message += '\n--- liveproxy output (last lines) ---\n' + env.logTail();
      throw e;
    }
  });
  body(env);
}
