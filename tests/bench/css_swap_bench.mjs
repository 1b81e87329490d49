// Benchmark: time from writing a CSS file to its new style being applied in headless Chromium behind liveproxy
// (p50/p95), and where that time goes: write -> socket message (liveproxy), message -> the sheet's request starts
// (the client script), the fetch through liveproxy to the app, response end -> style applied (Chromium).
// Usage: LIVEPROXY_BINARY=build/liveproxy node tests/bench/css_swap_bench.mjs [--edits N] [--help]
//        (needs tests/browser's npm packages: cd tests/browser && npm ci). Progress on stderr; the app folder,
//        liveproxy and Chromium are removed/stopped at the end, also on Ctrl-C and SIGTERM.
import { LiveEnv, connected } from '../browser/harness.mjs';

const USAGE = 'usage: LIVEPROXY_BINARY=build/liveproxy node tests/bench/css_swap_bench.mjs [--edits N]   (default 30, at least 20)';
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const at = argv.indexOf('--edits');
const EDITS = Math.max(20, Number(at >= 0 ? argv[at + 1] : argv[0]) || 30);
const progress = (what) => process.stderr.write(`[css_swap_bench] ${what}\n`);

// Runs in the page before the client: stamps (ms since the epoch, sub-ms) each socket message and each new colour
// of #title.
function probe() {
  const now = () => performance.timeOrigin + performance.now();
  const seen = window.__seen = { message: [], color: {} };
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    ws.addEventListener('message', () => seen.message.push(now()));
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  let last = '';
  function check() {
    const el = document.getElementById('title');
    const c = el && getComputedStyle(el).color;
    if (c && c !== last && !(c in seen.color)) seen.color[c] = now();
    last = c;
  }
  // The clone's load event is when the new sheet applies; the frame loop catches anything else.
  document.addEventListener('load', check, true);
  (function frame() { check(); requestAnimationFrame(frame); })();
}

// The newest Resource Timing entry of a busted /static/site.css fetch, in ms since the epoch.
function lastSheetFetch() {
  const e = performance.getEntriesByType('resource').filter((r) => /\/static\/site\.css\?liveproxy=/.test(r.name)).pop();
  if (!e) return null;
  const t = (x) => (x ? performance.timeOrigin + x : null);
  return { name: e.name, start: t(e.startTime), request: t(e.requestStart), response: t(e.responseStart), end: t(e.responseEnd) };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
function summary(name, values) {
  if (!values.length) return `${name.padEnd(30)} (no samples)`;
  const s = [...values].sort((a, b) => a - b);
  const f = (v) => v.toFixed(1).padStart(6);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `${name.padEnd(30)} p50 ${f(percentile(s, 50))} ms  p95 ${f(percentile(s, 95))} ms  min ${f(s[0])}  max ${f(s[s.length - 1])}  mean ${f(mean)}`;
}

const env = new LiveEnv();
let stopping = null;
const stop = () => (stopping ||= env.stop());
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { progress(`${sig}: stopping`); stop().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143)); });
}
try {
  progress('starting liveproxy, the app and Chromium');
  await env.start();
  const context = await env.browser.newContext();
  env.contexts.push(context);
  await context.addInitScript(probe);
  const page = await context.newPage();
  await page.goto(env.url + '/');
  await connected(page);
  const phases = { total: [], toMessage: [], toRequest: [], fetch: [], ttfb: [], toApplied: [], inPage: [] };
  for (let i = 1; i <= EDITS; i++) {
    const color = `rgb(${i}, 100, 50)`;
    const messages = await page.evaluate(() => window.__seen.message.length);
    const t0 = performance.timeOrigin + performance.now();
    env.write('static/site.css', `h1 { color: ${color}; }\n`);
    await page.waitForFunction((c) => c in window.__seen.color, color, { timeout: 15000, polling: 'raf' });
    const { applied, message, fetch } = await page.evaluate(([c, n, f]) => ({
      applied: window.__seen.color[c], message: window.__seen.message[n], fetch: eval(f)(),
    }), [color, messages, `(${lastSheetFetch})`]);
    phases.total.push(applied - t0);
    if (message) {
      phases.toMessage.push(message - t0);
      phases.inPage.push(applied - message);
      if (fetch && fetch.start >= message) {
        phases.toRequest.push(fetch.start - message);
        phases.fetch.push(fetch.end - fetch.start);
        if (fetch.request && fetch.response) phases.ttfb.push(fetch.response - fetch.request);
        phases.toApplied.push(applied - fetch.end);
      }
    }
    if (i % 10 === 0 || i === EDITS) progress(`${i}/${EDITS} edits`);
    // Start the next edit from a settled page: the old link gone.
    await page.waitForFunction(() => document.querySelectorAll('link[href^="/static/site.css"]').length === 1, null, { timeout: 10000 });
    // ...and paced like saves: a change within --coalesce (30 ms) of the last one joins its batch, which then goes
    // out 30 ms after it (a tool writing several stylesheets), and would be measured instead of one save.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  console.log(`css swap latency over ${EDITS} edits (file write -> style applied in the page), and its parts:`);
  console.log(summary('write -> applied', phases.total));
  console.log(summary('  write -> ws message', phases.toMessage));
  console.log(summary('  message -> sheet request', phases.toRequest));
  console.log(summary('  sheet fetch (start -> end)', phases.fetch));
  console.log(summary('    of which request -> 1st byte', phases.ttfb));
  console.log(summary('  response end -> applied', phases.toApplied));
  console.log(summary('ws message -> applied', phases.inPage));
} finally {
  await stop();
}
