// With --reload-mode full, template edits reload the page (keeping its scroll position) without restarting the app,
// in every open tab. (By default they morph it: morph.test.mjs.)
import assert from 'node:assert/strict';
import { connected, liveSuite, pageWait } from './harness.mjs';

/// Marks the page so a later check can tell whether it was reloaded.
const mark = (page) => page.evaluate(() => { window.marker = 'before-edit'; });
/// Waits until the page has been replaced by a fresh load whose client is connected again.
async function reloaded(page) {
  await pageWait(page, 'a reload', () => window.marker === undefined);
  await connected(page);
}

liveSuite('template reload (--reload-mode full)', (env) => {
  env.test('editing a template reloads the page with the new text, without restarting the app', async () => {
    const page = await env.open('/');
    const pid = await env.appPid();
    assert.equal(await page.textContent('#title'), 'Hello v1');
    await mark(page);
    env.write('templates/index.html', env.read('templates/index.html').replace('Hello v1', 'Hello v2'));
    await reloaded(page);
    await pageWait(page, 'the new text', () => document.getElementById('title').textContent === 'Hello v2');
    assert.equal(await env.appPid(), pid, 'the app was restarted for a template edit');
    assert.equal(Number(await page.textContent('#pid')), pid);
    assert.ok(page.consoleLines.includes('[liveproxy] reload'), page.consoleLines.join('\n'));
  });

  env.test('a reload keeps the scroll position', async () => {
    // long.html sets history.scrollRestoration = 'manual', so only the client can restore it.
    const page = await env.open('/long');
    await page.evaluate(() => scrollTo(0, 4321));
    await pageWait(page, 'the scroll', () => scrollY === 4321);
    await mark(page);
    env.write('templates/long.html', env.read('templates/long.html').replace('Long v1', 'Long v2'));
    await reloaded(page);
    await pageWait(page, 'the new text', () => document.getElementById('title').textContent === 'Long v2');
    await pageWait(page, 'the scroll position to come back', () => scrollY === 4321, undefined, 5000);
  });

  env.test('two tabs both reload', async () => {
    const [a, b] = [await env.open('/'), await env.open('/')];
    await mark(a);
    await mark(b);
    env.write('templates/index.html', env.read('templates/index.html').replace(/Hello v\d/, 'Hello two tabs'));
    for (const page of [a, b]) {
      await reloaded(page);
      await pageWait(page, 'the new text', () => document.getElementById('title').textContent === 'Hello two tabs');
    }
  });
}, undefined, ['--reload-mode', 'full']);
