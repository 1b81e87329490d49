// A page change morphs the open page into its new version (idiomorph): the new text shows, and where the
// developer was stays: scroll position, the focused field and its caret, typed text, a ticked box, a chosen
// option, an open <details>. A change a morph cannot carry (a script, the page opting out) reloads instead.
import assert from 'node:assert/strict';
import { APP_FILES, connected, liveSuite, pageWait } from './harness.mjs';

const FORM = (n, extra = '') => `<!doctype html>
<html><head><meta charset="utf-8"><title>form v${n}</title>
<script>history.scrollRestoration = 'manual'; // only liveproxy may restore the position</script>${extra}
</head><body>
<h1 id="title">Form v${n}</h1>
<div style="height:1400px;background:linear-gradient(#fff,#ccc)"></div>
<form method="post" action="/form">
  <input id="name" name="name" value="">
  <textarea id="notes" name="notes"></textarea>
  <select id="pick" name="pick"><option>a</option><option>b</option></select>
  <input id="agree" name="agree" type="checkbox">
  <p id="hint" class="v${n}">hint v${n}</p>
  <button id="send">send</button>
</form>
<details id="more"><summary>more</summary><p>inside</p></details>
<div style="height:3000px"></div>
<script src="/static/page.js"></script>
</body></html>
`;

const FILES = { ...APP_FILES, 'templates/form.html': FORM(1), 'static/page.js': 'window.pageScript = "v1";\n' };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

liveSuite('morph', (env) => {
  env.test('five template edits: new text each time, scroll, focus, caret, typed values and open details kept', async () => {
    const page = await env.open('/form');
    await page.evaluate(() => { window.marker = 'kept'; scrollTo(0, 1500); });
    await page.click('#notes');
    await page.keyboard.type('some notes');
    await page.selectOption('#pick', 'b');
    await page.check('#agree');
    await page.evaluate(() => { document.getElementById('more').open = true; scrollTo(0, 1500); });
    await page.focus('#name');
    await page.keyboard.type('Ada Lovelace');
    await page.keyboard.press('ArrowLeft');  // the caret inside the text, not at its end
    await page.evaluate(() => scrollTo(0, 1500));
    const times = [];
    for (let n = 2; n <= 6; n++) {
      const wrote = Date.now();
      env.write('templates/form.html', FORM(n));
      await pageWait(page, `Form v${n}`, (t) => document.getElementById('title').textContent === t, `Form v${n}`);
      times.push(Date.now() - wrote);
      const state = await page.evaluate(() => ({
        marker: window.marker, y: scrollY, focused: document.activeElement && document.activeElement.id,
        caret: document.getElementById('name').selectionStart, name: document.getElementById('name').value,
        notes: document.getElementById('notes').value, pick: document.getElementById('pick').value,
        agree: document.getElementById('agree').checked, open: document.getElementById('more').open,
        hint: document.getElementById('hint').className, title: document.title,
      }));
      assert.deepEqual(state, {
        marker: 'kept', y: 1500, focused: 'name', caret: 11, name: 'Ada Lovelace', notes: 'some notes', pick: 'b',
        agree: true, open: true, hint: `v${n}`, title: `form v${n}`,
      });
    }
    console.log(`template edit to text in Chromium, morphed: ${times.join(', ')} ms; median ${median(times)} ms`);
    assert.ok(page.consoleLines.some((l) => /^\[liveproxy\] page morphed in \d+ ms$/.test(l)), page.consoleLines.join('\n'));
  });

  env.test('a changed script, a page that opts out, or a POST answer reloads, at the same scroll position', async () => {
    const page = await env.open('/form');
    await page.evaluate(() => { window.marker = 'kept'; scrollTo(0, 1500); });
    const reloadedTo = async (what, check) => {
      await pageWait(page, what, check);
      assert.equal(await page.evaluate(() => window.marker), undefined, `${what}: morphed, not reloaded`);
      await pageWait(page, 'the scroll position to come back', () => scrollY === 1500, undefined, 5000);
      await page.evaluate(() => { window.marker = 'kept'; });
      await connected(page);  // a change made before the new page's socket is up reaches no tab
    };
    // The page's script changed: a morph would keep the old one running.
    env.write('static/page.js', 'window.pageScript = "v2";\n');
    await reloadedTo('the new script', () => window.pageScript === 'v2');
    // An inline script in the head changed.
    env.write('templates/form.html', FORM(7, '\n<script>window.inline = 7;</script>'));
    await reloadedTo('the new inline script', () => window.inline === 7);
    // The page opted out.
    env.write('templates/form.html', FORM(8, '\n<script>window.inline = 7;</script><meta name="liveproxy" content="reload">'));
    await reloadedTo('the page that opted out', () => document.title === 'form v8');
    env.write('templates/form.html', FORM(9, '\n<script>window.inline = 7;</script><meta name="liveproxy" content="reload">'));
    await reloadedTo('its next version', () => document.title === 'form v9');

    // A form's answer to a POST: fetching its URL again would be a GET of another page.
    env.write('templates/form.html', FORM(10));
    await pageWait(page, 'form v10', () => document.title === 'form v10');
    await page.click('#send');
    await pageWait(page, 'the POST answer', () => document.querySelector('script[data-method="POST"]') !== null);
    await connected(page);  // the answer's own socket, or the change below reaches no tab
    await page.evaluate(() => { window.marker = 'kept'; });
    env.write('templates/form.html', FORM(11));
    // Reloaded (the browser sends the POST again), not morphed: a new document with the new version, and still the
    // POST's answer. (Not the client's console line: a message logged just before a navigation can be lost.)
    await pageWait(page, 'the POST answer reloaded as form v11',
      () => document.title === 'form v11' && window.marker === undefined &&
            document.querySelector('script[data-method="POST"]') !== null);
  });
}, FILES);
