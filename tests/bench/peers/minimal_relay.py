#!/usr/bin/python3
"""minimal_relay.py: the reference row of change_bench.py: a change -> socket message with almost nothing in
between, measured the same way. inotify (IN_CLOSE_WRITE, the folder's top level only) -> a WebSocket text frame in
liveproxy's format ({"type":"css","path":...} or {"type":"reload"}), one Python process, no classification or
batching. It is no floor (Python's asyncio and websockets cost their share): it shows what the cross-process
wake-ups of this machine and client allow, which sets how far below it any tool can be measured.

usage: minimal_relay.py PORT FOLDER
"""
import asyncio
import ctypes
import json
import os
import struct
import sys

import websockets  # Debian: python3-websockets

IN_CLOSE_WRITE = 0x8


async def main(port, folder):
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0 or libc.inotify_add_watch(fd, folder.encode(), IN_CLOSE_WRITE) < 0:
        sys.exit("minimal_relay: inotify: " + os.strerror(ctypes.get_errno()))
    clients = set()

    def on_inotify():
        data = os.read(fd, 65536)
        at = 0
        while at < len(data):
            _, _, _, size = struct.unpack_from("iIII", data, at)
            name = data[at + 16:at + 16 + size].rstrip(b"\0").decode()
            at += 16 + size
            msg = json.dumps({"type": "css", "path": "/" + name} if name.endswith(".css") else {"type": "reload"})
            for ws in list(clients):
                asyncio.ensure_future(ws.send(msg))

    async def serve(ws, _path=None):
        clients.add(ws)
        try:
            await ws.send(json.dumps({"type": "hello"}))
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    asyncio.get_running_loop().add_reader(fd, on_inotify)
    async with websockets.serve(serve, "127.0.0.1", port):
        await asyncio.Future()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[-1])
        sys.exit(0 if len(sys.argv) == 2 else 2)
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
