// The client is served as built from assets/, injected once, and never starts twice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_DIR, liveSuite, pageWait } from './harness.mjs';

liveSuite('client basics', (env) => {
  env.test('/__liveproxy/client.js is assets/client.js', async () => {
    const r = await fetch(env.url + '/__liveproxy/client.js');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /javascript/);
    if (SOURCE_DIR) {
      // Our client, with idiomorph (bundled from npm at build time) in its scope, not the page's.
      const served = await r.text();
      assert.ok(served.includes(fs.readFileSync(path.join(SOURCE_DIR, 'assets/client.js'), 'utf8')), 'stale build: rebuild liveproxy');
      assert.match(served, /^\(\(\) => \{\nvar Idiomorph=function\(\)\{/);
    }
  });

  env.test('the page gets the script once and one socket, even when the client is loaded twice', async () => {
    const context = await env.browser.newContext();
    env.contexts.push(context);
    const page = await context.newPage();
    const sockets = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(env.url + '/');
    await pageWait(page, 'the hello', () => window.__liveproxy && window.__liveproxy.connected);
    assert.equal(await page.locator('script[src="/__liveproxy/client.js"]').count(), 1);
    assert.equal(sockets.length, 1, sockets.join());
    // The socket carries the token of the page's tag.
    const token = await page.evaluate(() => document.querySelector('script[data-token]').dataset.token);
    assert.match(token, /^[0-9a-f]{32}$/);
    assert.equal(sockets[0], env.url.replace('http:', 'ws:') + '/__liveproxy/ws?token=' + token);
    // A second copy would open its socket while it runs, before addScriptTag resolves: count constructions.
    await page.evaluate(() => {
      window.__sockets = 0;
      window.WebSocket = new Proxy(WebSocket, { construct(target, args) { window.__sockets++; return new target(...args); } });
    });
    await page.addScriptTag({ url: '/__liveproxy/client.js' });
    assert.equal(await page.evaluate(() => window.__sockets), 0, 'the second copy opened a socket');
    const state = await page.evaluate(() => window.__liveproxy);
    assert.match(state.instance, /^[0-9a-f]+$/);
    assert.equal(typeof state.generation, 'number');
  });
});
