// Code edits restart the app and morph the tab into its new answer once it is ready; a restarted liveproxy makes
// the tab reconnect and reload.
import assert from 'node:assert/strict';
import { connected, liveSuite, pageWait } from './harness.mjs';

liveSuite('restarts', (env) => {
  env.test('a .py edit restarts the app and morphs the tab into its answer once the app is ready', async () => {
    const page = await env.open('/');
    const oldPid = Number(await page.textContent('#pid'));
    const hello = await page.evaluate(() => ({ ...window.__liveproxy }));
    await page.evaluate(() => { window.marker = 'before-edit'; });
    env.write('app.py', env.read('app.py').replace('VERSION = "v1"', 'VERSION = "v2"'));
    // The morph came after the app was ready: the page holds the new app's answer, not an error page.
    await pageWait(page, 'the new version', () => document.getElementById('version')?.textContent === 'v2');
    assert.equal(await page.evaluate(() => window.marker), 'before-edit', 'the page was reloaded, not morphed');
    await connected(page);
    const newPid = Number(await page.textContent('#pid'));
    assert.notEqual(newPid, oldPid, 'the app was not restarted');
    assert.equal(await env.appPid(), newPid);
    const now = await page.evaluate(() => ({ ...window.__liveproxy }));
    assert.equal(now.instance, hello.instance, 'the proxy itself should not have restarted');
    assert.ok(now.generation > hello.generation, `generation ${hello.generation} -> ${now.generation}`);
  });

  env.test('restarting liveproxy on the same port makes the tab reconnect and reload', async () => {
    const page = await env.open('/');
    const before = await page.evaluate(() => ({ ...window.__liveproxy }));
    await page.evaluate(() => { window.marker = 'before-restart'; });
    const port = env.port;
    await env.stopProxy();
    await pageWait(page, 'the client to notice', () => !window.__liveproxy.connected);
    await env.startProxy(port);
    assert.equal(env.port, port);
    await pageWait(page, 'a reload', () => window.marker === undefined);
    await connected(page);
    // The reload shows the app's page again (held or retried until the new app was up), not an error page.
    await pageWait(page, 'the app page', () => document.getElementById('title')?.textContent.startsWith('Hello'));
    const after = await page.evaluate(() => ({ ...window.__liveproxy }));
    assert.notEqual(after.instance, before.instance, 'the new proxy should announce a new instance id');
    assert.match(after.instance, /^[0-9a-f]+$/);
    assert.ok(page.consoleLines.includes('[liveproxy] server restarted'), page.consoleLines.join('\n'));
  });
});
