// The developer keeps their place in a fresh Django project (startproject, bare `liveproxy`): template edits morph
// the open page in place (scroll, focus and typed text kept; median under 60 ms from the write to the new text),
// and a code edit restarts the app and brings the tab back at the same scroll position.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { connected, LiveEnv, liveSuiteOf, pageWait, PYTHON } from './harness.mjs';

const PAGE = (n) => `<!doctype html>
<html><head><meta charset="utf-8"><title>{{ title }}</title>
<script>history.scrollRestoration = 'manual'; // only liveproxy may restore the position</script>
</head><body>
<h1 id="title">Heading v${n}</h1>
<p id="said">{{ said }}</p>
<div style="height:1400px;background:linear-gradient(#fff,#ccc)"></div>
<form method="post" action="/">{% csrf_token %}
  <input id="name" name="name" value="">
  <textarea id="notes" name="notes"></textarea>
  <button id="send">send</button>
</form>
<div style="height:3000px"></div>
</body></html>
`;

const VIEWS = (said) => `import os

from django.http import HttpResponse
from django.shortcuts import render


def page(request):
    return render(request, "page.html", {"title": "place", "said": "${said}"})


def pid(request):
    """The harness asks it to know the app is up, and which process answers."""
    return HttpResponse(str(os.getpid()), content_type="text/plain")
`;

/// A project as startproject makes it, with one view and its template; liveproxy started with no command.
class DjangoEnv extends LiveEnv {
  constructor() {
    super({ 'mysite/views.py': VIEWS('said v1'), 'templates/page.html': PAGE(1) });
  }

  async start() {
    fs.mkdirSync(this.dir);
    const made = spawnSync(PYTHON, ['-m', 'django', 'startproject', 'mysite', '.'], { cwd: this.dir });
    assert.equal(made.status, 0, String(made.stderr));
    const settings = this.read('mysite/settings.py');
    assert.ok(settings.includes("'DIRS': [],"), 'startproject wrote another TEMPLATES setting');
    this.write('mysite/settings.py', settings.replace("'DIRS': [],", "'DIRS': [BASE_DIR / 'templates'],"));
    const urls = this.read('mysite/urls.py');
    this.write('mysite/urls.py', urls.replace('from django.urls import path\n', 'from django.urls import path\n\nfrom . import views\n')
      .replace("    path('admin/', admin.site.urls),\n", "    path('admin/', admin.site.urls),\n    path('', views.page),\n    path('pid', views.pid),\n"));
    await super.start();
  }

  // Zero-config: liveproxy finds manage.py in its working directory and runs runserver with its preloader.
  proxyArgs(port) { return ['--port', String(port)]; }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

liveSuiteOf('django place', () => new DjangoEnv(), (env) => {
  env.test('template edits morph in place; a code edit restarts the app and comes back at the same scroll', async () => {
    assert.match(env.log, /found a Django project \(manage\.py\)/);
    assert.match(env.log, /liveproxy --preload\b.* manage\.py runserver/, 'runserver without the preloader');
    const page = await env.open('/');
    await page.evaluate(() => { window.marker = 'kept'; scrollTo(0, 1500); });
    await page.focus('#name');
    await page.keyboard.type('Ada Lovelace');
    await page.evaluate(() => scrollTo(0, 1500));
    assert.equal(await page.evaluate(() => scrollY), 1500, 'the page is too short to scroll to 1500');

    const times = [];
    for (let n = 2; n <= 6; n++) {
      const wrote = Date.now();
      env.write('templates/page.html', PAGE(n));
      await pageWait(page, `Heading v${n}`, (t) => document.getElementById('title').textContent === t, `Heading v${n}`);
      times.push(Date.now() - wrote);
      const state = await page.evaluate(() => ({
        marker: window.marker, y: scrollY, focused: document.activeElement && document.activeElement.id,
        name: document.getElementById('name').value,
      }));
      assert.deepEqual(state, { marker: 'kept', y: 1500, focused: 'name', name: 'Ada Lovelace' }, `after edit ${n - 1}`);
    }
    console.log(`Django template edit to text in Chromium: ${times.join(', ')} ms; median ${median(times)} ms`);
    assert.ok(median(times) < 60, `median ${median(times)} ms from the write to the new text (${times.join(', ')})`);

    // A code edit: the view passes other text, so the app must restart to show it.
    const oldPid = await env.appPid();
    const wrote = Date.now();
    env.write('mysite/views.py', VIEWS('said v2'));
    await pageWait(page, 'the text of the edited view', () => document.getElementById('said')?.textContent === 'said v2');
    const shown = Date.now() - wrote;
    await pageWait(page, 'the scroll position to come back', () => scrollY === 1500, undefined, 5000);
    const state = await page.evaluate(() => ({ y: scrollY, marker: window.marker, name: document.getElementById('name').value }));
    console.log(`Django code edit to text in Chromium: ${shown} ms (${state.marker === 'kept' ? 'morphed' : 'reloaded'}; ` +
                `typed text ${state.name ? 'kept' : 'gone'})`);
    assert.equal(state.y, 1500);
    assert.notEqual(await env.appPid(), oldPid, 'the app was not restarted');
    await connected(page);
  });
});
