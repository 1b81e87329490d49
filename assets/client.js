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
  const ourTag = document.currentScript;
  const src = ourTag && ourTag.src;
  // The tag liveproxy injects carries this run's token, which our socket asks of every browser. Without it (the
  // LiveReload snippet loading /livereload.js into a page of another server) the client speaks LiveReload's
  // own protocol on /livereload, which needs none. Absolute paths: the script may be served as /livereload.js.
  const token = document.currentScript && document.currentScript.dataset.token;
  const wsUrl = new URL(token ? '/__liveproxy/ws' : '/livereload', src || location.origin);
  if (token) wsUrl.searchParams.set('token', token);
  wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  let ws = null, timer = 0, attempt = 0, reloading = false, lastStamp = 0;

  function connect() {
    clearTimeout(timer);
    if (ws) return;
    const sock = ws = new WebSocket(wsUrl);
    const stall = setTimeout(() => sock.close(), 5000); // a stopped (not gone) proxy never answers
    sock.onopen = () => {
      clearTimeout(stall);
      if (!token) sock.send(JSON.stringify({ command: 'hello', protocols: ['http://livereload.com/protocols/official-7'] }));
      flushConsole();
    };
    sock.onmessage = (e) => {
      try {
        const m = JSON.parse(e.data);
        handle(token ? m : fromLiveReload(m));
      } catch (x) { console.error(x); }
    };
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
      if (m.morph) {
        if (typeof m.generation === 'number') state.generation = m.generation; // no hello on a morph: the run is this one
        morph();
      } else {
        reload('reload');
      }
    } else if (m.type === 'stale') {
      // The page's token is from an earlier run of liveproxy: a reload brings this run's. Once: a page that
      // comes back with the old token again (served from a cache) would otherwise reload forever.
      const key = '__liveproxy_stale:' + location.href;
      let last = 0;
      try { last = Number(sessionStorage.getItem(key) || 0); } catch (x) { /* no storage */ }
      if (Date.now() - last < 10000) { log('this page carries an old token (cached?): reload it by hand'); return; }
      try { sessionStorage.setItem(key, String(Date.now())); } catch (x) { /* no storage */ }
      reload('server restarted');
    } else if (m.type === 'css' && typeof m.path === 'string') {
      const image = IMAGE.test(m.path);
      log((image ? 'image: ' : 'css: ') + m.path);
      (image ? swapImages : swapCss)(m.path);
    }
  }

  // LiveReload 7 commands as our events: a reload naming a stylesheet or image swaps it, any other reloads.
  function fromLiveReload(m) {
    if (m.command === 'hello') return { type: 'hello', instance: state.instance || 'livereload', generation: 0 };
    if (m.command !== 'reload') return {};
    const path = typeof m.path === 'string' ? m.path : '';
    return path && (/\.css$/i.test(path) || IMAGE.test(path)) ? { type: 'css', path } : { type: 'reload' };
  }

  function reload(why) {
    if (reloading) return; // one reload per page, whatever else arrives
    reloading = true;
    log(why);
    try { sessionStorage.setItem(SCROLL_KEY, JSON.stringify([scrollX, scrollY, Date.now()])); } catch (x) { /* no storage */ }
    location.reload();
  }

  // The page changed: fetch it again and morph the live document into it (idiomorph, bundled into this script at
  // build time), so scroll, focus, caret, typed values, open <details> and playing media stay. A reload instead
  // when morphing could be wrong: this page answered a POST (fetching its URL is another request), the answer is
  // no 200 HTML page, a script or stylesheet changed (inline scripts never run again on a morph), or the page
  // opted out with <meta name="liveproxy" content="reload">.
  let morphs = 0;
  async function morph() {
    if (reloading) return;
    const method = ourTag && ourTag.dataset.method;
    if (method) return reload('reload (this page answered a ' + method + ')');
    if (typeof Idiomorph === 'undefined' || optedOut(document)) return reload('reload');
    const started = performance.now(), mine = ++morphs;
    let res, html;
    try {
      res = await fetch(location.href, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'text/html' } });
      html = await res.text();
    } catch (x) { return reload('reload (' + x.message + ')'); }
    if (mine !== morphs || reloading) return; // a newer change is being fetched
    if (res.status !== 200 || res.redirected || !/^text\/html/i.test(res.headers.get('content-type') || '')) {
      return reload('reload (the page now answers ' + res.status + ')');
    }
    const next = new DOMParser().parseFromString(html, 'text/html');
    if (optedOut(next)) return reload('reload');
    if (assets(document) !== assets(next)) return reload('reload (its scripts or stylesheets changed)');
    if (document.title !== next.title) document.title = next.title;
    const styles = $$('head style'), nextStyles = [...next.querySelectorAll('head style')];
    if (styles.length !== nextStyles.length) return reload('reload (its styles changed)');
    styles.forEach((st, i) => { if (st.textContent !== nextStyles[i].textContent) st.textContent = nextStyles[i].textContent; });
    Idiomorph.morph(document.body, next.body, {
      morphStyle: 'outerHTML', ignoreActiveValue: true, restoreFocus: true,
      callbacks: { beforeAttributeUpdated: keepUserState },
    });
    state.morphed = (state.morphed || 0) + 1;
    log('page morphed in ' + Math.round(performance.now() - started) + ' ms');
  }
  const optedOut = (doc) => !!doc.querySelector('meta[name="liveproxy" i][content="reload" i]');
  // The page's scripts (src, or inline text) and stylesheets (href without our cache-buster), ours left out.
  function assets(doc) {
    const out = [];
    for (const el of doc.querySelectorAll('script, link[rel~="stylesheet" i]')) {
      if (el.tagName === 'SCRIPT') {
        const src = el.getAttribute('src') || '';
        if (/\/__liveproxy\/client\.js|(^|\/)livereload\.js/.test(src)) continue;
        out.push('s:' + (src || el.textContent));
      } else {
        out.push('l:' + bust(el.getAttribute('href') || '', '').replace(/[?&]liveproxy=$/, ''));
      }
    }
    return out.join('\n');
  }
  // What the developer did to the page stays: a value typed or a box ticked (the live state differs from the
  // markup's), an open <details> or <dialog>. The markup's own changes apply to fields nobody touched.
  function keepUserState(attr, el) {
    if (attr === 'value') return !(('defaultValue' in el) && el.value !== el.defaultValue);
    if (attr === 'checked') return !(('defaultChecked' in el) && el.checked !== el.defaultChecked);
    if (attr === 'selected') return !(el.tagName === 'OPTION' && chosen(el.closest('select')));
    if (attr === 'open') return !(el.tagName === 'DETAILS' || el.tagName === 'DIALOG');
    return true;
  }

  // The developer chose another option than the markup selects (no `selected` anywhere: the first one).
  function chosen(select) {
    if (!select) return false;
    const opts = [...select.options], marked = opts.some((o) => o.defaultSelected);
    return opts.some((o, i) => o.selected !== (marked ? o.defaultSelected : !select.multiple && i === 0));
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
  // The @import rules, down imported sheets. They come before every other rule but @layer statements (and
  // @charset, which the CSSOM does not show), so each sheet's walk ends at its first other rule: a sheet of 20,000
  // rules costs nothing on every save.
  function eachImport(fn, sheets = document.styleSheets) {
    const layerStatement = (r) => typeof CSSLayerStatementRule !== 'undefined' && r instanceof CSSLayerStatementRule;
    const walk = (rules) => {
      for (const r of rules) {
        if (!(r instanceof CSSImportRule)) {
          if (layerStatement(r)) continue;
          break;
        }
        fn(r);
        try { if (r.styleSheet) walk(r.styleSheet.cssRules); } catch (x) { /* cross-origin */ }
      }
    };
    for (const s of sheets) try { walk(s.cssRules); } catch (x) { /* cross-origin */ }
  }
  const baseOf = (sheet) => (sheet && sheet.href) || document.baseURI;

  // One swap in flight per live <link> or @import rule (jobs) and per image path (imageJobs), held as its cancel
  // function: a newer edit of the same file cancels it, so clones never pile up. Replacements still loading
  // (incoming) are no candidates for an edit; the live stylesheet they would replace is.
  const jobs = new WeakMap(), imageJobs = new Map(), incoming = new WeakSet();
  const SLOW_MS = 5000, RETRY_MS = 1000;
  // Ends key's swap in flight; returns what is live in key's place now: key, or a replacement that had loaded.
  function cancel(map, key) {
    const job = map.get(key);
    if (!job) return key;
    map.delete(key);
    return job() || key;
  }
  const ruleCount = (sheet) => { try { return sheet ? sheet.cssRules.length : 0; } catch (x) { return -1; } };
  const pathOf = (url) => { try { return new URL(url).pathname; } catch (x) { return String(url); } };
  const sameOrigin = (url) => { try { return new URL(url).origin === location.origin; } catch (x) { return false; } };
  const slowLog = (what, name, kept) => setTimeout(() =>
    log(`${what}: ${name} still loading after ${SLOW_MS / 1000} s — the old ${kept} stays until it loads`), SLOW_MS);

  // Resource Timing entries of our own (busted) fetches, as an observer sees them: performance.getEntriesByName
  // stops seeing new entries once the page's buffer (250 by default) is full, after a long session of swaps.
  const timings = new Map();
  const keep = (e) => {
    if (!/[?&]liveproxy=\d/.test(e.name)) return;
    timings.delete(e.name);
    timings.set(e.name, e);
    if (timings.size > 100) timings.delete(timings.keys().next().value); // oldest first: ones nobody asked about
  };
  let observer = null;
  try {
    observer = new PerformanceObserver((list) => list.getEntries().forEach(keep));
    observer.observe({ type: 'resource' });
  } catch (x) { /* no observer: the entry buffer alone */ }
  // What Resource Timing saw of url's last fetch; status 0, type '' and size -1 where it cannot tell (a network
  // error, a cross-origin response without Timing-Allow-Origin, no Resource Timing).
  function fetched(url) {
    if (observer) observer.takeRecords().forEach(keep); // entries not yet delivered to the callback
    let e = timings.get(url);
    timings.delete(url);
    try { e = e || performance.getEntriesByName(url).pop(); } catch (x) { /* no Resource Timing */ }
    const status = (e && e.responseStatus) || 0;
    return { status, type: (e && e.contentType) || '', size: status ? e.encodedBodySize : -1 };
  }
  // Why a stylesheet fetch failed, or '' if it did not. Chromium fires 'error' for every non-2xx status, whatever the
  // type and body, and for network errors, and leaves an empty sheet behind; it fires 'load' for a 200 it will not
  // apply (a text/html fallback page in a standards-mode document), again with an empty sheet. So neither the event
  // alone nor link.sheet tells success: the status and type do, where Resource Timing has them.
  // An empty body replacing a sheet that has rules (`old`) is most likely the file read mid-save, between the
  // editor's truncate and its write: it counts as failed, and the retry (given no `old`) takes it if it stays empty.
  function cssFailure(url, errored, sheet, old) {
    const { status, type, size } = fetched(url);
    if (errored || status >= 400) return status ? String(status) : sameOrigin(url) ? 'network error' : 'error';
    const rules = ruleCount(sheet); // -1: cross-origin, whose type is hidden too
    if (type && !/^text\/css$/i.test(type) && (rules === 0 || /html/i.test(type))) return `${status} ${type}, not CSS`;
    return size === 0 && rules <= 0 && ruleCount(old) > 0 ? `${status}, empty` : '';
  }
  // Logs a failed swap and, the first time, tries once more after a pause: an app that answered 5xx for a moment
  // (a reloader between two states, a proxy in between) has usually recovered. The pending retry is key's job,
  // so a newer edit replaces it.
  function failed(what, name, why, kept, map, key, again) {
    const line = `${what}: ${name} failed to load (${why}) — kept the old ${kept}`;
    if (!again) return log(line);
    log(`${line}; trying again in ${RETRY_MS / 1000} s`);
    const t = setTimeout(() => { map.delete(key); again(); }, RETRY_MS);
    map.set(key, () => clearTimeout(t));
  }
  // Whether a sheet still belongs to the document: a removed <link> takes its sheet and that sheet's imports along.
  function live(sheet) {
    while (sheet && sheet.ownerRule) sheet = sheet.ownerRule.parentStyleSheet;
    return !!(sheet && sheet.ownerNode && sheet.ownerNode.isConnected);
  }

  function swapCss(path) {
    const all = $$('link[rel~="stylesheet" i][href]').filter((l) => !incoming.has(l))
      .map((l) => ({ url: l.href, swap: () => swapLink(l) }));
    eachImport((r) => {
      if (!incoming.has(r)) all.push({ url: r.href, base: baseOf(r.parentStyleSheet), swap: () => swapImport(r) });
    });
    const hits = best(path, all);
    // No name matches: the file may be reachable under a URL we cannot map, so refresh every stylesheet.
    for (const c of hits.length ? hits : all) c.swap();
  }

  // A busted clone goes right after the old link and takes its place only once it has loaded successfully, so
  // nothing flashes and a failed fetch (404, a 502 page, a network error) leaves the old stylesheet in place. A
  // slow clone is left to finish, however long it takes, unless a newer edit replaces it first.
  function swapLink(link, first = true) {
    link = cancel(jobs, link);
    const clone = link.cloneNode(false);
    clone.removeAttribute('integrity'); // the content changed on purpose
    clone.setAttribute('href', bust(link.getAttribute('href'), stamp()));
    if (link.disabled) return link.replaceWith(clone); // never fetched until enabled, so it never loads: nothing to wait for
    const name = pathOf(clone.href), slow = slowLog('css', name, 'stylesheet');
    const drop = () => { clearTimeout(slow); clone.onload = clone.onerror = null; incoming.delete(clone); };
    const settle = (errored) => {
      jobs.delete(link);
      drop();
      const why = cssFailure(clone.href, errored, clone.sheet, first && link.sheet);
      if (!why && link.isConnected) {
        if (link.sheet && link.sheet.disabled && clone.sheet) clone.sheet.disabled = true; // switched off by script
        rebust(clone.sheet);
        link.remove();
        return { now: clone };
      }
      clone.remove(); // failed, or the page dropped the old link meanwhile
      return { why };
    };
    clone.onload = clone.onerror = (e) => {
      const { why } = settle(e.type === 'error');
      if (why) failed('css', name, why, 'stylesheet', jobs, link, first && link.isConnected && (() => swapLink(link, false)));
    };
    incoming.add(clone);
    jobs.set(link, () => {
      // Chromium applies a loaded sheet, and may paint it, before the load event's task runs: dropping the clone
      // then would bring the old style back for a frame, so a clone holding rules settles now instead.
      if (ruleCount(clone.sheet) > 0) return settle(false).now;
      drop();
      clone.remove();
    });
    link.after(clone);
  }

  // Chrome drops a whole sheet while an @import inserted into it loads, so preload the new URL first; a failed
  // preload keeps the old rule untouched. Then insert the busted rule after the old one and delete the old rule
  // once the new sheet is in, or the new rule if its own fetch failed after all.
  function swapImport(rule, first = true) {
    rule = cancel(jobs, rule);
    const url = bust(rule.href, stamp()), abs = new URL(url, baseOf(rule.parentStyleSheet)).href, name = pathOf(abs);
    const pre = document.createElement('link'), slow = slowLog('css', name, 'stylesheet');
    let fresh = null, poll = 0;
    const drop = () => {
      clearTimeout(slow);
      clearTimeout(poll);
      pre.onload = pre.onerror = null;
      pre.remove();
      if (fresh) incoming.delete(fresh);
    };
    const fail = (why) => failed('css', name, why, 'stylesheet', jobs, rule,
      first && live(rule.parentStyleSheet) && (() => swapImport(rule, false)));
    // Its verdict once the new sheet is in: keep whichever rule loaded, and say what is live now.
    const settle = () => {
      jobs.delete(rule);
      drop();
      const unreadable = ruleCount(fresh.styleSheet) < 0; // a network error, or any cross-origin sheet
      const why = cssFailure(abs, unreadable && sameOrigin(abs), fresh.styleSheet, first && rule.styleSheet);
      if (why) { deleteRule(fresh); return { why }; }
      rebust(fresh.styleSheet);
      deleteRule(rule);
      return { now: fresh };
    };
    jobs.set(rule, () => {
      if (fresh && fresh.styleSheet && ruleCount(fresh.styleSheet) > 0) return settle().now; // applied already, as for links
      drop();
      if (fresh) deleteRule(fresh);
    });
    Object.assign(pre, { rel: 'preload', as: 'style', href: abs });
    pre.onload = pre.onerror = (e) => {
      pre.onload = pre.onerror = null;
      const why = cssFailure(abs, e.type === 'error', null, first && rule.styleSheet);
      if (!why) return insert();
      jobs.delete(rule);
      drop();
      fail(why);
    };
    document.head.append(pre);

    function insert() {
      let sheet = rule.parentStyleSheet;
      const rules = sheet && sheet.cssRules, i = rules ? [...rules].indexOf(rule) : -1;
      const layer = rule.layerName == null ? '' : rule.layerName ? ` layer(${rule.layerName})` : ' layer';
      const supports = rule.supportsText ? ` supports(${rule.supportsText})` : '';
      try {
        sheet.insertRule(`@import url(${JSON.stringify(url)})${layer}${supports} ${rule.media.mediaText};`, i + 1);
      } catch (x) {
        jobs.delete(rule);
        drop();
        // Gone, or a constructed sheet that refuses @import: reload the <link> owning the chain instead.
        while (sheet && sheet.ownerRule) sheet = sheet.ownerRule.parentStyleSheet;
        if (sheet && sheet.ownerNode && sheet.ownerNode.localName === 'link') swapLink(sheet.ownerNode);
        return;
      }
      fresh = rules[i + 1];
      incoming.add(fresh);
      const until = Date.now() + SLOW_MS;
      (function check() {
        if (!live(fresh.parentStyleSheet)) { jobs.delete(rule); return drop(); } // its sheet was swapped away
        if (!fresh.styleSheet) return (poll = setTimeout(check, Date.now() < until ? 20 : 250)); // still loading
        const { why } = settle();
        if (why) fail(why);
      })();
    }
  }
  function deleteRule(rule) {
    const sheet = rule.parentStyleSheet, at = sheet ? [...sheet.cssRules].indexOf(rule) : -1;
    if (at >= 0) sheet.deleteRule(at);
  }

  // Cache-bust every reference to the best-matching image once the new one has loaded, so no empty frame shows; an
  // image that fails (an error status, a body that is no image, a network error) leaves the old one showing.
  const images = new Map(); // changed image path -> its stamp, re-applied to stylesheets fetched later
  function swapImages(path, first = true) {
    cancel(imageJobs, path); // the preload shows nowhere: dropping it changes nothing on screen
    const t = stamp(), hits = best(path, imageRefs(t));
    if (!hits.length) return;
    const img = new Image(), url = bust(new URL(hits[0].url, hits[0].base || document.baseURI).href, t);
    const name = pathOf(url), slow = slowLog('image', name, 'image');
    const drop = () => { clearTimeout(slow); img.onload = img.onerror = null; };
    img.onload = img.onerror = (e) => {
      imageJobs.delete(path);
      drop();
      // Chromium shows an image body even from a 404: the status decides, where Resource Timing has it.
      const { status, type } = fetched(url);
      if (e.type === 'load' && !(status >= 400)) {
        images.set(path, t);
        for (const c of best(path, imageRefs(t))) c.swap(); // the page as it is now: the load may have been slow
        return;
      }
      const why = status >= 400 ? String(status) : status ? `${status} ${type}, not an image` : sameOrigin(url) ? 'network error' : 'error';
      failed('image', name, why, 'image', imageJobs, path, first && (() => swapImages(path, false)));
    };
    imageJobs.set(path, () => { drop(); img.removeAttribute('src'); });
    img.src = url;
  }
  // Candidates for an image path: <img>, icons, posters, srcset entries, inline styles and stylesheet rules.
  function imageRefs(t) {
    const all = [];
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
    return all;
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

  // The page's errors and warnings go to liveproxy's terminal (over this socket, with its token): uncaught
  // errors, unhandled rejections, console.error and console.warn. At most 10 a second, each cut to 2 KB; the
  // first 20 while the socket is down wait for it.
  const pendingConsole = [];
  let consoleWindow = 0, consoleCount = 0;
  function sendConsole(level, message, source) {
    if (!token) return;
    const now = Date.now();
    if (now - consoleWindow > 1000) { consoleWindow = now; consoleCount = 0; }
    if (++consoleCount > 10) return;
    const m = JSON.stringify({ type: 'console', level, message: String(message).slice(0, 2048),
                               source: source || '', path: location.pathname });
    if (ws && ws.readyState === 1) ws.send(m);
    else if (pendingConsole.length < 20) pendingConsole.push(m);
  }
  function flushConsole() { while (ws && ws.readyState === 1 && pendingConsole.length) ws.send(pendingConsole.shift()); }
  const shortSource = (file, line, col) => file ? file.replace(location.origin, '') + ':' + line + (col ? ':' + col : '') : '';
  const described = (v) => v instanceof Error ? (v.stack && v.stack.startsWith(v.name) ? v.stack.split('\n')[0] : v.name + ': ' + v.message)
    : typeof v === 'object' ? (() => { try { return JSON.stringify(v); } catch (x) { return String(v); } })() : String(v);
  // The first frame of a stack that is not ours ("at f (http://host/app.js:3:9)", Firefox's "f@http://...").
  const stackSource = (e) => {
    for (const line of ((e && e.stack) || '').split('\n')) {
      const m = /((?:https?|file):\/\/[^\s()]+):(\d+):(\d+)/.exec(line);
      if (m && !m[1].includes('/__liveproxy/')) return shortSource(m[1], m[2], m[3]);
    }
    return '';
  };
  if (token) {
    addEventListener('error', (e) => {
      if (e.target !== window) return;  // a resource that failed to load: the network's business, not a script error
      sendConsole('error', e.error ? 'Uncaught ' + described(e.error) : e.message, shortSource(e.filename, e.lineno, e.colno));
    });
    addEventListener('unhandledrejection', (e) => sendConsole('error', 'Unhandled rejection: ' + described(e.reason), stackSource(e.reason)));
    for (const level of ['error', 'warn']) {
      const original = console[level];
      console[level] = function (...args) {
        original.apply(this, args);
        if (typeof args[0] === 'string' && args[0].startsWith('[liveproxy]')) return;
        sendConsole(level, args.map(described).join(' '),
                    stackSource(args.find((a) => a instanceof Error)) || stackSource(new Error()));
      };
    }
  }

  addEventListener('online', reconnectNow);
  addEventListener('pageshow', reconnectNow); // the back/forward cache closed our socket
  document.addEventListener('visibilitychange', reconnectNow);
  if (document.readyState === 'complete') restoreScroll();
  else addEventListener('load', () => requestAnimationFrame(restoreScroll));
  connect();
})();
