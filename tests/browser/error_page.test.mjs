// The error page of a crash, as a developer meets it: a fresh Django project (startproject, bare `liveproxy`)
// with a SyntaxError in settings.py. At 1280x720 the error and where it is show without scrolling, the failing
// line's source is on the page, the place is a link, and liveproxy's own files never appear. A screenshot is
// written for a person to look at (LIVEPROXY_SCREENSHOT_DIR, else the temp directory).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { BINARY, CHROMIUM, CHROMIUM_ARGS, PYTHON, waitFor } from './harness.mjs';

describe('error page', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveproxy-errorpage-'));
  let proxy, browser, log = '', url;

  before(async () => {
    const made = spawnSync(PYTHON, ['-m', 'django', 'startproject', 'mysite', '.'], { cwd: dir });
    assert.equal(made.status, 0, String(made.stderr));
    proxy = spawn(BINARY, ['--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    proxy.stdout.on('data', (d) => { log += d; });
    proxy.stderr.on('data', (d) => { log += d; });
    url = await waitFor('the URL', () => /liveproxy: (http:\/\/[^\s]+)/.exec(log)?.[1], 30000);
    await waitFor('the app', async () => (await fetch(url + '/nope')).status === 404, 30000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  }, { timeout: 60000 });

  after(async () => {
    if (browser) await browser.close();
    if (proxy) {
      proxy.kill('SIGTERM');
      await new Promise((r) => proxy.exitCode !== null ? r() : proxy.on('exit', r));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('leads with the error and the user\'s own line, with its source, at 1280x720', { timeout: 90000 }, async () => {
    const settings = path.join(dir, 'mysite', 'settings.py');
    const lines = fs.readFileSync(settings, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('DEBUG ='));
    lines[at] = 'DEBUG = (True';  // '(' was never closed
    fs.writeFileSync(settings, lines.join('\n'));
    const lineNo = at + 1;
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    await waitFor('the error page', async () => {
      await page.goto(url + '/');
      return /SyntaxError/.test(await page.textContent('h1'));
    }, 30000, 200);
    const shot = path.join(process.env.LIVEPROXY_SCREENSHOT_DIR || os.tmpdir(), 'liveproxy-error-page.png');
    await page.screenshot({ path: shot });
    console.log('screenshot: ' + shot);

    const h1 = await page.textContent('h1');
    assert.match(h1, /SyntaxError: '\(' was never closed/);
    const where = page.locator('p.where a.open');
    assert.match(await where.textContent(), new RegExp(`mysite/settings\\.py:${lineNo}\\b`));
    // Visible without scrolling.
    for (const el of [page.locator('h1'), where]) {
      const box = await el.boundingBox();
      assert.ok(box && box.y + box.height <= 720, `${await el.textContent()} is below the fold (${JSON.stringify(box)})`);
    }
    // The failing line's source, marked.
    assert.match(await page.textContent('pre.source mark'), /DEBUG = \(True/);
    // liveproxy's own files (the preloader) never appear.
    const html = await page.content();
    assert.doesNotMatch(html, /liveproxy[-_]preload/);
    // The link copies the place when no editor is configured (no $EDITOR here).
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await where.click();
    await waitFor('the copy', async () => /settings\.py/.test(await page.textContent('#open-result')), 5000);

    // Fixed: the page reloads by itself into the app.
    lines[at] = 'DEBUG = True';
    fs.writeFileSync(settings, lines.join('\n'));
    await waitFor('the app again', async () => !/SyntaxError/.test((await page.textContent('h1').catch(() => '')) || 'x'), 30000, 200);
  });
});
