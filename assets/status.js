// The status page: renders each snapshot liveproxy sends on /__liveproxy/status, and reconnects when the
// socket drops (liveproxy restarted, laptop slept). Text goes in with textContent only: app output is data.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let last = null;
  let skew = 0;  // liveproxy's clock minus ours, so uptimes do not drift with the browser's clock

  function text(id, value) { $(id).textContent = value === undefined || value === null || value === "" ? "–" : String(value); }

  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }

  function clock(ms) { return new Date(ms).toLocaleTimeString(); }

  // The app's colours: liveproxy keeps only SGR sequences in the output it sends; each run of text becomes a span
  // (textContent, never markup) with the classes of the colours in force.
  function outputNodes(lines) {
    const nodes = [];
    const st = { bold: false, dim: false, fg: -1, bg: -1 };
    const sgr = /\x1b\[([0-9;]*)m/g;
    const text = lines.join("\n");
    let at = 0;
    const push = (piece) => {
      if (!piece) return;
      const cls = [st.bold && "ansi-bold", st.dim && "ansi-dim", st.fg >= 0 && "ansi-fg" + st.fg,
                   st.bg >= 0 && "ansi-bg" + st.bg].filter(Boolean).join(" ");
      if (!cls) { nodes.push(document.createTextNode(piece)); return; }
      const span = document.createElement("span");
      span.className = cls;
      span.textContent = piece;
      nodes.push(span);
    };
    for (let m; (m = sgr.exec(text)) !== null;) {
      push(text.slice(at, m.index));
      at = sgr.lastIndex;
      for (const p of (m[1] || "0").split(";").map(Number)) {
        if (p === 0) Object.assign(st, { bold: false, dim: false, fg: -1, bg: -1 });
        else if (p === 1) st.bold = true;
        else if (p === 2) st.dim = true;
        else if (p === 22) st.bold = st.dim = false;
        else if (p >= 30 && p <= 37) st.fg = p - 30;
        else if (p >= 90 && p <= 97) st.fg = p - 90 + 8;
        else if (p === 39) st.fg = -1;
        else if (p >= 40 && p <= 47) st.bg = p - 40;
        else if (p === 49) st.bg = -1;
      }
    }
    push(text.slice(at));
    return nodes;
  }

  function renderTimes() {
    if (!last) return;
    const app = last.app;
    text("uptime", app.state === "running" && app.started ? duration(Date.now() + skew - app.started) : "");
  }

  function render(st) {
    last = st;
    skew = st.now - Date.now();
    const app = st.app;
    const state = $("state");
    state.textContent = app.state;
    state.className = "badge " + app.state;
    text("exit", app.prompt ? "stopped at a prompt in the terminal: " + app.prompt : app.exit);
    text("error", app.error ? app.error.headline + (app.error.where ? " (" + app.error.where + ")" : "") : "");
    text("command", app.command);
    text("target", st.target);
    text("pid", app.pid);
    text("run", app.run);
    text("start", app.start_ms !== undefined ? app.start_ms + " ms" : "");
    text("tabs", st.tabs);
    text("held", st.held);
    $("restart").hidden = st.mode !== "command";
    const restart = st.actions.find((a) => a.action === "restart");
    text("last-restart", restart ? clock(restart.at) + ", " + restart.files + (restart.outcome ? ": " + restart.outcome : " (under way)") : "");
    renderTimes();

    // A phone on the LAN: the Network URL as a QR code (an image of ours, drawn from that URL), and with --https
    // the authority to trust.
    const phone = st.phone;
    $("phone-section").hidden = !phone;
    if (phone) {
      const link = $("phone-url");
      if (link.textContent !== phone.url) {
        link.textContent = phone.url;
        link.href = phone.url;
      }
      $("phone-ca").hidden = !phone.ca_fingerprint;
      text("phone-ca-fingerprint", phone.ca_fingerprint || "");
    }

    // Several apps: one row each (the main app first); a side process has no routes.
    $("apps-section").hidden = !st.apps;
    $("apps").replaceChildren(...(st.apps || []).map((a) => {
      const tr = document.createElement("tr");
      const badge = document.createElement("span");
      badge.className = "badge " + a.state;
      badge.textContent = a.state;
      const cells = [a.name, badge, a.pid || "", a.routes || "(side process)", a.command, a.last || ""];
      for (const v of cells) {
        const td = document.createElement("td");
        if (typeof v === "string" || typeof v === "number") td.textContent = v;
        else td.append(v);
        tr.append(td);
      }
      return tr;
    }));

    const rows = st.actions.map((a) => {
      const tr = document.createElement("tr");
      for (const v of [clock(a.at), a.files, a.action, a.outcome || "under way"]) {
        const td = document.createElement("td");
        td.textContent = v;
        tr.append(td);
      }
      return tr;
    });
    if (rows.length === 0) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.colSpan = 4;
      td.textContent = "none yet";
      tr.append(td);
      rows.push(tr);
    }
    $("actions").replaceChildren(...rows);

    const consoleRows = (st.console || []).map((c) => {
      const li = document.createElement("li");
      li.className = c.level;
      li.textContent = clock(c.at) + " " + c.text;
      return li;
    });
    $("console-section").hidden = consoleRows.length === 0;
    $("console").replaceChildren(...consoleRows);

    text("backend", st.watch.backend);
    $("roots").replaceChildren(...st.watch.roots.map((r) => {
      const li = document.createElement("li");
      li.textContent = r.path + ": " + r.files + " files in " + r.dirs + " directories";
      return li;
    }));

    const out = $("output");
    const atBottom = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
    out.replaceChildren(...outputNodes(st.output));
    if (atBottom) out.scrollTop = out.scrollHeight;
  }

  function connect() {
    const token = document.querySelector('meta[name="liveproxy-token"]').content;
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host +
                             "/__liveproxy/status?token=" + encodeURIComponent(token));
    ws.onopen = () => { $("connection").textContent = "live"; $("connection").className = "badge on"; };
    ws.onmessage = (ev) => {
      const st = JSON.parse(ev.data);
      if (st.type === "status") render(st);
    };
    ws.onclose = () => {
      $("connection").textContent = "disconnected: retrying";
      $("connection").className = "badge off";
      setTimeout(connect, 1000);
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("restart").addEventListener("click", async () => {
      $("restart-result").textContent = "";
      try {
        const token = document.querySelector('meta[name="liveproxy-token"]').content;
        const res = await fetch("/__liveproxy/restart", { method: "POST", headers: { "X-Liveproxy-Token": token } });
        $("restart-result").textContent = res.ok ? "restarting…" : "refused: " + res.status;
      } catch (e) {
        $("restart-result").textContent = "failed: " + e;
      }
    });
    setInterval(renderTimes, 1000);
    connect();
  });
})();
