// The page's console in liveproxy's terminal: console.error, console.warn, an uncaught error and an unhandled
// rejection in a real tab each reach liveproxy's output within a second, with where they were thrown.
import assert from 'node:assert/strict';
import { liveSuite, waitFor } from './harness.mjs';

liveSuite('browser console', (env) => {
  env.test('console.error, console.warn, uncaught errors and rejections appear in the terminal within 1 s', async () => {
    const page = await env.open('/');
    const from = env.log.length;
    const sent = Date.now();
    await page.evaluate(() => {
      console.error('cart total is', { total: NaN });
      console.warn('deprecated: use fetchCart()');
      setTimeout(() => { null.length; }, 0);  // an uncaught TypeError
      Promise.reject(new Error('no cart'));
    });
    const lines = () => env.log.slice(from);
    await waitFor('console.error in the terminal', () => lines().includes('browser | /: cart total is {"total":null}'), 1000);
    const took = Date.now() - sent;
    await waitFor('the rest', () => /browser \| \/: Uncaught TypeError: Cannot read properties of null/.test(lines()) &&
      lines().includes('browser | /: Unhandled rejection: Error: no cart') &&
      lines().includes('browser | /: deprecated: use fetchCart()'), 1000);
    console.log(`console.error reached the terminal in ${took} ms`);
    // Where: the page's own script, not liveproxy's client.
    assert.doesNotMatch(lines(), /client\.js/);
    // Still the page's console too.
    assert.ok(page.consoleLines.some((l) => l.includes('cart total is')));
  });
});
