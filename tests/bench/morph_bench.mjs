// Benchmark: time from writing a template file to its new text in headless Chromium behind liveproxy, with the page
// kept (the default reload mode: the client fetches the page again and morphs the DOM in place with idiomorph), and
// the same under `--reload-mode full` (the page reloads); p50/p95/max of each, the parts, and full/morph of the p50s.
// Usage: LIVEPROXY_BINARY=build/liveproxy node tests/bench/morph_bench.mjs [--edits N] [--help]
//        (needs tests/browser's npm packages: cd tests/browser && npm ci). Progress on stderr; the app folders,
//        liveproxy and Chromium are removed/stopped at the end, also on Ctrl-C and SIGTERM.
import { APP_FILES, LiveEnv, connected, pageWait } from '../browser/harness.mjs';

const USAGE = 'usage: LIVEPROXY_BINARY=build/liveproxy node tests/bench/morph_bench.mjs [--edits N]   (default 30, at least 20)';
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const at = argv.indexOf('--edits');
const EDITS = Math.max(20, Number(at >= 0 ? argv[at + 1] : argv[0]) || 30);
// Edits made before measuring: the first fetch, parse and morph of a fresh Chromium and app are not the steady state.
const WARMUP = 2;
// Quiet time after an edit has shown (and, after a reload, the new page's socket is up): each edit is its own change.
const GAP_MS = 300;
// Where the page sits while editing: the developer was not at the top.
const SCROLL_Y = 400;
const progress = (what) => process.stderr.write(`[morph_bench] ${what}\n`);
const nodeNow = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const heading = (n) => `Orders, revision ${n}`;
// A dev page of about 1400 px: navigation, a heading (the text each edit changes), prose, a form, a table, a script.
const PAGE = (n) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orders</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script>history.scrollRestoration = 'manual'; // only liveproxy may restore the position</script>
<link rel="stylesheet" href="/static/bench.css">
</head><body>
<header><nav><a href="/dev">Dashboard</a> <a href="/dev">Orders</a> <a href="/dev">Customers</a> <a href="/dev">Reports</a></nav></header>
<main>
<h1 id="title">${heading(n)}</h1>
<p class="lead">Orders placed in the last thirty days, newest first. Pick an order to see its lines, its payments and
the messages exchanged with the customer; filters and sorting stay as you leave them.</p>
<p>An order moves from <em>placed</em> to <em>paid</em> when its payment clears, then to <em>shipped</em> once every line
has left the warehouse. Partly shipped orders show the lines still waiting and the date the warehouse expects them.</p>
<p>Refunds are issued from the order page. A refund of the whole order cancels the lines not yet shipped; a partial
refund leaves the order open and records the amount and the reason given, which the customer sees in their account.</p>
<p>Prices include VAT at the rate of the delivery country. Orders to countries outside the customs union are shown
without VAT and carry the customs declaration the carrier needs; its tariff codes come from the product pages.</p>
<section>
<h2>New order</h2>
<form id="order" method="post" action="/dev">
  <p><label>Customer name <input id="name" name="name" autocomplete="off"></label></p>
  <p><label>Email <input id="email" name="email" type="email"></label></p>
  <p><label>Product <select id="product" name="product"><option>Widget</option><option>Gadget</option><option>Gizmo</option></select></label>
     <label>Quantity <input id="qty" name="qty" type="number" min="1" value="1"></label></p>
  <p><label>Delivery notes <textarea id="notes" name="notes" rows="4"></textarea></label></p>
  <p><label><input id="gift" name="gift" type="checkbox"> Gift wrap</label>
     <label><input name="speed" type="radio" value="standard" checked> Standard</label>
     <label><input name="speed" type="radio" value="express"> Express</label></p>
  <p><button id="place">Place order</button> <button type="reset">Clear</button></p>
</form>
</section>
<section>
<h2>Recent orders</h2>
<table>
<thead><tr><th>Order</th><th>Customer</th><th>Status</th><th>Total</th></tr></thead>
<tbody>
<tr><td>#10231</td><td>Ada Lovelace</td><td>shipped</td><td>129.00</td></tr>
<tr><td>#10230</td><td>Alan Turing</td><td>paid</td><td>48.50</td></tr>
<tr><td>#10229</td><td>Grace Hopper</td><td>placed</td><td>310.20</td></tr>
<tr><td>#10228</td><td>Edsger Dijkstra</td><td>shipped</td><td>12.99</td></tr>
<tr><td>#10227</td><td>Barbara Liskov</td><td>refunded</td><td>77.00</td></tr>
<tr><td>#10226</td><td>Donald Knuth</td><td>shipped</td><td>256.00</td></tr>
</tbody>
</table>
</section>
</main>
<footer><p>Shop admin, development build.</p></footer>
<script src="/static/bench.js"></script>
</body></html>
`;
const FILES = {
  ...APP_FILES,
  'templates/dev.html': PAGE(0),
  'static/bench.css': `body { font: 16px/1.6 system-ui, sans-serif; max-width: 44rem; margin: 0 auto; padding: 0 1rem 4rem; }
nav a { margin-right: 1rem; } h1 { font-size: 2rem; margin: 2rem 0 1rem; } p { margin: 0 0 1.2rem; }
.lead { font-size: 1.2rem; } label { display: inline-block; margin-right: 1rem; } input, select, textarea { font: inherit; }
textarea { width: 30rem; } table { width: 100%; border-collapse: collapse; } td, th { padding: .6rem; border-bottom: 1px solid #ddd; }
`,
  'static/bench.js': "document.documentElement.dataset.js = 'on';\n",
};

// Runs in every document of the page before its scripts. Stamps (ms since the epoch, sub-ms, the page's clock) each
// socket message, the first moment each heading text is in the DOM and the frame after it, and counts documents.
// In sessionStorage, so that the stamps of a reloaded page are read from the new document, and the first stamp of a
// text wins if one edit were to reload twice.
function probe() {
  const now = () => performance.timeOrigin + performance.now();
  const K = '__bench:';
  const get = (k) => sessionStorage.getItem(K + k);
  const once = (k, v) => { if (get(k) === null) sessionStorage.setItem(K + k, String(v)); };
  sessionStorage.setItem(K + 'docs', String(Number(get('docs') || 0) + 1));
  performance.setResourceTimingBufferSize(10000);
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    ws.addEventListener('message', () => {
      const t = now();
      sessionStorage.setItem(K + 'messages', JSON.stringify([...JSON.parse(get('messages') || '[]'), t]));
    });
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  // A morph changes the heading's text node; a new document's parser inserts it. Either way a mutation record
  // arrives at the next microtask checkpoint, and the next animation frame is the one that renders it.
  let last = null;
  function check() {
    const el = document.getElementById('title');
    const text = el && el.textContent;
    if (!text || text === last) return;
    last = text;
    once('dom:' + text, now());
    requestAnimationFrame(() => once('frame:' + text, now()));
  }
  new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true });
}

// What the page knows about one edit: its stamps, the socket message after the first `before` ones, and the page
// fetch that brought the text (the client's fetch for a morph, this document's navigation for a reload).
function facts([text, before, morph]) {
  const K = '__bench:';
  const num = (k) => { const v = sessionStorage.getItem(K + k); return v === null ? null : Number(v); };
  const message = JSON.parse(sessionStorage.getItem(K + 'messages') || '[]')[before] ?? null;
  const abs = (x) => (x ? performance.timeOrigin + x : null);
  const entry = morph
    ? performance.getEntriesByType('resource')
      .filter((r) => r.initiatorType === 'fetch' && r.name === location.href && message && abs(r.startTime) >= message).pop()
    : performance.getEntriesByType('navigation')[0];
  // A reloaded page's parser waits for liveproxy's script, which the page's head starts with.
  const client = morph ? null : performance.getEntriesByType('resource').find((r) => r.name.includes('/__liveproxy/client.js'));
  return {
    dom: num('dom:' + text), frame: num('frame:' + text), message, docs: num('docs'),
    fetch: entry ? { start: abs(entry.fetchStart), end: abs(entry.responseEnd) } : null,
    client: client ? { ms: client.responseEnd - client.fetchStart, bytes: client.transferSize } : null,
    marker: window.__benchMarker, y: scrollY, name: document.getElementById('name').value,
  };
}

// The page's clock minus ours, from the quickest of a few round trips (its error is at most half that round trip).
async function clockOffset(page) {
  let best = null;
  for (let k = 0; k < 5; k++) {
    const a = nodeNow();
    const p = await page.evaluate(() => performance.timeOrigin + performance.now());
    const b = nodeNow();
    if (!best || b - a < best.rtt) best = { rtt: b - a, offset: p - (a + b) / 2 };
  }
  return best;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
const p50 = (values) => percentile([...values].sort((a, b) => a - b), 50);
function summary(name, values) {
  if (!values.length) return `${name.padEnd(34)} (no samples)`;
  const s = [...values].sort((a, b) => a - b);
  const f = (v) => v.toFixed(1).padStart(6);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `${name.padEnd(34)} p50 ${f(percentile(s, 50))} ms  p95 ${f(percentile(s, 95))} ms  min ${f(s[0])}  max ${f(s[s.length - 1])}  mean ${f(mean)}`;
}

// One variant: a page at /dev scrolled down with a name typed, then WARMUP + EDITS heading edits, each timed from
// just before the write to the new text in the DOM and to the frame after it.
async function measure(env, morph) {
  const mode = morph ? 'morph' : 'full';
  progress(`${mode}: starting liveproxy${morph ? '' : ' --reload-mode full'}, the app and Chromium`);
  await env.start();
  const context = await env.browser.newContext();
  env.contexts.push(context);
  await context.addInitScript(probe);
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  await page.goto(env.url + '/dev');
  await connected(page);
  await page.fill('#name', 'Ada Lovelace');
  await page.evaluate((y) => { window.__benchMarker = 'kept'; scrollTo(0, y); }, SCROLL_Y);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const r = { height, total: [], dom: [], toMessage: [], toFetch: [], fetch: [], toDom: [], toFrame: [], client: [], clientBytes: 0,
    kept: 0, reloads: [], reasons: [], scrolled: 0, offsets: [] };
  for (let n = 1; n <= WARMUP + EDITS; n++) {
    const measured = n > WARMUP;
    const text = heading(n);
    const before = await page.evaluate(() => ({
      docs: Number(sessionStorage.getItem('__bench:docs')),
      messages: JSON.parse(sessionStorage.getItem('__bench:messages') || '[]').length,
    }));
    const lines = consoleLines.length;
    const t0 = nodeNow();
    env.write('templates/dev.html', PAGE(n));
    await pageWait(page, `the heading "${text}"`, (t) => sessionStorage.getItem('__bench:frame:' + t) !== null, text);
    // A reloaded page takes a change only once its own socket is up.
    await connected(page);
    await sleep(GAP_MS);
    const f = await page.evaluate(facts, [text, before.messages, morph]);
    const clock = await clockOffset(page);
    if (!measured) continue;
    // The page's stamps on our clock.
    const ours = (t) => t - clock.offset;
    r.offsets.push(clock);
    r.total.push(ours(f.frame) - t0);
    r.dom.push(ours(f.dom) - t0);
    r.toFrame.push(f.frame - f.dom);
    const reloads = f.docs - before.docs;
    r.reloads.push(reloads);
    if (morph && reloads === 0 && f.marker === 'kept' && f.name === 'Ada Lovelace') r.kept++;
    if (Math.abs(f.y - SCROLL_Y) <= 1) r.scrolled++;
    for (const line of consoleLines.slice(lines)) if (/^\[liveproxy\] (reload|server restarted)/.test(line)) r.reasons.push(line);
    if (f.message) {
      r.toMessage.push(ours(f.message) - t0);
      // The parts after the message only when they belong to this edit's one way of showing the text.
      if (f.fetch && reloads === (morph ? 0 : 1)) {
        r.toFetch.push(f.fetch.start - f.message);
        r.fetch.push(f.fetch.end - f.fetch.start);
        r.toDom.push(f.dom - f.fetch.end);
        if (f.client) { r.client.push(f.client.ms); r.clientBytes = f.client.bytes; }
      }
    }
    if ((n - WARMUP) % 10 === 0 || n - WARMUP === EDITS) progress(`${mode}: ${n - WARMUP}/${EDITS} edits`);
  }
  return r;
}

function report(title, r, morph) {
  const out = [title];
  const fellBack = r.reloads.filter((k) => k > 0).length;
  if (morph) {
    out.push(`page kept (window marker, typed text, no new document) on ${r.kept}/${r.reloads.length} edits; ` +
      `fell back to a full reload on ${fellBack}` + (fellBack ? ` (counted above): ${[...new Set(r.reasons)].join('; ')}` : ''));
  } else {
    const odd = r.reloads.filter((k) => k !== 1).length;
    out.push(`one page load per edit on ${r.reloads.length - odd}/${r.reloads.length} edits` +
      (odd ? ` (others: ${r.reloads.filter((k) => k !== 1).join(', ')} loads)` : ''));
  }
  out.push(`scroll at ${SCROLL_Y} px ${GAP_MS} ms after the edit on ${r.scrolled}/${r.reloads.length} edits`);
  out.push(summary('write -> frame after the new text', r.total));
  out.push(summary('write -> new text in the DOM', r.dom));
  out.push(summary('  write -> ws message', r.toMessage));
  out.push(summary(morph ? '  message -> page fetch start' : '  message -> reload fetch start', r.toFetch));
  out.push(summary('  page fetch (start -> resp. end)', r.fetch));
  out.push(summary(morph ? '  response end -> morphed' : '  response end -> parsed', r.toDom));
  if (!morph) out.push(summary(`    of which client.js (${(r.clientBytes / 1024).toFixed(0)} KB)`, r.client));
  out.push(summary('new text in DOM -> next frame', r.toFrame));
  return out.join('\n');
}

const envs = [new LiveEnv(FILES), new LiveEnv(FILES, ['--reload-mode', 'full'])];
const stops = new Map();
const stopEnv = (env) => { if (!stops.has(env)) stops.set(env, env.stop()); return stops.get(env); };
const stopAll = () => Promise.all(envs.map(stopEnv));
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { progress(`${sig}: stopping`); stopAll().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143)); });
}
try {
  // One after the other, so that neither variant's Chromium and liveproxy run while the other is measured.
  const morph = await measure(envs[0], true);
  await stopEnv(envs[0]);
  const full = await measure(envs[1], false);
  await stopEnv(envs[1]);
  const offsets = [...morph.offsets, ...full.offsets];
  const off = offsets.map((o) => o.offset);
  console.log(`template edit -> new heading text in headless Chromium, ${EDITS} edits per mode after ${WARMUP} unmeasured ` +
    `ones, ${GAP_MS} ms apart; a ${morph.height} px page with a form, scrolled to ${SCROLL_Y} px, a name typed:`);
  console.log(report('morph (default: the page is fetched again and morphed in place)', morph, true));
  console.log(report('full (--reload-mode full: the page reloads)', full, false));
  const ratio = (a, b) => (p50(b) > 0 ? (p50(a) / p50(b)).toFixed(1) + 'x' : 'n/a');
  console.log(`full / morph, p50: ${ratio(full.total, morph.total)} (write -> frame), ${ratio(full.dom, morph.dom)} (write -> DOM)`);
  console.log(`(page stamps put on this process's clock: page minus node ${Math.min(...off).toFixed(2)} .. ` +
    `${Math.max(...off).toFixed(2)} ms, each within +-${(Math.max(...offsets.map((o) => o.rtt)) / 2).toFixed(2)} ms)`);
} finally {
  await stopAll();
}
