// liveproxy --https in a real browser. Chromium trusts liveproxy's own local CA the way a developer's browser would:
// the CA is fetched from /__liveproxy/ca.pem and added to an NSS database in a temporary HOME (certutil), which
// Chromium on Linux reads at start; no certificate error is ignored, so the page loading at all proves the chain
// (CA -> this run's leaf for localhost) verifies. Over https a CSS edit is swapped in place through the wss://
// socket; with --host 0.0.0.0 the status page's "Open on your phone" QR code decodes (zbarimg) to the Network URL.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { BINARY, CHROMIUM, CHROMIUM_ARGS, connected, LiveEnv, liveSuiteOf, pageWait, waitFor } from './harness.mjs';

const START_TIMEOUT = 15000;

const SITE = {
  'index.html': `<!doctype html>
<html><head><meta charset="utf-8"><title>https test</title>
<link rel="stylesheet" href="/style.css">
</head><body><h1 id="title">Hello over TLS</h1></body></html>
`,
  'style.css': 'h1 { color: rgb(255, 0, 0); }\n',
};

/// The path of a tool from Debian's packages, or a clear failure naming the package.
function tool(name, pkg) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${name} is not installed: apt-get install ${pkg}`);
  return r.stdout.trim();
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/// `liveproxy --https --serve DIR` with its CA under a temporary $XDG_DATA_HOME, and Chromium with a temporary HOME
/// whose NSS database trusts that CA.
class HttpsEnv extends LiveEnv {
  constructor(args = []) {
    super(SITE, args);
    this.xdg = {
      XDG_DATA_HOME: path.join(this.top, 'data'), // liveproxy's CA: never the developer's own
      XDG_RUNTIME_DIR: path.join(this.top, 'run'), // its runtime file: no clash with a liveproxy already running
    };
    this.home = path.join(this.top, 'home');
  }

  proxyArgs(port) {
    return ['--https', '--port', String(port), '--serve', this.dir, ...this.args];
  }

  async start() {
    if (!BINARY) throw new Error('set LIVEPROXY_BINARY to the liveproxy executable (ctest does)');
    for (const [rel, content] of Object.entries(this.files)) this.write(rel, content);
    for (const d of Object.values(this.xdg)) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    await this.startProxy(0);

    // The CA as a browser's user downloads it, into a fresh NSS database: a trusted issuer of server certificates.
    const certutil = tool('certutil', 'libnss3-tools');
    const res = await fetch(this.url + '/__liveproxy/ca.pem');
    assert.equal(res.status, 200, 'GET /__liveproxy/ca.pem');
    const pem = await res.text();
    assert.match(pem, /^-----BEGIN CERTIFICATE-----/);
    this.caPem = path.join(this.top, 'ca.pem');
    fs.writeFileSync(this.caPem, pem);
    const nssdb = path.join(this.home, '.pki', 'nssdb');
    fs.mkdirSync(nssdb, { recursive: true });
    run(certutil, ['-d', 'sql:' + nssdb, '-N', '--empty-password']);
    run(certutil, ['-d', 'sql:' + nssdb, '-A', '-t', 'C,,', '-n', 'liveproxy', '-i', this.caPem]);
    assert.match(run(certutil, ['-d', 'sql:' + nssdb, '-L']), /liveproxy\s+C,,/);

    this.browser = await chromium.launch({
      executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, env: { ...process.env, HOME: this.home },
    });
  }

  /// The harness's startProxy, with the temporary XDG dirs in liveproxy's environment and the URL taken from the
  /// first line (with --https another line starts "liveproxy: https https://...").
  async startProxy(port) {
    const child = spawn(BINARY, this.proxyArgs(port), {
      cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.xdg },
    });
    const proxy = { child, exited: false, url: null };
    this.proxy = proxy;
    proxy.exitedPromise = new Promise((resolve) => child.on('exit', (code, signal) => { proxy.exited = true; resolve({ code, signal }); }));
    child.stdout.on('data', (d) => { this.log += d; });
    child.stderr.on('data', (d) => { this.log += d; });
    const first = await waitFor('liveproxy to print its URL', () => {
      if (proxy.exited) throw new Error('liveproxy exited early:\n' + this.log);
      const m = /^liveproxy: http:\/\/[^\s:]+:(\d+)/m.exec(this.log);
      return m && m[1];
    }, START_TIMEOUT);
    this.port = Number(first);
    // Loopback whatever --host is: liveproxy's own endpoints answer local addresses.
    this.url = proxy.url = `http://127.0.0.1:${this.port}`;
    this.httpsUrl = `https://localhost:${this.port}`;
    await waitFor('the site to answer through liveproxy', async () => (await fetch(this.url + '/')).ok, START_TIMEOUT);
    return proxy;
  }

  /// No app process with --serve (stopProxy asks /pid: a 404 here, so it has none to reap).
  async appPid() { return 0; }

  async newPage() {
    const context = await this.browser.newContext(); // no ignoreHTTPSErrors: the certificate must verify
    this.contexts.push(context);
    const page = await context.newPage();
    page.consoleLines = [];
    page.on('console', (m) => page.consoleLines.push(m.text()));
    return page;
  }
}

liveSuiteOf('https: CSS swap over wss', () => new HttpsEnv(), (env) => {
  env.test('an https page trusts the CA, connects over wss:// and swaps an edited stylesheet without navigating', async () => {
    const page = await env.newPage();
    const sockets = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    let navigations = 0;
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });

    const response = await page.goto(env.httpsUrl + '/');
    assert.equal(response.status(), 200);
    const tls = await response.securityDetails();
    assert.ok(tls, 'no TLS details for the page');
    assert.match(tls.issuer, /liveproxy/i, 'the leaf was not issued by liveproxy\'s CA: ' + JSON.stringify(tls));
    assert.equal(tls.subjectName, 'localhost');
    await connected(page);
    assert.equal(await page.evaluate(() => location.protocol), 'https:');
    assert.ok(sockets.length >= 1, 'no WebSocket opened');
    assert.ok(sockets.every((u) => u.startsWith(`wss://localhost:${env.port}/__liveproxy/ws`)), sockets.join('\n'));
    assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('title')).color), 'rgb(255, 0, 0)');

    const before = navigations;
    await page.evaluate(() => { window.marker = 'before-edit'; });
    env.write('style.css', 'h1 { color: rgb(0, 128, 0); }\n');
    await pageWait(page, 'the new colour', () => getComputedStyle(document.getElementById('title')).color === 'rgb(0, 128, 0)');
    assert.equal(await page.evaluate(() => window.marker), 'before-edit', 'the page reloaded');
    assert.equal(navigations, before, 'the main frame navigated');
    assert.equal(await page.evaluate(() => location.protocol), 'https:');
    assert.match(await page.evaluate(() => document.querySelector('link[rel=stylesheet]').getAttribute('href')),
      /^\/style\.css\?liveproxy=\d+$/);
    assert.ok(page.consoleLines.includes('[liveproxy] css: /style.css'), page.consoleLines.join('\n'));
    assert.ok(sockets.every((u) => u.startsWith('wss://')), sockets.join('\n'));
  });
});

liveSuiteOf('https: the status page\'s phone QR code', () => new HttpsEnv(['--host', '0.0.0.0']), (env) => {
  env.test('the QR code decodes to the Network URL, shown as the link, with the CA download', async () => {
    const zbarimg = tool('zbarimg', 'zbar-tools');
    const status = await (await fetch(env.url + '/__liveproxy/status.json')).json();
    assert.ok(status.phone, 'status.json has no phone: ' + JSON.stringify(status));
    const url = status.phone.url;
    assert.match(url, new RegExp(`^https://[^/]+:${env.port}$`));

    const page = await env.newPage();
    await page.goto(env.url + '/__liveproxy/');
    await page.waitForSelector('#phone-section', { state: 'visible' });
    await pageWait(page, 'the QR image to load', () => {
      const img = document.getElementById('phone-qr');
      return img.complete && img.naturalWidth > 0;
    });
    await pageWait(page, 'the phone URL', (u) => document.getElementById('phone-url').textContent === u, url);
    assert.equal(await page.getAttribute('#phone-url', 'href'), url);
    assert.equal(await page.getAttribute('#phone-qr', 'src'), '/__liveproxy/qr.svg');
    assert.ok(await page.isVisible('a[href="/__liveproxy/ca.crt"]'), 'no visible CA download link');
    assert.equal(await page.textContent('#phone-ca-fingerprint'), status.phone.ca_fingerprint);

    const png = path.join(env.top, 'qr.png');
    await page.locator('#phone-qr').screenshot({ path: png });
    const r = spawnSync(zbarimg, ['-q', '--raw', png], { encoding: 'utf8' });
    assert.equal(r.status, 0, `zbarimg found no code in ${png} (${r.status}): ${r.stderr}`);
    assert.equal(r.stdout.trim(), url);
  });
});
