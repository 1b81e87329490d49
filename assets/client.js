// liveproxy browser client: reload, flash-free CSS swap and image swap, driven by /__liveproxy/ws.
(() => {
  'use strict';
  if (window.__liveproxy) return; // loaded twice: one socket is enough
  const state = window.__liveproxy = { connected: false, instance: null, generation: null };
  const log = (what) => console.log('[liveproxy] ' + what);
  const IMAGE = /\.(png|jpe?g|gif|svg|webp|avif|ico)$/i;
  const PROPS = ['background-image', 'border-image-source', 'list-style-image', 'mask-image'];
  const SCROLL_KEY = '__liveproxy_scroll:' + location.href;
  const $$ = (sel) => [...document.querySelectorAll(sel)];
  // The socket sits next to our own script, so a page served from elsewhere still reaches the proxy.
  const src = document.currentScript && document.currentScript.src;
  // Absolute path: the script may also be served as /livereload.js, next to no socket of ours.
  const wsUrl = new URL('/__liveproxy/ws', src || location.origin);
  wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  let ws = null, timer = 0, attempt = 0, reloading = false, lastStamp = 0;

  function connect() {
    clearTimeout(timer);
    if (ws) return;
    const sock = ws = new WebSocket(wsUrl);
    const stall = setTimeout(() => sock.close(), 5000); // a stopped (not gone) proxy never answers
    sock.onopen = () => clearTimeout(stall);
    sock.onmessage = (e) => { try { handle(JSON.parse(e.data)); } catch (x) { console.error(x); } };
    sock.onclose = () => {
      clearTimeout(stall);
      if (ws !== sock) return;
      ws = null;
      state.connected = false;
      // 100 ms doubling to 5 s, jittered so many tabs do not reconnect in step.
      const delay = Math.min(5000, 100 * 2 ** attempt++);
      timer = setTimeout(connect, delay * (0.5 + Math.random() / 2));
    };
  }
  const reconnectNow = () => { if (!ws && document.visibilityState !== 'hidden') { attempt = 0; connect(); } };

  function handle(m) {
    if (m.type === 'hello') {
      attempt = 0;
      // A new proxy or a restarted app may have changed the page while we were away.
      if (state.instance !== null && (m.instance !== state.instance || m.generation !== state.generation)) {
        return reload('server restarted');
      }
      Object.assign(state, { instance: m.instance, generation: m.generation, connected: true });
    } else if (m.type === 'reload') {
      reload('reload');
    } else if (m.type === 'css' && typeof m.path === 'string') {
      const image = IMAGE.test(m.path);
      log((image ? 'image: ' : 'css: ') + m.path);
      (image ? swapImages : swapCss)(m.path);
    }
  }

  function reload(why) {
    if (reloading) return; // one reload per page, whatever else arrives
    reloading = true;
    log(why);
    try { sessionStorage.setItem(SCROLL_KEY, JSON.stringify([scrollX, scrollY, Date.now()])); } catch (x) { /* no storage */ }
    location.reload();
  }

  // Put back the position saved by reload() after layout, retrying for a second while late content grows the page.
  function restoreScroll() {
    let saved;
    try { saved = JSON.parse(sessionStorage.getItem(SCROLL_KEY)); sessionStorage.removeItem(SCROLL_KEY); } catch (x) { return; }
    if (!saved || Date.now() - saved[2] > 60000) return;
    const [x, y] = saved, until = Date.now() + 1000;
    let touched = false;
    for (const t of ['wheel', 'touchstart', 'keydown']) addEventListener(t, () => { touched = true; }, { once: true });
    (function step() {
      if (touched) return;
      scrollTo(x, y);
      if ((Math.abs(scrollX - x) > 1 || Math.abs(scrollY - y) > 1) && Date.now() < until) requestAnimationFrame(step);
    })();
  }

  // Lower-cased, decoded path segments: query, hash and host take no part in matching.
  function segments(url, base) {
    let p;
    try { p = new URL(url, base || document.baseURI).pathname; } catch (x) { p = String(url).split(/[?#]/)[0]; }
    return p.split('/').filter(Boolean).map((s) => { try { s = decodeURIComponent(s); } catch (x) { /* raw */ } return s.toLowerCase(); });
  }
  // Candidates {url, base, swap} with the most equal trailing segments; ties all count (one file linked twice).
  function best(path, candidates) {
    const want = segments(path);
    let top = 0, hits = [];
    for (const c of candidates) {
      const have = segments(c.url, c.base);
      let n = 0;
      while (n < want.length && n < have.length && want[want.length - 1 - n] === have[have.length - 1 - n]) n++;
      if (n > top) { top = n; hits = []; }
      if (n && n === top) hits.push(c);
    }
    return hits;
  }

  const stamp = () => (lastStamp = Math.max(Date.now(), lastStamp + 1));
  // Sets ?liveproxy=<stamp>, replacing an earlier one and keeping the rest of the URL as written.
  function bust(url, t) {
    const [, head, hash] = /^([^#]*)(.*)$/.exec(url);
    const base = head.replace(/([?&])liveproxy=\d*(&|$)/, (m, p, q) => (q ? p : ''));
    return base + (base.includes('?') ? '&' : '?') + 'liveproxy=' + t + hash;
  }

  // Every rule of every readable sheet, down @import and grouping rules; cross-origin sheets throw and are skipped.
  function eachRule(fn, sheets = document.styleSheets) {
    const walk = (rules) => {
      for (const r of rules) {
        fn(r);
        try { if (r.styleSheet || r.cssRules) walk(r.styleSheet ? r.styleSheet.cssRules : r.cssRules); } catch (x) { /* cross-origin */ }
      }
    };
    for (const s of sheets) try { walk(s.cssRules); } catch (x) { /* cross-origin */ }
  }
  const baseOf = (sheet) => (sheet && sheet.href) || document.baseURI;

  const retiring = new WeakSet(); // links and rules already being replaced
  function swapCss(path) {
    const all = $$('link[rel~="stylesheet" i][href]').filter((l) => !retiring.has(l))
      .map((l) => ({ url: l.href, swap: () => swapLink(l) }));
    eachRule((r) => {
      if (r instanceof CSSImportRule && !retiring.has(r)) all.push({ url: r.href, base: baseOf(r.parentStyleSheet), swap: () => swapImport(r) });
    });
    const hits = best(path, all);
    // No name matches: the file may be reachable under a URL we cannot map, so refresh every stylesheet.
    for (const c of hits.length ? hits : all) c.swap();
  }

  // A busted clone goes right after the old link; the old one leaves only once the clone has loaded, so nothing flashes.
  function swapLink(link) {
    const clone = link.cloneNode(false);
    clone.removeAttribute('integrity'); // the content changed on purpose
    clone.setAttribute('href', bust(link.getAttribute('href'), stamp()));
    retiring.add(link);
    const done = () => { clearTimeout(t); rebust(clone.sheet); link.remove(); };
    const t = setTimeout(done, 5000);
    clone.onload = clone.onerror = done;
    link.after(clone);
  }

  // Chrome drops a whole sheet while an @import inserted into it loads, so preload the new URL first; then insert
  // the busted rule after the old one and delete the old rule once the new sheet is in.
  function swapImport(rule) {
    const url = bust(rule.href, stamp()), pre = document.createElement('link');
    retiring.add(rule);
    Object.assign(pre, { rel: 'preload', as: 'style', href: new URL(url, baseOf(rule.parentStyleSheet)).href });
    const t = setTimeout(insert, 5000);
    pre.onload = pre.onerror = insert;
    document.head.append(pre);
    function insert() {
      clearTimeout(t);
      pre.onload = pre.onerror = null;
      let sheet = rule.parentStyleSheet;
      const rules = sheet && sheet.cssRules, i = rules ? [...rules].indexOf(rule) : -1;
      const layer = rule.layerName == null ? '' : rule.layerName ? ` layer(${rule.layerName})` : ' layer';
      const supports = rule.supportsText ? ` supports(${rule.supportsText})` : '';
      try {
        sheet.insertRule(`@import url(${JSON.stringify(url)})${layer}${supports} ${rule.media.mediaText};`, i + 1);
      } catch (x) {
        // Gone, or a constructed sheet that refuses @import: reload the <link> owning the chain instead.
        while (sheet && sheet.ownerRule) sheet = sheet.ownerRule.parentStyleSheet;
        if (sheet && sheet.ownerNode && sheet.ownerNode.localName === 'link') swapLink(sheet.ownerNode);
        return pre.remove();
      }
      const fresh = rules[i + 1], until = Date.now() + 5000;
      (function poll() {
        let ready = true;
        try { ready = !!(fresh.styleSheet && fresh.styleSheet.cssRules); } catch (x) { /* cross-origin: loaded */ }
        if (!ready && Date.now() < until) return setTimeout(poll, 20);
        rebust(fresh.styleSheet);
        const at = [...sheet.cssRules].indexOf(rule);
        if (at >= 0) sheet.deleteRule(at);
        pre.remove();
      })();
    }
  }

  // Cache-bust every reference to the best-matching image once it is preloaded, so no empty frame shows.
  const images = new Map(); // changed image path -> its stamp, re-applied to stylesheets fetched later
  function swapImages(path) {
    const t = stamp(), all = [];
    images.set(path, t);
    for (const el of $$('img[src], link[rel~="icon" i][href], video[poster]')) {
      const attr = { LINK: 'href', VIDEO: 'poster' }[el.tagName] || 'src';
      all.push({ url: el[attr], swap: () => el.setAttribute(attr, bust(el.getAttribute(attr), t)) });
    }
    for (const el of $$('[srcset]')) {
      const parts = el.getAttribute('srcset').trim().split(/\s*,\s+/).map((s) => s.split(/\s+/));
      for (const p of parts) {
        all.push({ url: p[0], swap: () => { p[0] = bust(p[0], t); el.setAttribute('srcset', parts.map((q) => q.join(' ')).join(', ')); } });
      }
    }
    for (const el of $$('[style]')) styleUrls(el.style, document.baseURI, t, all);
    ruleUrls(document.styleSheets, t, all);
    const hits = best(path, all);
    if (!hits.length) return;
    const img = new Image();
    const go = () => { clearTimeout(timeout); img.onload = img.onerror = null; for (const c of hits) c.swap(); };
    const timeout = setTimeout(go, 5000);
    img.onload = img.onerror = go;
    img.src = bust(new URL(hits[0].url, hits[0].base || document.baseURI).href, t);
  }
  // A re-fetched stylesheet names images by their original URLs, which may still be cached: bust them again.
  function rebust(sheet) {
    if (!sheet) return;
    images.forEach((t, path) => {
      const all = [];
      ruleUrls([sheet], t, all);
      for (const c of best(path, all)) c.swap();
    });
  }
  function ruleUrls(sheets, t, out) {
    eachRule((r) => { if (r.style) styleUrls(r.style, baseOf(r.parentStyleSheet), t, out); }, sheets);
  }
  // Candidates for each url(...) in the image properties of one declaration block, written back as absolute URLs.
  function styleUrls(style, base, t, out) {
    for (const prop of PROPS) {
      for (const [token, , url] of style.getPropertyValue(prop).matchAll(/url\(\s*(['"]?)(.*?)\1\s*\)/g)) {
        out.push({ url, base, swap: () => style.setProperty(prop,
          style.getPropertyValue(prop).split(token).join(`url("${bust(new URL(url, base).href, t)}")`), style.getPropertyPriority(prop)) });
      }
    }
  }

  addEventListener('online', reconnectNow);
  addEventListener('pageshow', reconnectNow); // the back/forward cache closed our socket
  document.addEventListener('visibilitychange', reconnectNow);
  if (document.readyState === 'complete') restoreScroll();
  else addEventListener('load', () => requestAnimationFrame(restoreScroll));
  connect();
})();
