// An edited image replaces the old one in <img> and in CSS backgrounds without navigation.
import assert from 'node:assert/strict';
import { CHANGE_TIMEOUT, liveSuite, pageWait } from './harness.mjs';
import { pngSolid } from './png.mjs';

/// The colour at the centre of an element as rendered, read from a screenshot decoded by the page itself.
async function renderedColor(page, selector) {
  const png = (await page.locator(selector).screenshot()).toString('base64');
  return page.evaluate(async (b64) => {
    const bitmap = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    return [...ctx.getImageData(bitmap.width >> 1, bitmap.height >> 1, 1, 1).data.slice(0, 3)];
  }, png);
}

liveSuite('image swap', (env) => {
  env.test('an edited PNG shows in <img> and as a CSS background, without navigation', async () => {
    const page = await env.open('/');
    await pageWait(page, 'the image', () => document.getElementById('img').complete);
    assert.equal(await page.evaluate(() => document.getElementById('img').naturalWidth), 10);
    assert.deepEqual(await renderedColor(page, '#img'), [255, 0, 0]);
    assert.deepEqual(await renderedColor(page, '#bg'), [255, 0, 0]);
    await page.evaluate(() => { window.marker = 'before-edit'; });

    env.write('static/img/dot.png', pngSolid(20, 20, [0, 0, 255]));
    await pageWait(page, 'the new <img>', () => document.getElementById('img').naturalWidth === 20);
    await pageWait(page, 'the busted background', () => /liveproxy=\d+/.test(getComputedStyle(document.getElementById('bg')).backgroundImage));
    await waitForColor(page, '#bg', [0, 0, 255]);
    assert.deepEqual(await renderedColor(page, '#img'), [0, 0, 255]);
    assert.equal(await page.evaluate(() => window.marker), 'before-edit', 'the page navigated');
    assert.ok(page.consoleLines.includes('[liveproxy] image: /static/img/dot.png'), page.consoleLines.join('\n'));
  });

  env.test('a changed image survives later swaps of the stylesheet that names it', async () => {
    // The re-fetched stylesheet says url(img/dot.png) again, which the browser still caches with the old pixels.
    const page = await env.open('/');
    await page.evaluate(() => { window.marker = 'before-edit'; });
    env.write('static/img/dot.png', pngSolid(20, 20, [0, 160, 0]));
    await waitForColor(page, '#bg', [0, 160, 0], CHANGE_TIMEOUT);
    env.write('static/site.css', env.read('static/site.css').replace(/h1 \{[^}]*\}/, 'h1 { color: rgb(7, 7, 7); }'));
    await pageWait(page, 'the new stylesheet', () => getComputedStyle(document.getElementById('title')).color === 'rgb(7, 7, 7)');
    await pageWait(page, 'the old link to go', () => !document.querySelector('link[href="/static/site.css"]'));
    assert.deepEqual(await renderedColor(page, '#bg'), [0, 160, 0], 'the stylesheet swap brought the old image back');

    // Both in one go, as a save-all does: whichever order the events come in, the new image wins.
    env.write('static/site.css', env.read('static/site.css').replace('rgb(7, 7, 7)', 'rgb(8, 8, 8)'));
    env.write('static/img/dot.png', pngSolid(20, 20, [200, 200, 0]));
    await pageWait(page, 'the new stylesheet', () => getComputedStyle(document.getElementById('title')).color === 'rgb(8, 8, 8)');
    await waitForColor(page, '#bg', [200, 200, 0], CHANGE_TIMEOUT);
    await pageWait(page, 'the old link to go', () => document.querySelectorAll('link[href^="/static/site.css"]').length === 1);
    assert.deepEqual(await renderedColor(page, '#bg'), [200, 200, 0]);
    assert.equal(await page.evaluate(() => window.marker), 'before-edit', 'the page navigated');
  });
});

async function waitForColor(page, selector, want, timeout = 5000) {
  const deadline = Date.now() + timeout;
  let got;
  while (Date.now() < deadline) {
    got = await renderedColor(page, selector);
    if (got.join() === want.join()) return;
  }
  assert.deepEqual(got, want, `${selector} never showed the new image`);
}
