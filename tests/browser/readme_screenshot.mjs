// Makes assets/readme/screenshot.png, the README's picture, from the real pages: the Flask example through
// the real liveproxy after a stylesheet edit, the error page of a real syntax error, and the status page. Run it
// again after changing any of them, so the picture stays true. A generator, not a test: it exits non-zero (and
// writes nothing) when a page does not come up.
//
//   node tests/browser/readme_screenshot.mjs [path/to/liveproxy] [out.png]
// (defaults: build/liveproxy and assets/readme/screenshot.png of this repository; about 5 s)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'flask');
const binary = path.resolve(process.argv[2] || path.join(ROOT, 'build', 'liveproxy'));
const out = path.resolve(process.argv[3] || path.join(ROOT, 'assets', 'readme', 'screenshot.png'));
// The harness reads the binary from the environment when it loads, so it is imported only once that is set.
process.env.LIVEPROXY_BINARY = binary;
const { CHROMIUM, CHROMIUM_ARGS, LiveEnv, PYTHON, connected, pageWait, waitFor } = await import('./harness.mjs');

const SHOT = { width: 1000, height: 700 };
const WIDTH = 1600; // of the composed picture
const OVERALL_TIMEOUT = 120000;
// The same picture on any machine: light scheme, one pixel per CSS pixel, 24-hour clock times.
const LOOK = { deviceScaleFactor: 1, colorScheme: 'light', locale: 'en-GB' };
const ACCENT = { from: '--accent: #2563eb;', to: '--accent: #db2777;', rgb: 'rgb(219, 39, 119)' };
// A typo a person makes: the call's closing parenthesis left out.
const TYPO = { from: 'started=STARTED, pid=os.getpid())\n\n\n@app.route("/about")',
               to: 'started=STARTED, pid=os.getpid()\n\n\n@app.route("/about")' };

/// The Flask example, copied to a temporary folder, with liveproxy in front of it as examples/README.md runs it.
class FlaskExample extends LiveEnv {
  constructor() { super({}); }

  async start() {
    fs.cpSync(EXAMPLE, this.dir, { recursive: true, filter: (src) => !/__pycache__|\.pyc$/.test(src) });
    await this.startProxy(0);
    this.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  }

  proxyArgs(port) {
    // Relative to the app's folder (liveproxy's working directory), so the pages show `python3 app.py`, not a temp path.
    return ['--port', String(port), '--watch', '.', '--', PYTHON, 'app.py'];
  }

  /// The example has no /pid: its footer names the process that answered.
  async appPid(timeout = 15000) {
    return Number(await waitFor('the Flask example to answer / through liveproxy', async () => {
      const r = await fetch(this.url + '/', { signal: AbortSignal.timeout(2000) });
      return r.ok && /Flask process (\d+)/.exec(await r.text())?.[1];
    }, timeout, 100));
  }

  /// The harness's stop finds the app by /pid; this one reaps an app liveproxy left behind by the footer's PID.
  async stopProxy() {
    const pid = this.proxy && !this.proxy.exited ? await this.appPid(1000).catch(() => 0) : 0;
    await super.stopProxy();
    if (pid && await waitFor('the app to exit', () => !alive(pid), 5000).catch(() => false) === false) {
      console.warn(`liveproxy left the app (pid ${pid}) running; killing it`);
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
    }
  }

  /// A page at pathname in its own context of the shots' size, light scheme, with its console kept for errors.
  async page(pathname) {
    const context = await this.browser.newContext({ viewport: SHOT, ...LOOK });
    this.contexts.push(context);
    const page = await context.newPage();
    page.consoleLines = [];
    page.on('console', (m) => page.consoleLines.push(m.text()));
    if (pathname) await page.goto(this.url + pathname, { timeout: 15000 });
    return page;
  }

  /// Replaces from by to in the file rel, failing if the example no longer has from.
  edit(rel, from, to) {
    const text = this.read(rel);
    if (!text.includes(from)) throw new Error(`examples/flask/${rel} no longer contains ${JSON.stringify(from)}: update this script`);
    this.write(rel, text.replace(from, to));
  }
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/// Waits for web fonts, images and two frames, so a shot is not taken mid-paint.
async function settled(page) {
  await page.evaluate(async () => {
    await document.fonts.ready;
    await Promise.all([...document.images].map((i) => i.complete || new Promise((r) => { i.onload = i.onerror = r; })));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
}

async function shoot(env) {
  // 1. The example's page, right after a stylesheet edit reached it: the new accent colour, no reload.
  const app = await env.page('/');
  await connected(app);
  await settled(app);
  const before = await app.screenshot();
  await app.evaluate(() => { window.__notReloaded = true; });
  env.edit('static/style.css', ACCENT.from, ACCENT.to);
  await pageWait(app, 'the new accent colour', (rgb) => getComputedStyle(document.querySelector('h1')).color === rgb, ACCENT.rgb);
  if (!await app.evaluate(() => window.__notReloaded === true)) throw new Error('the page reloaded for a CSS edit');
  await settled(app);
  const live = await app.screenshot();

  // 2. A syntax error in app.py: liveproxy restarts the app, which dies, and the tab shows the error page.
  env.edit('app.py', TYPO.from, TYPO.to);
  await pageWait(app, 'the error page in the open tab', () => /SyntaxError/.test(document.querySelector('h1')?.textContent ?? ''));
  await settled(app);
  const error = await app.screenshot();

  // The fix: the error page goes back to the app by itself.
  env.edit('app.py', TYPO.to, TYPO.from);
  await pageWait(app, 'the app again', () => document.querySelector('h1')?.textContent === 'Hello from Flask');

  // 3. The status page, with the app running again and the three changes listed.
  const status = await env.page('/__liveproxy/');
  await pageWait(status, 'the status socket', () => document.getElementById('connection').textContent === 'live');
  await pageWait(status, 'the running app', () => document.getElementById('state').textContent === 'running');
  await pageWait(status, 'three changes', () => document.querySelectorAll('#actions tr').length >= 3);
  await settled(status);
  const board = await status.screenshot();
  return { before, live, error, board };
}

/// The three shots side by side with their captions, as one PNG WIDTH pixels wide.
async function compose(browser, { before, live, error, board }) {
  const img = (png) => `data:image/png;base64,${png.toString('base64')}`;
  const panel = (png, title, what, overlay = '') =>
    `<figure><figcaption><b>${title}</b> ${what}</figcaption><div class="shot"><img src="${img(png)}">${overlay}</div></figure>`;
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>
    body { margin: 0; background: #e7e9ee; font: 15px/1.35 system-ui, sans-serif; color: #1f2937; }
    main { display: grid; grid-template-columns: repeat(3, 1fr); gap: 18px; padding: 18px; width: ${WIDTH}px; box-sizing: border-box; }
    figure { margin: 0; }
    figcaption { margin: 0 2px 8px; color: #4b5563; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    figcaption b { display: block; color: #111827; font-size: 17px; }
    .shot { position: relative; }
    .shot > img { display: block; width: 100%; border-radius: 8px; box-shadow: 0 2px 10px rgb(15 23 42 / 18%); }
    /* The live-reload panel: its left half is the same page before the edit, cut at a labelled line. */
    .before { position: absolute; inset: 0 50% 0 0; overflow: hidden; border-radius: 8px 0 0 8px; }
    .before img { display: block; width: 200%; }
    .cut { position: absolute; top: 0; bottom: 0; left: calc(50% - 1px); width: 2px; background: rgb(17 24 39 / 55%); }
    .label { position: absolute; top: 8px; padding: 1px 8px; border-radius: 999px; font-size: 12px;
             background: rgb(17 24 39 / 75%); color: white; }
  </style></head><body><main>
    ${panel(live, 'live reload', 'style.css saved: the new colour swapped in, no reload',
            `<div class="before"><img src="${img(before)}"></div><div class="cut"></div>` +
            '<span class="label" style="right: calc(50% + 8px)">before</span><span class="label" style="left: calc(50% + 8px)">after</span>')}
    ${panel(error, 'the app\'s error', 'app.py saved with a typo: the traceback, in the tab')}
    ${panel(board, 'status page', '/__liveproxy/: the app, its tabs, each change')}
  </main></body></html>`;
  const context = await browser.newContext({ viewport: { width: WIDTH, height: 600 }, ...LOOK });
  try {
    const page = await context.newPage();
    await page.setContent(html, { timeout: 15000 });
    await settled(page);
    return await page.locator('main').screenshot();
  } finally {
    await context.close();
  }
}

async function main() {
  if (!fs.existsSync(binary)) throw new Error(`no liveproxy at ${binary} (give its path as the first argument)`);
  const started = Date.now();
  const env = new FlaskExample();
  // Bounded: whatever hangs, liveproxy, the app, the browser and the temporary folder go, and the exit is non-zero.
  const watchdog = setTimeout(async () => {
    console.error(`readme_screenshot: timed out after ${OVERALL_TIMEOUT / 1000} s\n--- liveproxy output (last lines) ---\n${env.logTail()}`);
    await Promise.race([env.stop().catch(() => {}), new Promise((r) => setTimeout(r, 15000))]);
    process.exit(1);
  }, OVERALL_TIMEOUT);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, async () => {
      await Promise.race([env.stop().catch(() => {}), new Promise((r) => setTimeout(r, 15000))]);
      process.exit(1);
    });
  }
  try {
    await env.start();
    const png = await compose(env.browser, await shoot(env));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, png);
    console.log(`${out}: ${png.length} bytes, ${png.readUInt32BE(16)}x${png.readUInt32BE(20)}, ` +
                `in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    e.message += `\n--- liveproxy output (last lines) ---\n${env.logTail()}`;
    throw e;
  } finally {
    await env.stop();
    clearTimeout(watchdog);
  }
}

// Exits at once: the harness's stop deadlines (5 s timers) would otherwise keep the process alive after the work.
main().then(() => process.exit(0), (e) => {
  console.error('readme_screenshot: ' + (e.stack || e));
  process.exit(1);
});
