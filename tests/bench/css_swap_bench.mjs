// Benchmark: time from writing a CSS file to its new style being applied in a page behind liveproxy (p50/p95).
// Usage: LIVEPROXY_BINARY=build/liveproxy node tests/bench/css_swap_bench.mjs [edits]   (needs tests/browser's npm install)
import { LiveEnv, connected } from '../browser/harness.mjs';

const EDITS = Math.max(20, Number(process.argv[2]) || 30);

// Runs in the page before the client: stamps when each socket message arrives and when #title's colour changes.
function probe() {
  const seen = window.__seen = { message: [], color: {} };
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    ws.addEventListener('message', () => seen.message.push(Date.now()));
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  let last = '';
  function check() {
    const el = document.getElementById('title');
    const c = el && getComputedStyle(el).color;
    if (c && c !== last && !(c in seen.color)) seen.color[c] = Date.now();
    last = c;
  }
  // The clone's load event is when the new sheet applies; the frame loop catches anything else.
  document.addEventListener('load', check, true);
  (function frame() { check(); requestAnimationFrame(frame); })();
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
function summary(name, values) {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `${name.padEnd(22)} p50 ${percentile(s, 50)} ms  p95 ${percentile(s, 95)} ms  min ${s[0]}  max ${s[s.length - 1]}  mean ${mean.toFixed(1)}`;
}

const env = new LiveEnv();
try {
  await env.start();
  const context = await env.browser.newContext();
  env.contexts.push(context);
  await context.addInitScript(probe);
  const page = await context.newPage();
  await page.goto(env.url + '/');
  await connected(page);
  const total = [], toEvent = [], inPage = [];
  for (let i = 1; i <= EDITS; i++) {
    const color = `rgb(${i}, 100, 50)`;
    const messages = await page.evaluate(() => window.__seen.message.length);
    const t0 = Date.now();
    env.write('static/site.css', `h1 { color: ${color}; }\n`);
    await page.waitForFunction((c) => c in window.__seen.color, color, { timeout: 15000, polling: 'raf' });
    const { applied, event } = await page.evaluate(([c, n]) => ({ applied: window.__seen.color[c], event: window.__seen.message[n] }), [color, messages]);
    total.push(applied - t0);
    if (event) { toEvent.push(event - t0); inPage.push(applied - event); }
    // Start the next edit from a settled page: the old link gone.
    await page.waitForFunction(() => document.querySelectorAll('link[href^="/static/site.css"]').length === 1, null, { timeout: 10000 });
  }
  console.log(`css swap latency over ${EDITS} edits (file write -> style applied in the page):`);
  console.log(summary('write -> applied', total));
  console.log(summary('write -> ws event', toEvent));
  console.log(summary('ws event -> applied', inPage));
} finally {
  await env.stop();
}
