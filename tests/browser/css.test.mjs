// CSS edits are swapped into the page without navigation and without a frame lacking the stylesheet.
import assert from 'node:assert/strict';
import { liveSuite, pageWait } from './harness.mjs';
import { colorOf, recorded, watchStyle } from './style_watch.mjs';

liveSuite('css swap', (env) => {
  env.test('editing a linked stylesheet restyles the page in place, with no unstyled frame', async () => {
    const page = await env.open('/');
    assert.equal(await colorOf(page, 'title'), 'rgb(255, 0, 0)');
    await watchStyle(page, 'title', '/static/site.css');
    env.write('static/site.css', env.read('static/site.css').replace('rgb(255, 0, 0)', 'rgb(0, 128, 0)'));
    await pageWait(page, 'the new colour', () => getComputedStyle(document.getElementById('title')).color === 'rgb(0, 128, 0)');
    // The old link is removed only after the clone has loaded.
    await pageWait(page, 'the old link to go', () => !document.querySelector('link[href="/static/site.css"]'));
    const w = await recorded(page);
    w.hrefs = await page.evaluate(() => [...document.querySelectorAll('link[rel=stylesheet]')].map((l) => l.getAttribute('href')));
    assert.equal(w.marker, 'before-edit', 'the page navigated');
    assert.ok(w.minLinks >= 1, 'there was a moment without the stylesheet');
    assert.deepEqual(w.colors, ['rgb(255, 0, 0)', 'rgb(0, 128, 0)'], 'a frame showed another colour');
    assert.match(w.hrefs[0], /^\/static\/site\.css\?liveproxy=\d+$/);
    // Only the best-matching link was swapped, and it kept its place in the cascade.
    assert.deepEqual(w.hrefs.slice(1), ['/static/main.css', '/static/myapp/site.css', '/static/other/site.css']);
    assert.ok(page.consoleLines.includes('[liveproxy] css: /static/site.css'), page.consoleLines.join('\n'));
  });

  env.test('a second edit replaces the cache-buster instead of stacking another', async () => {
    const page = await env.open('/');
    for (const color of ['rgb(1, 2, 3)', 'rgb(4, 5, 6)']) {
      env.write('static/site.css', `h1 { color: ${color}; }\n`);
      await pageWait(page, color, (c) => getComputedStyle(document.getElementById('title')).color === c, color);
    }
    await pageWait(page, 'one site.css link', () => document.querySelectorAll('link[href^="/static/site.css"]').length === 1);
    const href = await page.evaluate(() => document.querySelector('link[href^="/static/site.css"]').getAttribute('href'));
    assert.match(href, /^\/static\/site\.css\?liveproxy=\d+$/);
  });

  env.test('a file under an app dir matches its URL by trailing path segments', async () => {
    // On disk myapp/static/myapp/site.css, served as /static/myapp/site.css; /static/other/site.css must stay.
    const page = await env.open('/');
    await watchStyle(page, 'app-styled', '/static/myapp/site.css');
    env.write('myapp/static/myapp/site.css', '#app-styled { color: rgb(0, 99, 0); }\n');
    await pageWait(page, 'the app stylesheet', () => getComputedStyle(document.getElementById('app-styled')).color === 'rgb(0, 99, 0)');
    const hrefs = await page.evaluate(() => [...document.querySelectorAll('link[rel=stylesheet]')].map((l) => l.getAttribute('href')));
    assert.ok(hrefs.includes('/static/other/site.css'), 'the weaker match was swapped too: ' + hrefs);
    assert.equal(hrefs.filter((h) => h.startsWith('/static/site.css?')).length, 0, hrefs.join());
    assert.equal(await page.evaluate(() => window.marker), 'before-edit');
    assert.equal(await colorOf(page, 'other-styled'), 'rgb(20, 20, 20)');
  });

  env.test('editing an @imported stylesheet applies it without navigation', async () => {
    const page = await env.open('/');
    assert.equal(await colorOf(page, 'imported'), 'rgb(0, 0, 255)');
    await watchStyle(page, 'imported', '/static/main.css');
    env.write('static/parts/imported.css', '#imported { color: rgb(0, 77, 0); }\n');
    await pageWait(page, 'the imported colour', () => getComputedStyle(document.getElementById('imported')).color === 'rgb(0, 77, 0)');
    // The old rule and the preload go only after the new sheet is in: the record must cover that step too.
    await pageWait(page, 'the old @import to go', () => {
      const main = [...document.styleSheets].find((s) => s.href && new URL(s.href).pathname === '/static/main.css');
      const imports = [...main.cssRules].filter((r) => r instanceof CSSImportRule);
      return imports.length === 1 && /[?&]liveproxy=\d+/.test(imports[0].href) && !document.querySelector('link[rel=preload]');
    });
    const w = await recorded(page);
    assert.equal(w.marker, 'before-edit');
    assert.deepEqual(w.colors, ['rgb(0, 0, 255)', 'rgb(0, 77, 0)'], 'a frame showed another colour');
  });

  env.test('a stylesheet that matches no link refreshes every stylesheet', async () => {
    const page = await env.open('/');
    await page.evaluate(() => { window.marker = 'before-edit'; });
    env.write('static/unlinked.css', 'p { color: rgb(1, 1, 1); }\n');
    await pageWait(page, 'all links cache-busted', () =>
      [...document.querySelectorAll('link[rel=stylesheet]')].every((l) => /[?&]liveproxy=\d+/.test(l.href)));
    assert.equal(await page.evaluate(() => window.marker), 'before-edit');
  });

  env.test('a stylesheet switched off stays off when swapped, and shows the edit once switched on', async () => {
    // A disabled <link> is never fetched, so its clone would never load: it is replaced at once. A sheet disabled
    // by script loads, and its clone is disabled too.
    const page = await env.open('/');
    await page.evaluate(() => {
      const theme = Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/static/other/site.css?theme', disabled: true });
      document.head.append(theme);
      document.querySelector('link[href="/static/myapp/site.css"]').sheet.disabled = true;
    });
    assert.equal(await colorOf(page, 'app-styled'), 'rgb(0, 0, 0)');

    env.write('myapp/static/myapp/site.css', '#app-styled { color: rgb(0, 55, 0); }\n');
    await pageWait(page, 'the myapp link swapped', () => {
      const links = document.querySelectorAll('link[href^="/static/myapp/site.css"]');
      return links.length === 1 && /\?liveproxy=\d+$/.test(links[0].getAttribute('href'));
    });
    assert.equal(await colorOf(page, 'app-styled'), 'rgb(0, 0, 0)', 'the swap switched the sheet back on');
    await page.evaluate(() => { document.querySelector('link[href^="/static/myapp/site.css"]').sheet.disabled = false; });
    assert.equal(await colorOf(page, 'app-styled'), 'rgb(0, 55, 0)');

    env.write('static/other/site.css', '#other-styled { color: rgb(0, 66, 0); }\n');
    await pageWait(page, 'the new colour', () => getComputedStyle(document.getElementById('other-styled')).color === 'rgb(0, 66, 0)');
    await pageWait(page, 'both links swapped', () => {
      const hrefs = [...document.querySelectorAll('link[href^="/static/other/site.css"]')].map((l) => l.getAttribute('href'));
      return hrefs.length === 2 && hrefs.every((h) => /liveproxy=\d+$/.test(h));
    });
    const theme = await page.evaluate(() => {
      const l = document.querySelector('link[href^="/static/other/site.css?theme"]');
      return { href: l.getAttribute('href'), disabled: l.disabled };
    });
    assert.match(theme.href, /^\/static\/other\/site\.css\?theme&liveproxy=\d+$/);
    assert.equal(theme.disabled, true);
    // Switched on alone, the swapped theme link brings the edited file.
    await page.evaluate(() => {
      document.querySelector('link[href^="/static/other/site.css?liveproxy"]').remove();
      document.querySelector('link[href^="/static/other/site.css?theme"]').disabled = false;
    });
    await pageWait(page, 'the theme link to apply the edit', () => getComputedStyle(document.getElementById('other-styled')).color === 'rgb(0, 66, 0)');
  });
});
