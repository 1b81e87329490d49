// The status page at /__liveproxy/ in a real browser: live state over its socket, changes as they happen, the
// restart button, and no CSP violation from its own strict policy.
import assert from 'node:assert/strict';
import { liveSuite, pageWait } from './harness.mjs';

async function openStatus(env) {
  const context = await env.browser.newContext();
  env.contexts.push(context);
  const page = await context.newPage();
  page.consoleLines = [];
  page.on('console', (m) => page.consoleLines.push(m.text()));
  await page.goto(env.url + '/__liveproxy/');
  await pageWait(page, 'the live socket', () => document.getElementById('connection').textContent === 'live');
  return page;
}

liveSuite('status page', (env) => {
  env.test('shows the app, the tabs and each change live, and its button restarts the app', async () => {
    const status = await openStatus(env);
    await pageWait(status, 'the running app', () => document.getElementById('state').textContent === 'running');
    const pid = await env.appPid();
    assert.equal(Number(await status.textContent('#pid')), pid);
    assert.equal(await status.textContent('#run'), '1');
    assert.match(await status.textContent('#command'), /app\.py/);
    assert.match(await status.textContent('#roots'), /\d+ files in \d+ directories/);

    // A tab opens: the page counts it (the status page itself is no tab).
    await env.open('/');
    await pageWait(status, 'one tab', () => document.getElementById('tabs').textContent === '1');

    env.write('static/site.css', 'h1 { color: rgb(0, 128, 0); }\n');
    await pageWait(status, 'the css swap row', () =>
      document.querySelector('#actions tr td:nth-child(3)')?.textContent === 'css swap');
    assert.match(await status.textContent('#actions tr'), /static\/site\.css.*css swap \(1 tab\)/s);

    await status.click('#restart');
    await pageWait(status, 'run 2', () => document.getElementById('run').textContent === '2');
    await pageWait(status, 'the restart outcome', () =>
      /restarted in \d+ ms/.test(document.querySelector('#actions tr td:nth-child(4)')?.textContent ?? ''));
    const newPid = Number(await status.textContent('#pid'));
    assert.notEqual(newPid, pid);
    assert.equal(await env.appPid(), newPid);
    assert.match(await status.textContent('#last-restart'), /restart requested over HTTP/);
    // The page's own policy (script-src 'self', no inline code) holds: nothing was refused.
    assert.ok(!status.consoleLines.some((l) => /Content Security Policy/i.test(l)), status.consoleLines.join('\n'));
  });
});
