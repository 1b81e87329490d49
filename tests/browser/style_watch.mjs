// Frame-by-frame recorders for the CSS swap tests: what a page showed on every frame while a swap ran.

/// Records, from now on, every colour #id shows on a frame, and the fewest and the most <link>s to `pathname`
/// present at any moment (every DOM mutation is counted, not only frames).
export async function watchStyle(page, id, pathname) {
  await page.evaluate(([id, pathname]) => {
    const count = () => [...document.querySelectorAll('link[rel=stylesheet]')].filter((l) => new URL(l.href).pathname === pathname).length;
    const w = window.__watch = { colors: [], minLinks: count(), maxLinks: count(), frames: 0 };
    new MutationObserver(() => { const n = count(); w.minLinks = Math.min(w.minLinks, n); w.maxLinks = Math.max(w.maxLinks, n); })
      .observe(document.documentElement, { childList: true, subtree: true });
    (function frame() {
      const c = getComputedStyle(document.getElementById(id)).color;
      if (w.colors[w.colors.length - 1] !== c) w.colors.push(c);
      w.frames++;
      requestAnimationFrame(frame);
    })();
    window.marker = 'before-edit';
  }, [id, pathname]);
}

/// What watchStyle recorded, read only once it has sampled a frame begun after this call (`frames` more frames
/// when asked). pageWait checks its condition at once as well as on frames, so it can return between two frames:
/// read then, the record would lack the state that the next frame shows.
export function recorded(page, frames = 1) {
  return page.evaluate((frames) => new Promise((resolve) => {
    const w = window.__watch, seen = w.frames;
    (function check() {
      if (w.frames >= seen + frames) resolve({ ...w, marker: window.marker });
      else requestAnimationFrame(check);
    })();
  }), frames);
}

export const colorOf = (page, id) => page.evaluate((id) => getComputedStyle(document.getElementById(id)).color, id);
