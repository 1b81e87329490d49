"""What each live-reload tool sends its browser tab, read the way its own client reads it, over a real WebSocket.

Each client keeps every message as (time.monotonic() on arrival, kind), kind being "css" (swap a stylesheet in
place) or "reload" (reload the page); hellos, pings and acknowledgements are answered or skipped.
"""
import asyncio
import json
import time

import websockets  # Debian: python3-websockets


class Client:
    def __init__(self, url):
        self.url = url
        self.messages = []
        self.arrived = asyncio.Event()
        self.ws = None
        self.reader = None

    async def connect(self, timeout=10):
        # No Origin header: liveproxy then asks for no token, as for any non-browser client.
        self.ws = await websockets.connect(self.url, open_timeout=timeout, ping_interval=None, max_size=None)
        await self.handshake()
        self.reader = asyncio.ensure_future(self.read())

    async def handshake(self):
        pass

    async def read(self):
        try:
            async for raw in self.ws:
                t = time.monotonic()
                kind = await self.kind(raw)
                if kind:
                    self.messages.append((t, kind))
                    self.arrived.set()
        except websockets.ConnectionClosed:
            pass

    async def kind(self, raw):
        raise NotImplementedError

    async def wait(self, kind, after, timeout):
        """Arrival time of the first message of this kind that came at or after `after`, or None."""
        deadline = time.monotonic() + timeout
        while True:
            for t, k in self.messages:
                if t >= after and k == kind:
                    return t
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def close(self):
        if self.reader:
            self.reader.cancel()
        if self.ws:
            await self.ws.close()


def css_or_reload(path):
    return "css" if str(path).lower().endswith(".css") else "reload"


class Liveproxy(Client):
    """liveproxy's own socket: {"type":"css","path":...} or {"type":"reload"}."""

    def __init__(self, port):
        super().__init__("ws://127.0.0.1:%d/__liveproxy/ws" % port)

    async def kind(self, raw):
        t = json.loads(raw).get("type")
        return t if t in ("css", "reload") else None


class MinimalRelay(Liveproxy):
    """minimal_relay.py: liveproxy's message format on the WebSocket at /."""

    def __init__(self, port):
        Client.__init__(self, "ws://127.0.0.1:%d/" % port)


class LiveReload(Client):
    """LiveReload protocol 7 (liveproxy's /livereload, python-livereload): hello, then info, then reload commands."""

    def __init__(self, port):
        super().__init__("ws://127.0.0.1:%d/livereload" % port)
        self.port = port

    async def handshake(self):
        await self.ws.send(json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
        hello = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
        if hello.get("command") != "hello":
            raise RuntimeError("LiveReload server answered %r" % hello)
        # python-livereload sends reloads only to tabs that have said which page they show.
        await self.ws.send(json.dumps({"command": "info", "url": "http://127.0.0.1:%d/" % self.port, "plugins": {}}))

    async def kind(self, raw):
        m = json.loads(raw)
        return css_or_reload(m.get("path", "")) if m.get("command") == "reload" else None


class BrowserSync(Client):
    """browser-sync's socket.io (engine.io 4 over a WebSocket, namespace /browser-sync)."""

    def __init__(self, port):
        super().__init__("ws://127.0.0.1:%d/browser-sync/socket.io/?EIO=4&transport=websocket" % port)

    async def handshake(self):
        opened = await asyncio.wait_for(self.ws.recv(), 10)
        if not opened.startswith("0"):
            raise RuntimeError("engine.io open packet expected, got %r" % opened[:80])
        await self.ws.send("40/browser-sync,")

    async def kind(self, raw):
        if raw == "2":  # engine.io ping
            await self.ws.send("3")
            return None
        prefix = "42/browser-sync,"
        if not raw.startswith(prefix):
            return None
        event = json.loads(raw[len(prefix):])
        if event[0] == "browser:reload":
            return "reload"
        if event[0] == "file:reload":
            data = event[1] if len(event) > 1 else {}
            return "css" if data.get("type") == "inject" or data.get("ext") == "css" else "reload"
        return None


class LiveServer(Client):
    """live-server's socket: the text "refreshcss" or "reload" (it greets with "connected")."""

    def __init__(self, port):
        super().__init__("ws://127.0.0.1:%d/ws" % port)

    async def kind(self, raw):
        return {"refreshcss": "css", "reload": "reload"}.get(raw)
