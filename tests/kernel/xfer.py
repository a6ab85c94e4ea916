"""Transfers whose data is checked end to end, for the stress tests.

    python3 xfer.py serve PORT
        accept connections; each sends a 16-byte header (size, seed), then
        size bytes; answer with the SHA-256 of what arrived and its length
    python3 xfer.py send ADDR PORT --sizes 20000x95,1000000x5 [--cc CC] [--seed S]
        open every connection at once, send each one's deterministic bytes,
        compare the answer with the local digest; print a JSON summary

The client is the data sender, so --cc (TCP_CONGESTION on each socket)
is the congestion control under test.
"""

import argparse
import asyncio
import hashlib
import json
import random
import resource
import socket
import struct
import sys
import time

HEADER = struct.Struct("!QQ")
CHUNK = 65536


def payload(size, seed):
    """The deterministic bytes of one connection, in chunks."""
    rng = random.Random(seed)
    left = size
    while left:
        n = min(CHUNK, left)
        yield rng.randbytes(n)
        left -= n


async def handle(reader, writer):
    try:
        size, _ = HEADER.unpack(await reader.readexactly(HEADER.size))
        h, got = hashlib.sha256(), 0
        while got < size:
            data = await reader.read(min(CHUNK, size - got))
            if not data:
                break
            h.update(data)
            got += len(data)
        writer.write(h.digest() + struct.pack("!Q", got))
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(port):
    server = await asyncio.start_server(handle, "0.0.0.0", port, backlog=4096)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


async def one(addr, port, size, seed, cc, timeout):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if cc:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    try:
        await asyncio.wait_for(loop.sock_connect(sock, (addr, port)), timeout)
        reader, writer = await asyncio.open_connection(sock=sock)
        h = hashlib.sha256()
        writer.write(HEADER.pack(size, seed))
        for chunk in payload(size, seed):
            h.update(chunk)
            writer.write(chunk)
            await asyncio.wait_for(writer.drain(), timeout)
        answer = await asyncio.wait_for(reader.readexactly(40), timeout)
        writer.close()
        digest, got = answer[:32], struct.unpack("!Q", answer[32:])[0]
        ok = digest == h.digest() and got == size
        return {"size": size, "got": got, "ok": ok, "s": round(time.monotonic() - t0, 3)}
    except (TimeoutError, OSError, asyncio.IncompleteReadError) as e:
        sock.close()
        return {"size": size, "got": 0, "ok": False, "error": f"{type(e).__name__}: {e}"}


def parse_sizes(text):
    """'20000x95,1000000x5' -> [20000] * 95 + [1000000] * 5"""
    out = []
    for part in text.split(","):
        size, _, count = part.partition("x")
        out += [int(size)] * int(count or 1)
    return out


async def send(a):
    sizes = parse_sizes(a.sizes)
    t0 = time.monotonic()
    results = await asyncio.gather(*(one(a.addr, a.port, s, a.seed * 100_000 + i, a.cc, a.timeout)
                                     for i, s in enumerate(sizes)))
    bad = [r for r in results if not r["ok"]]
    return {"connections": len(results), "ok": len(results) - len(bad), "bad": bad[:10],
            "bytes": sum(r["got"] for r in results), "seconds": round(time.monotonic() - t0, 2)}


def main(argv=None):
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("port", type=int)
    c = sub.add_parser("send")
    c.add_argument("addr")
    c.add_argument("port", type=int)
    c.add_argument("--sizes", required=True)
    c.add_argument("--cc")
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--timeout", type=float, default=120.0)
    a = p.parse_args(argv)
    try:                # a thousand connections need more than the usual 1024 files
        resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
    except (ValueError, OSError):
        pass
    if a.cmd == "serve":
        asyncio.run(serve(a.port))
        return 0
    out = asyncio.run(send(a))
    print(json.dumps(out))
    return 0 if out["ok"] == out["connections"] else 1


if __name__ == "__main__":
    sys.exit(main())
