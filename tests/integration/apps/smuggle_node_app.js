// A strict app for the request-framing tests: Node's own HTTP parser (llhttp), recording every request it parses.
//
// Each request, each aborted request and each parse error is appended as one line to
// $TEST_APP_STATE_DIR/requests.log (a directory liveproxy does not watch), so the test sees exactly
// what the app read, without asking the app through the proxy. A line is space-separated tokens;
// every value is hex behind an "x" (so no token is empty and any byte survives):
//   REQ     x<method> x<url> x<body> x<name>=x<value> ...   a complete request, header fields as received
//   PARTIAL x<method> x<url> x<body so far> x<name>=x<value> ...   the connection ended before the body did
//   ERROR   x<code> x<bytes the parser choked on>
// Every request is answered "app saw METHOD URL" (GET /pid: the PID, which the test fixture waits for). A URL
// containing "slow" is answered after 300 ms, so an answer to a smuggled request is still on its way when the
// proxy hands the connection to the next client.
//
// Usage: node smuggle_node_app.js PORT   (or PORT in the environment); listens on 127.0.0.1.
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const port = Number(process.argv[2] || process.env.PORT);
const stateDir = process.env.TEST_APP_STATE_DIR;
const logPath = stateDir ? path.join(stateDir, 'requests.log') : null;

const hex = (value) => 'x' + Buffer.from(value, 'latin1').toString('hex');
const hexBuffer = (buffer) => 'x' + buffer.toString('hex');

/// One line per event; a single append, so a reader sees whole lines only (it ignores an unfinished last one).
function record(tokens) {
  if (logPath) fs.appendFileSync(logPath, tokens.join(' ') + '\n');
}

function fieldTokens(rawHeaders) {
  const out = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) out.push(hex(rawHeaders[i]) + '=' + hex(rawHeaders[i + 1]));
  return out;
}

const server = http.createServer({
  // Short timeouts, checked often: an app left waiting for a body that never comes gives up in about 2 s
  // (and records what it had) instead of holding the test.
  requestTimeout: 2000,
  headersTimeout: 2000,
  connectionsCheckingInterval: 250,
}, (req, res) => {
  const chunks = [];
  let ended = false;
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    ended = true;
    record(['REQ', hex(req.method), hex(req.url), hexBuffer(Buffer.concat(chunks)), ...fieldTokens(req.rawHeaders)]);
    const body = req.url === '/pid' ? String(process.pid) : 'app saw ' + req.method + ' ' + req.url + '\n';
    const answer = () => {
      res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body, 'latin1')});
      res.end(body, 'latin1');
    };
    if (req.url.includes('slow')) setTimeout(answer, 300);
    else answer();
  });
  req.on('close', () => {
    if (!ended)
      record(['PARTIAL', hex(req.method), hex(req.url), hexBuffer(Buffer.concat(chunks)), ...fieldTokens(req.rawHeaders)]);
  });
});

server.on('clientError', (err, socket) => {
  // A connection the proxy closes while idle is no error of a request: nothing was sent on it.
  const raw = err.rawPacket ? Buffer.from(err.rawPacket) : Buffer.alloc(0);
  if (err.code === 'ECONNRESET' && raw.length === 0) {
    socket.destroy();
    return;
  }
  record(['ERROR', hex(String(err.code)), hexBuffer(raw)]);
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  else socket.destroy();
});

server.listen(port, '127.0.0.1', () => {
  console.log('smuggle_node_app: listening on 127.0.0.1:' + port + ' pid=' + process.pid);
});

// If liveproxy dies without stopping us, exit anyway: a test must never leave an app behind.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 200).unref();
process.on('SIGTERM', () => process.exit(0));
