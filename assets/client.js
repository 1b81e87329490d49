// liveproxy browser client: full reload, flash-free CSS swap and image swap, driven by /__liveproxy/ws.
(function () {
  'use strict';
  // Injected twice (e.g. the app also includes it) must not open two sockets.
  if (window.__liveproxy) return;
  var state = window.__liveproxy = { connected: false, instance: null, generation: null };
  var TAG = '[liveproxy] ';
  var IMAGE = /\.(png|jpe?g|gif|svg|webp|avif|ico)$/i;
  var PROPS = ['background-image', 'border-image-source', 'list-style-image', 'mask-image'];
  var SCROLL_KEY = '__liveproxy_scroll:' + location.href;
  // The socket lives next to our own script, so pages served from elsewhere still reach the proxy.
  var me = document.currentScript;
  var wsUrl = new URL('ws', me && me.src ? me.src : location.origin + '/__liveproxy/client.js');
  wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';

  var ws = null, timer = 0, attempt = 0, reloading = false, lastStamp = 0;

  function connect() {
    clearTimeout(timer);
    if (ws) return;
    var sock = ws = new WebSocket(wsUrl);
    // A handshake that never completes (proxy stopped, not gone) must not stall reconnection.
    var openTimer = setTimeout(function () { sock.close(); }, 5000);
    sock.onopen = function () { clearTimeout(openTimer); };
    sock.onmessage = function (e) { var m; try { m = JSON.parse(e.data); } catch (x) { return; } handle(m); };
    sock.onclose = function () {
      clearTimeout(openTimer);
      if (ws !== sock) return;
      ws = null;
      state.connected = false;
      // Capped exponential backoff with jitter: 100 ms doubling to 5 s, so many tabs do not stampede.
      var delay = Math.min(5000, 100 * Math.pow(2, attempt++));
      timer = setTimeout(connect, delay / 2 + Math.random() * delay / 2);
    };
  }
  function reconnectNow() { if (!ws && document.visibilityState !== 'hidden') { attempt = 0; connect(); } }

  function handle(m) {
    if (m.type === 'hello') {
      attempt = 0;
      // A new proxy instance or a restarted app means this page may be stale: reload once.
      if (state.instance !== null && (m.instance !== state.instance || m.generation !== state.generation)) {
        return reload('server restarted');
      }
      state.instance = m.instance;
      state.generation = m.generation;
      state.connected = true;
    } else if (m.type === 'reload') {
      reload('reload');
    } else if (m.type === 'css' && typeof m.path === 'string') {
      console.log(TAG + (IMAGE.test(m.path) ? 'image: ' : 'css: ') + m.path);
      if (IMAGE.test(m.path)) swapImages(m.path); else swapCss(m.path);
    }
  }

  function reload(why) {
    if (reloading) return;
    reloading = true;
    console.log(TAG + why);
    try { sessionStorage.setItem(SCROLL_KEY, JSON.stringify([scrollX, scrollY, Date.now()])); } catch (x) { /* storage disabled */ }
    location.reload();
  }

  // Restore the scroll position saved by reload() once layout is done; retry briefly while late content grows the page.
  function restoreScroll() {
    var saved;
    try { saved = JSON.parse(sessionStorage.getItem(SCROLL_KEY)); sessionStorage.removeItem(SCROLL_KEY); } catch (x) { return; }
    if (!saved || Date.now() - saved[2] > 60000) return;
    var until = Date.now() + 1000, touched = false;
    ['wheel', 'touchstart', 'keydown'].forEach(function (t) { addEventListener(t, function () { touched = true; }, { once: true }); });
    (function step() {
      if (touched) return;
      scrollTo(saved[0], saved[1]);
      if ((Math.abs(scrollX - saved[0]) > 1 || Math.abs(scrollY - saved[1]) > 1) && Date.now() < until) requestAnimationFrame(step);
    })();
  }

  // Path segments of a URL, lower-cased and decoded; query, hash and host do not take part in matching.
  function segments(url, base) {
    var p;
    try { p = new URL(url, base || document.baseURI).pathname; } catch (x) { p = String(url).split(/[?#]/)[0]; }
    return p.split('/').filter(Boolean).map(function (s) { try { s = decodeURIComponent(s); } catch (x) { /* keep raw */ } return s.toLowerCase(); });
  }
  function score(a, b) {
    var n = 0;
    for (var i = a.length - 1, j = b.length - 1; i >= 0 && j >= 0 && a[i] === b[j]; i--, j--) n++;
    return n;
  }
  // The candidates with the best score (ties all count: the same file may be linked twice); none when no file name matches.
  function best(path, candidates) {
    var want = segments(path), top = 0, hits = [];
    candidates.forEach(function (c) {
      var s = score(want, segments(c.url, c.base));
      if (s > top) { top = s; hits = []; }
      if (s && s === top) hits.push(c);
    });
    return hits;
  }
  function swapAll(list) { list.forEach(function (c) { c.swap(); }); }

  function bust(url, stamp) {
    var hashAt = url.indexOf('#'), hash = hashAt < 0 ? '' : url.slice(hashAt);
    var base = (hashAt < 0 ? url : url.slice(0, hashAt))
      .replace(/([?&])liveproxy=\d*(&|$)/, function (m, p, q) { return q ? p : ''; });
    return base + (base.indexOf('?') < 0 ? '?' : '&') + 'liveproxy=' + stamp + hash;
  }
  function newStamp() { return (lastStamp = Math.max(Date.now(), lastStamp + 1)); }

  // Visit every rule of every readable stylesheet, into @import and grouping rules; cross-origin sheets throw and are skipped.
  function eachRule(fn) {
    function walk(rules) {
      for (var i = 0; i < rules.length; i++) {
        var r = rules[i];
        fn(r);
        try { if (r.styleSheet) walk(r.styleSheet.cssRules); else if (r.cssRules) walk(r.cssRules); } catch (x) { /* cross-origin */ }
      }
    }
    for (var i = 0; i < document.styleSheets.length; i++) {
      try { walk(document.styleSheets[i].cssRules); } catch (x) { /* cross-origin */ }
    }
  }
  function sheetBase(sheet) { return (sheet && sheet.href) || document.baseURI; }

  var retiring = new WeakSet();
  function swapCss(path) {
    var links = [], imports = [];
    document.querySelectorAll('link[rel~="stylesheet" i][href]').forEach(function (l) {
      if (!retiring.has(l)) links.push({ url: l.href, swap: function () { swapLink(l); } });
    });
    eachRule(function (r) {
      if (r.type === CSSRule.IMPORT_RULE && !retiring.has(r)) {
        imports.push({ url: r.href, base: sheetBase(r.parentStyleSheet), swap: function () { swapImport(r); } });
      }
    });
    var all = links.concat(imports), hits = best(path, all);
    // Nothing matched: the file may be reachable under a URL we cannot map, so refresh every stylesheet.
    swapAll(hits.length ? hits : all);
  }

  // Insert a cache-busted clone right after the old link; drop the old one only once the clone has loaded, so nothing flashes.
  function swapLink(link) {
    var clone = link.cloneNode(false);
    clone.removeAttribute('integrity'); // the content changed on purpose
    clone.setAttribute('href', bust(link.getAttribute('href'), newStamp()));
    retiring.add(link);
    var done = false, t = setTimeout(finish, 5000);
    function finish() { if (!done) { done = true; clearTimeout(t); link.remove(); } }
    clone.addEventListener('load', finish);
    clone.addEventListener('error', finish);
    link.parentNode.insertBefore(clone, link.nextSibling);
  }

  // Re-insert an @import with a busted URL right after the old rule, then delete the old rule once the new sheet is in.
  // Chrome drops the whole parent sheet while an inserted @import loads, so preload it first: the rule then loads at once.
  function swapImport(rule) {
    var url = bust(rule.href, newStamp()), pre = document.createElement('link'), done = false;
    pre.rel = 'preload';
    pre.as = 'style';
    pre.href = new URL(url, sheetBase(rule.parentStyleSheet)).href;
    pre.onload = pre.onerror = insert;
    var t = setTimeout(insert, 5000);
    retiring.add(rule);
    document.head.appendChild(pre);
    function insert() {
      if (done) return;
      done = true;
      clearTimeout(t);
      var sheet = rule.parentStyleSheet, rules = sheet && sheet.cssRules, i = rules ? Array.prototype.indexOf.call(rules, rule) : -1;
      if (i < 0) return pre.remove();
      var text = '@import url(' + JSON.stringify(url) + ')' +
        (rule.layerName != null ? (rule.layerName ? ' layer(' + rule.layerName + ')' : ' layer') : '') +
        (rule.supportsText ? ' supports(' + rule.supportsText + ')' : '') + ' ' + rule.media.mediaText + ';';
      try { sheet.insertRule(text, i + 1); } catch (x) {
        // Constructed sheets refuse @import: reload the <link> that owns the chain instead.
        while (sheet.ownerRule) sheet = sheet.ownerRule.parentStyleSheet;
        if (sheet.ownerNode && sheet.ownerNode.tagName === 'LINK') swapLink(sheet.ownerNode);
        return pre.remove();
      }
      var fresh = rules[i + 1], until = Date.now() + 5000;
      (function poll() {
        var ready = true;
        try { ready = !!(fresh.styleSheet && fresh.styleSheet.cssRules); } catch (x) { /* cross-origin, but loaded */ }
        if (!ready && Date.now() < until) return setTimeout(poll, 20);
        var at = Array.prototype.indexOf.call(sheet.cssRules, rule);
        if (at >= 0) sheet.deleteRule(at);
        pre.remove();
      })();
    }
  }

  // Cache-bust every reference to the changed image after preloading it, so the swap shows no empty frame.
  function swapImages(path) {
    var stamp = newStamp(), cands = [];
    document.querySelectorAll('img[src], link[rel~="icon" i][href], video[poster]').forEach(function (el) {
      var attr = el.tagName === 'LINK' ? 'href' : el.tagName === 'VIDEO' ? 'poster' : 'src';
      cands.push({ url: el[attr], swap: function () { el.setAttribute(attr, bust(el.getAttribute(attr), stamp)); } });
    });
    document.querySelectorAll('[srcset]').forEach(function (el) {
      var parts = el.getAttribute('srcset').trim().split(/\s*,\s+/).map(function (s) { return s.split(/\s+/); });
      parts.forEach(function (p) {
        cands.push({ url: p[0], swap: function () {
          p[0] = bust(p[0], stamp);
          el.setAttribute('srcset', parts.map(function (q) { return q.join(' '); }).join(', '));
        } });
      });
    });
    document.querySelectorAll('[style]').forEach(function (el) { styleUrls(el.style, document.baseURI, stamp, cands); });
    eachRule(function (r) { if (r.style) styleUrls(r.style, sheetBase(r.parentStyleSheet), stamp, cands); });
    var hits = best(path, cands), preload = new Image(), done = false;
    if (!hits.length) return;
    function go() { if (!done) { done = true; swapAll(hits); } }
    preload.onload = preload.onerror = go;
    setTimeout(go, 5000);
    preload.src = bust(new URL(hits[0].url, hits[0].base || document.baseURI).href, stamp);
  }
  // Candidates for each url(...) of the image properties of one declaration block; written back as absolute URLs.
  function styleUrls(style, base, stamp, out) {
    PROPS.forEach(function (prop) {
      var value = style.getPropertyValue(prop), re = /url\(\s*(['"]?)(.*?)\1\s*\)/g, m;
      while ((m = re.exec(value))) {
        (function (token, url) {
          out.push({ url: url, base: base, swap: function () {
            var abs = new URL(url, base).href;
            style.setProperty(prop, style.getPropertyValue(prop).split(token).join('url("' + bust(abs, stamp) + '")'),
              style.getPropertyPriority(prop));
          } });
        })(m[0], m[2]);
      }
    });
  }

  addEventListener('online', reconnectNow);
  addEventListener('pageshow', reconnectNow); // back/forward cache restores a page whose socket was closed
  document.addEventListener('visibilitychange', reconnectNow);
  if (document.readyState === 'complete') restoreScroll();
  else addEventListener('load', function () { requestAnimationFrame(restoreScroll); });
  connect();
})();
