// A CSS or image swap whose new file fails to load keeps the old one on every frame, and applies the edit once the
// file serves again. The failures are real: the test app answers them, through the real liveproxy.
import assert from 'node:assert/strict';
import { liveSuite, pageWait, waitFor } from './harness.mjs';
import { pngSolid } from './png.mjs';
import { colorOf, recorded, watchStyle } from './style_watch.mjs';

const SITE = '/static/site.css';
const IMPORTED = '/static/parts/imported.css';
const ERROR_PAGE = { status: 502, type: 'text/html; charset=utf-8', body: '<!doctype html><title>502</title><h1>app down</h1>' };

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/// Waits until the page has logged n console lines matching re, and returns the nth.
async function consoleLine(page, re, n = 1) {
  const lines = () => page.consoleLines.filter((l) => re.test(l));
  await waitFor(`console line ${n} matching ${re}`, () => lines().length >= n);
  return lines()[n - 1];
}
/// Waits for the nth console line of a failed swap of path (whatever it says, so that the caller's checks of the
/// page come first and name what went wrong), and returns a check of its wording: the first failure announces
/// the retry, the second does not.
async function failure(page, kind, path, n = 1) {
  const line = await consoleLine(page, new RegExp(`^\\[liveproxy\\] ${kind}: ${escape(path)} failed to load`), n);
  return (why) => assert.equal(line, `[liveproxy] ${kind}: ${path} failed to load (${why}) — kept the old ` +
    `${kind === 'css' ? 'stylesheet' : 'image'}${n === 1 ? '; trying again in 1 s' : ''}`);
}

/// The hrefs of the page's stylesheet <link>s, in document order.
const linkHrefs = (page) => page.evaluate(() => [...document.querySelectorAll('link[rel=stylesheet]')].map((l) => l.getAttribute('href')));
const siteLinks = (hrefs) => hrefs.filter((h) => h.startsWith(SITE));

liveSuite('css swap when the new file fails to load', (env) => {
  const setTitle = (color) => env.write('static/site.css', `h1 { color: ${color}; }\n`);
  // A test that failed half-way may have left a fault set or site.css deleted: the next one starts clean.
  const test = (title, fn) => env.test(title, async () => {
    for (const p of Object.keys(env.faults)) env.fault(p, null);
    try { env.read('static/site.css'); } catch { setTitle('rgb(255, 0, 0)'); }
    await fn();
  });

  // The first failure is retried after a second: a fault gone by then costs nothing but that second.
  for (const [what, spec, why] of [
    ['the app answering a 502 error page', ERROR_PAGE, '502'],
    ['the app answering 500 with a text/css body', { status: 500, type: 'text/css', body: 'h1 { color: rgb(9, 9, 9); }' }, '500'],
    ['the app hanging up without an answer, so liveproxy answers 502 itself', { close: true }, '502'],
  ]) {
    test(`${what}: the old stylesheet stays on every frame; the retry applies the edit once the file serves`, async () => {
      const page = await env.open('/');
      const before = await colorOf(page, 'title'), after = 'rgb(0, 128, 0)' === before ? 'rgb(0, 100, 0)' : 'rgb(0, 128, 0)';
      await watchStyle(page, 'title', SITE);
      env.fault(SITE, spec);
      setTitle(after);
      const wording = await failure(page, 'css', SITE);
      env.fault(SITE, null); // before the retry, a second from now
      assert.deepEqual((await recorded(page)).colors, [before], 'a frame showed another colour');
      assert.equal(siteLinks(await linkHrefs(page)).length, 1, 'the failed clone stayed, or the old link went');
      wording(why);
      await pageWait(page, 'the new colour', (c) => getComputedStyle(document.getElementById('title')).color === c, after);
      await pageWait(page, 'one site.css link', () => document.querySelectorAll('link[href^="/static/site.css"]').length === 1);
      const w = await recorded(page);
      assert.equal(w.marker, 'before-edit', 'the page navigated');
      assert.deepEqual(w.colors, [before, after], 'a frame showed another colour');
      assert.ok(w.minLinks >= 1 && w.maxLinks <= 2, `links to site.css ranged ${w.minLinks}..${w.maxLinks}`);
      const hrefs = await linkHrefs(page);
      assert.match(hrefs[0], /^\/static\/site\.css\?liveproxy=\d+$/, 'the swapped link lost its place: ' + hrefs);
      assert.equal(hrefs.length, 4, hrefs.join());
    });
  }

  test('a deleted stylesheet (404) keeps the old one after the retry too; writing it back applies the edit', async () => {
    const page = await env.open('/');
    const before = await colorOf(page, 'title');
    const hrefsBefore = await linkHrefs(page);
    await watchStyle(page, 'title', SITE);
    const content = env.read('static/site.css');
    env.remove('static/site.css');
    const first = await failure(page, 'css', SITE, 1), second = await failure(page, 'css', SITE, 2);
    let w = await recorded(page);
    assert.deepEqual(w.colors, [before], 'a frame showed another colour');
    assert.deepEqual(await linkHrefs(page), hrefsBefore, 'the failed clone was left behind, or the old link went');
    first('404');
    second('404');
    env.write('static/site.css', content.replace(/h1 \{[^}]*\}/, 'h1 { color: rgb(0, 0, 128); }'));
    await pageWait(page, 'the new colour', () => getComputedStyle(document.getElementById('title')).color === 'rgb(0, 0, 128)');
    await pageWait(page, 'one site.css link', () => document.querySelectorAll('link[href^="/static/site.css"]').length === 1);
    w = await recorded(page);
    assert.deepEqual(w.colors, [before, 'rgb(0, 0, 128)'], 'a frame showed another colour');
    assert.ok(w.minLinks >= 1 && w.maxLinks <= 2, `links to site.css ranged ${w.minLinks}..${w.maxLinks}`);
    assert.equal(w.marker, 'before-edit', 'the page navigated');
  });

  for (const full of [false, true]) {
    test(`a 200 text/html fallback page is not taken for the stylesheet${full ? ' (Resource Timing buffer full)' : ''}`, async () => {
      // Chromium fires 'load' for it in a standards-mode page, and applies nothing: swapping it in would unstyle the
      // page. Only its status and type tell, and the client still sees them once a long session filled the buffer.
      const page = await env.open('/');
      if (full) await page.evaluate(() => performance.setResourceTimingBufferSize(0));
      const [ignored, applied] = full ? ['rgb(128, 1, 128)', 'rgb(128, 1, 129)'] : ['rgb(128, 0, 128)', 'rgb(128, 0, 129)'];
      const before = await colorOf(page, 'title');
      await watchStyle(page, 'title', SITE);
      env.fault(SITE, { status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><title>app</title><div id="root"></div>' });
      setTitle(ignored);
      const first = await failure(page, 'css', SITE, 1), second = await failure(page, 'css', SITE, 2);
      assert.deepEqual((await recorded(page)).colors, [before], 'a frame showed another colour');
      assert.equal(siteLinks(await linkHrefs(page)).length, 1, 'the failed clone stayed, or the old link went');
      first('200 text/html, not CSS');
      second('200 text/html, not CSS');
      // Once the app serves the file again, the next edit applies.
      env.fault(SITE, null);
      setTitle(applied);
      await pageWait(page, 'the new colour', (c) => getComputedStyle(document.getElementById('title')).color === c, applied);
      await pageWait(page, 'one site.css link', () => document.querySelectorAll('link[href^="/static/site.css"]').length === 1);
      const w = await recorded(page);
      assert.deepEqual(w.colors, [before, applied], 'a frame showed another colour');
    });
  }

  test('an empty 200 for a stylesheet that has rules (the file read mid-save) keeps the old one; the retry applies', async () => {
    const page = await env.open('/');
    const before = await colorOf(page, 'title');
    await watchStyle(page, 'title', SITE);
    env.fault(SITE, { status: 200, type: 'text/css', body: '' });
    setTitle('rgb(0, 90, 90)');
    const wording = await failure(page, 'css', SITE);
    env.fault(SITE, null); // before the retry, a second from now
    assert.deepEqual((await recorded(page)).colors, [before], 'a frame showed another colour');
    wording('200, empty');
    await pageWait(page, 'the new colour', () => getComputedStyle(document.getElementById('title')).color === 'rgb(0, 90, 90)');
    await pageWait(page, 'one site.css link', () => document.querySelectorAll('link[href^="/static/site.css"]').length === 1);
    assert.deepEqual((await recorded(page)).colors, [before, 'rgb(0, 90, 90)'], 'a frame showed another colour');
  });

  test('a stylesheet emptied on purpose applies once the retry finds it empty still', async () => {
    const page = await env.open('/');
    const before = await colorOf(page, 'title');
    await watchStyle(page, 'title', SITE);
    env.write('static/site.css', '');
    (await failure(page, 'css', SITE))('200, empty');
    await pageWait(page, 'the unstyled title', () => getComputedStyle(document.getElementById('title')).color === 'rgb(0, 0, 0)');
    await pageWait(page, 'one site.css link', () => document.querySelectorAll('link[href^="/static/site.css"]').length === 1);
    const w = await recorded(page);
    assert.deepEqual(w.colors, [before, 'rgb(0, 0, 0)'], 'a frame showed another colour');
    assert.equal(page.consoleLines.filter((l) => l.includes('failed to load')).length, 1, page.consoleLines.join('\n'));
    setTitle('rgb(255, 0, 0)');
    await pageWait(page, 'the colour back', () => getComputedStyle(document.getElementById('title')).color === 'rgb(255, 0, 0)');
  });

  test('a clone still loading after 5 s is left to finish, then swapped in', async () => {
    const page = await env.open('/');
    const before = await colorOf(page, 'title');
    await watchStyle(page, 'title', SITE);
    env.fault(SITE, { delay: 6.5 }); // the clone's request takes 6.5 s; clearing the fault does not hurry it
    setTitle('rgb(0, 64, 64)');
    await consoleLine(page, new RegExp(`^\\[liveproxy\\] css: ${escape(SITE)} still loading after 5 s — the old stylesheet stays until it loads$`));
    env.fault(SITE, null);
    assert.equal(siteLinks(await linkHrefs(page)).length, 2, 'the slow clone was dropped');
    await pageWait(page, 'the new colour', () => getComputedStyle(document.getElementById('title')).color === 'rgb(0, 64, 64)');
    await pageWait(page, 'one site.css link', () => document.querySelectorAll('link[href^="/static/site.css"]').length === 1);
    const w = await recorded(page);
    assert.deepEqual(w.colors, [before, 'rgb(0, 64, 64)'], 'a frame showed another colour');
    assert.ok(w.minLinks >= 1 && w.maxLinks <= 2, `links to site.css ranged ${w.minLinks}..${w.maxLinks}`);
    assert.deepEqual(env.delayed(), [SITE]);
  });

  test('a newer edit abandons a clone still loading: the stale one never applies, however late it answers', async () => {
    const page = await env.open('/');
    const before = await colorOf(page, 'title');
    await watchStyle(page, 'title', SITE);
    const slowDone = env.delayed().length;
    env.fault(SITE, { delay: 6 });
    setTitle('rgb(99, 0, 0)');
    await consoleLine(page, /still loading after 5 s/);
    env.fault(SITE, null);
    const hrefsSlow = siteLinks(await linkHrefs(page));
    setTitle('rgb(0, 0, 99)');
    await pageWait(page, 'the newest colour', () => getComputedStyle(document.getElementById('title')).color === 'rgb(0, 0, 99)');
    await pageWait(page, 'one site.css link', () => document.querySelectorAll('link[href^="/static/site.css"]').length === 1);
    assert.ok(!(await linkHrefs(page)).includes(hrefsSlow[1]), 'the abandoned clone is still in the page');
    // The stale answer comes after all (or its request was cancelled): a few frames later nothing has changed.
    await waitFor('the app to answer the abandoned request', () => env.delayed().length > slowDone);
    const w = await recorded(page, 10);
    assert.deepEqual(w.colors, [before, 'rgb(0, 0, 99)'], 'a frame showed another colour');
    assert.ok(w.minLinks >= 1 && w.maxLinks <= 2, `links to site.css ranged ${w.minLinks}..${w.maxLinks}`);
    assert.equal(siteLinks(await linkHrefs(page)).length, 1);
  });

  test('a newer edit finding the last clone applied but its load event not yet run keeps that clone', async () => {
    // Chromium applies a loaded sheet, and may paint it, before the load event's task runs. Dropping the clone
    // then would bring the old style back for a frame. Holding the event back opens that window for as long as needed.
    const page = await env.open('/');
    const before = await colorOf(page, 'title');
    await watchStyle(page, 'title', SITE);
    await page.evaluate(() => {
      window.holdLoads = true;
      document.addEventListener('load', (e) => { if (window.holdLoads && e.target.localName === 'link') e.stopImmediatePropagation(); }, true);
    });
    setTitle('rgb(0, 33, 0)');
    await pageWait(page, 'the clone to apply', () => getComputedStyle(document.getElementById('title')).color === 'rgb(0, 33, 0)');
    assert.equal(siteLinks(await linkHrefs(page)).length, 2, 'the client saw the load event');
    await page.evaluate(() => { window.holdLoads = false; });
    setTitle('rgb(0, 44, 0)');
    await pageWait(page, 'the newest colour', () => getComputedStyle(document.getElementById('title')).color === 'rgb(0, 44, 0)');
    await pageWait(page, 'one site.css link', () => document.querySelectorAll('link[href^="/static/site.css"]').length === 1);
    const w = await recorded(page);
    assert.deepEqual(w.colors, [before, 'rgb(0, 33, 0)', 'rgb(0, 44, 0)'], 'a frame showed another colour');
    assert.ok(w.minLinks >= 1 && w.maxLinks <= 2, `links to site.css ranged ${w.minLinks}..${w.maxLinks}`);
  });

  test('many edits, failing and not: never an unstyled frame, never a leaked clone', async () => {
    // Written in place and back to back, as an editor saving fast does: a swap still in flight now and then reads the
    // file between truncate and write, and the app serves it empty with a 200 (as the empty-body tests do on purpose).
    const page = await env.open('/');
    const before = await colorOf(page, 'title');
    await watchStyle(page, 'title', SITE);
    const written = [];
    for (let i = 0; i < 10; i++) {
      const color = `rgb(${10 + i}, 20, 30)`;
      written.push(color);
      env.fault(SITE, i % 3 === 2 ? null : i % 3 ? { status: 404, type: 'text/plain' } : ERROR_PAGE);
      setTitle(color);
      await waitFor('the swap to start', async () => siteLinks(await linkHrefs(page)).length === 2 ||
        (await colorOf(page, 'title')) === color || page.consoleLines.some((l) => l.includes('failed to load')));
      page.consoleLines.length = 0;
    }
    env.fault(SITE, null);
    setTitle('rgb(1, 2, 3)');
    await pageWait(page, 'the last colour', () => getComputedStyle(document.getElementById('title')).color === 'rgb(1, 2, 3)');
    await pageWait(page, 'one site.css link', () => document.querySelectorAll('link[href^="/static/site.css"]').length === 1);
    const w = await recorded(page, 5);
    assert.deepEqual(w.colors.filter((c) => c !== before && c !== 'rgb(1, 2, 3)' && !written.includes(c)), [],
      'a frame showed a colour never written: ' + w.colors);
    assert.equal(w.colors[w.colors.length - 1], 'rgb(1, 2, 3)');
    assert.ok(w.minLinks >= 1 && w.maxLinks <= 2, `links to site.css ranged ${w.minLinks}..${w.maxLinks}`);
    assert.equal((await linkHrefs(page)).length, 4);
    assert.equal(await page.evaluate(() => document.querySelectorAll('link[rel=preload]').length), 0);
  });

  test('an @imported stylesheet that fails keeps the old @import rule; the retry applies the edit', async () => {
    const page = await env.open('/');
    const before = await colorOf(page, 'imported');
    await watchStyle(page, 'imported', '/static/main.css');
    const imports = () => page.evaluate(() => {
      const main = [...document.styleSheets].find((s) => s.href && new URL(s.href).pathname === '/static/main.css');
      return [...main.cssRules].filter((r) => r instanceof CSSImportRule).map((r) => r.href);
    });
    const importsBefore = await imports();
    env.fault(IMPORTED, ERROR_PAGE);
    env.write('static/parts/imported.css', '#imported { color: rgb(0, 77, 77); }\n');
    const wording = await failure(page, 'css', IMPORTED);
    env.fault(IMPORTED, null); // before the retry, a second from now
    assert.deepEqual((await recorded(page)).colors, [before], 'a frame showed another colour');
    assert.deepEqual(await imports(), importsBefore, 'the old @import rule went, or a failed one stayed');
    assert.equal(await page.evaluate(() => document.querySelectorAll('link[rel=preload]').length), 0);
    wording('502');
    await pageWait(page, 'the imported colour', () => getComputedStyle(document.getElementById('imported')).color === 'rgb(0, 77, 77)');
    await pageWait(page, 'the old @import to go', () => {
      const main = [...document.styleSheets].find((s) => s.href && new URL(s.href).pathname === '/static/main.css');
      const rules = [...main.cssRules].filter((r) => r instanceof CSSImportRule);
      return rules.length === 1 && /[?&]liveproxy=\d+/.test(rules[0].href) && !document.querySelector('link[rel=preload]');
    });
    const w = await recorded(page);
    assert.deepEqual(w.colors, [before, 'rgb(0, 77, 77)'], 'a frame showed another colour');
    assert.equal(w.marker, 'before-edit', 'the page navigated');
  });

  test('an image whose new version fails to load keeps showing the old one; the retry swaps it', async () => {
    const page = await env.open('/');
    await pageWait(page, 'the image', () => document.getElementById('img').complete);
    const width = await page.evaluate(() => document.getElementById('img').naturalWidth);
    // Every frame's natural width of the <img>: 0 would be a broken or empty image.
    await page.evaluate(() => {
      const w = window.__widths = [];
      (function frame() {
        const img = document.getElementById('img'), n = img.complete ? img.naturalWidth : 0;
        if (w[w.length - 1] !== n) w.push(n);
        requestAnimationFrame(frame);
      })();
    });
    env.fault('/static/img/dot.png', { status: 404, type: 'text/plain', body: 'not found' });
    env.write('static/img/dot.png', pngSolid(width + 7, width + 7, [0, 0, 255]));
    const wording = await failure(page, 'image', '/static/img/dot.png');
    env.fault('/static/img/dot.png', null); // before the retry, a second from now
    assert.equal(await page.evaluate(() => document.getElementById('img').getAttribute('src')), '/static/img/dot.png');
    assert.deepEqual(await page.evaluate(() => window.__widths), [width], 'a frame showed no image');
    wording('404');
    await pageWait(page, 'the new image', (n) => document.getElementById('img').naturalWidth === n, width + 7);
    assert.deepEqual(await page.evaluate(() => window.__widths), [width, width + 7], 'a frame showed no image');
    assert.match(await page.evaluate(() => document.getElementById('img').getAttribute('src')), /^\/static\/img\/dot\.png\?liveproxy=\d+$/);
  });
});
