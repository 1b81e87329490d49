// A plain Node http server (no npm packages) to try liveproxy with.
// Run it from the repository root:
//   liveproxy --watch examples/node -- node examples/node/server.js
// Edit this file (restart), public/index.html (the page updates in place) or public/style.css (hot swap).
"use strict";

const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");

const port = Number(process.env.PORT || 8080);
const publicDir = path.join(__dirname, "public");
const started = new Date().toLocaleTimeString();
const types = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".svg": "image/svg+xml" };

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://localhost");
  const name = url.pathname === "/" ? "index.html" : url.pathname.slice(1);
  const file = path.join(publicDir, path.normalize(name));
  if (!file.startsWith(publicDir + path.sep)) {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
    return;
  }
  // Read at every request, so an edited page is served without a restart.
  fs.readFile(file, (err, data) => {
    if (err) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
      return;
    }
    let body = data;
    if (name === "index.html") {
      body = data.toString().replace("{{pid}}", String(process.pid)).replace("{{started}}", started);
    }
    res.writeHead(200, { "Content-Type": types[path.extname(file)] || "application/octet-stream" });
    res.end(body);
  });
});

server.listen(port, "127.0.0.1", () => console.log(`node example listening on http://127.0.0.1:${port}`));

// liveproxy stops the app with SIGTERM: close cleanly instead of dying mid-response.
process.on("SIGTERM", () => server.close(() => process.exit(0)));
