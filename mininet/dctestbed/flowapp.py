"""Traffic programs that run inside the testbed's hosts.

    python3 -m dctestbed.flowapp server --port P [--cc cubic,dctcp,...]
    python3 -m dctestbed.flowapp server --port P --switched  (cc per run on stdin)
    python3 -m dctestbed.flowapp aggregator     (incast runs requested on stdin)
    python3 -m dctestbed.flowapp flows --server A --schedule F --kind K --out F

One protocol: the client sends a request of 8 bytes (big-endian size n);
the server answers with n bytes; a zero request closes the connection.

The aggregator runs partition/aggregate queries (incast): it keeps one
persistent connection to each of N workers, asks each for S/N bytes at
once and records the query completion time (first request sent to last
byte received) in microseconds.  `flows` opens a new connection per flow
at the scheduled start times (the web-search workload, or 20 KB
request/responses) and records each flow's completion time from connect()
to its last byte.  Results go to CSV as they arrive, so an interrupted
run keeps what it measured.

Clients may bind fixed source ports, so that a run's five-tuples (and
with them each flow's multipath route) repeat for every congestion
control; they close only after the server has, which leaves TIME_WAIT
with the server, where a later SYN of the same four-tuple reopens it.
"""

import argparse
import os
import selectors
import socket
import struct
import sys
import threading
import time

REQUEST = struct.Struct("!Q")
CHUNK = 1 << 16
ZEROS = bytes(CHUNK)


def _recv_exact(sock, n):
    """Read and discard exactly n bytes; False if the peer closed first."""
    buf = bytearray(min(n, CHUNK) or 1)
    view = memoryview(buf)
    while n > 0:
        got = sock.recv_into(view, min(n, len(buf)))
        if got == 0:
            return False
        n -= got
    return True


def _send_bytes(sock, n):
    view = memoryview(ZEROS)
    while n > 0:
        n -= sock.send(view[:min(n, CHUNK)])


def _serve_connection(conn):
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        req = bytearray(REQUEST.size)
        while True:
            if not _recv_into_all(conn, req):
                return
            (n,) = REQUEST.unpack(req)
            if n == 0:
                return
            _send_bytes(conn, n)


def _recv_into_all(sock, buf):
    view, got = memoryview(buf), 0
    while got < len(buf):
        n = sock.recv_into(view[got:])
        if n == 0:
            return False
        got += n
    return True


def _listen(port, cc):
    """A listener whose accepted connections use cc: the kernel gives a
    child socket its listener's congestion control when it was set with
    TCP_CONGESTION (else the namespace default at accept time), and
    accepts an ECN-setting SYN from a DCTCP sender only if the listener's
    congestion control needs ECN."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if cc:
        srv.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    srv.bind(("", port))
    srv.listen(1024)
    return srv


def _accept_loop(srv):
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=_safe_serve, args=(conn,), daemon=True).start()


def serve(port, ccs=()):
    """Listen on port (namespace default), or on port + i for each ccs[i]."""
    listeners = [_listen(port + i, cc) for i, cc in enumerate(ccs)] if ccs else [_listen(port, None)]
    for srv in listeners[1:]:
        threading.Thread(target=_accept_loop, args=(srv,), daemon=True).start()
    print(f"listening on {port}..{port + len(listeners) - 1}", flush=True)
    _accept_loop(listeners[0])


def _safe_serve(conn):
    try:
        _serve_connection(conn)
    except OSError:
        pass        # the client went away: nothing to serve


def serve_switched(port, lines=None):
    """One listener whose congestion control each stdin line names (`CC`,
    answered `cc CC` or `error: ...`): every run of an experiment reaches
    the same port, whichever control it uses."""
    srv = _listen(port, None)
    threading.Thread(target=_accept_loop, args=(srv,), daemon=True).start()
    print(f"listening on {port}", flush=True)
    for line in lines if lines is not None else sys.stdin:
        cc = line.strip()
        try:
            srv.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
            print(f"cc {cc}", flush=True)
        except OSError as e:
            print(f"error: {cc}: {e}", flush=True)


def _connect(addr, port, cc=None, timeout=10.0, retry_s=0.0, sport=0):
    """A connection using cc (else the namespace default) with Nagle off,
    from source port sport (else an ephemeral one); retry refused
    connects for retry_s (servers started together with the client may
    not listen yet)."""
    deadline = time.monotonic() + retry_s
    while True:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if cc:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
        if sport:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("", sport))
        sock.settimeout(timeout)
        try:
            sock.connect((addr, port))
            break
        except ConnectionRefusedError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _close_after_server(sock):
    """End a connection: a zero request, then close once the server has."""
    sock.sendall(REQUEST.pack(0))
    while sock.recv(CHUNK):
        pass
    sock.close()


def incast(workers, port, total_bytes, queries, out, gap_s=0.0, timeout=30.0, cc=None, sport=0):
    """Q queries to all workers over persistent connections (worker i's
    from source port sport + i if sport is set); QCT per query."""
    share = total_bytes // len(workers)
    socks = [_connect(w, port, cc, retry_s=20, sport=sport + i if sport else 0)
             for i, w in enumerate(workers)]
    sel = selectors.DefaultSelector()
    buf = bytearray(CHUNK)
    request = REQUEST.pack(share)
    with open(out, "a", buffering=1) as f:
        print(f"connected to {len(socks)} workers", file=sys.stderr, flush=True)
        for q in range(queries):
            left = {}
            t0 = time.perf_counter_ns()
            for s in socks:
                s.sendall(request)
                left[s] = share
                sel.register(s, selectors.EVENT_READ)
            while left:
                events = sel.select(timeout)
                if not events:
                    raise TimeoutError(f"query {q}: no data for {timeout} s")
                for key, _ in events:
                    s = key.fileobj
                    n = s.recv_into(buf, min(left[s], CHUNK))
                    if n == 0:
                        raise ConnectionError(f"query {q}: a worker closed the connection")
                    left[s] -= n
                    if left[s] == 0:
                        del left[s]
                        sel.unregister(s)
            qct_us = (time.perf_counter_ns() - t0) / 1000
            f.write(f"query,{share * len(socks)},{qct_us:.1f}\n")
            if gap_s:
                time.sleep(gap_s)
    for s in socks:
        _close_after_server(s)


def _one_flow(server, port, size, kind, lock, f, errors, cc, sport=0):
    t0 = time.perf_counter_ns()
    try:
        with _connect(server, port, cc, sport=sport) as s:
            s.sendall(REQUEST.pack(size))
            if not _recv_exact(s, size):
                raise ConnectionError("server closed early")
            fct_us = (time.perf_counter_ns() - t0) / 1000
            _close_after_server(s)
    except OSError as e:
        errors.append(f"{size} bytes: {e}")
        return
    with lock:
        f.write(f"{kind},{size},{fct_us:.1f}\n")


def flows(server, port, schedule, kind, out, cc=None, sport=0):
    """Start one flow per (start_s, size) line of schedule, each on a new
    connection (the i-th from source port sport + i if sport is set)."""
    plan = []
    with open(schedule) as f:
        for line in f:
            if line.strip():
                start, size = line.split(",")
                plan.append((float(start), int(size)))
    lock, errors, threads = threading.Lock(), [], []
    with open(out, "a", buffering=1) as f:
        t0 = time.monotonic()
        for i, (start, size) in enumerate(plan):
            delay = t0 + start - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t = threading.Thread(target=_one_flow, args=(server, port, size, kind, lock, f, errors, cc,
                                                         sport + i if sport else 0))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
    for e in errors:
        print(f"flow failed: {e}", file=sys.stderr)
    return 1 if errors else 0


def aggregator():
    """Incast runs on request, one per stdin line
    `CC WORKERS PORT BYTES QUERIES GAP_MS OUT [SPORT]`, answering `done` or
    `error: ...`: one process for a whole experiment, so no interpreter
    start-up per run."""
    print("ready", flush=True)
    for line in sys.stdin:
        cc, workers, port, nbytes, queries, gap_ms, out, *sport = line.split()
        try:
            incast(workers.split(","), int(port), int(nbytes), int(queries), out,
                   float(gap_ms) / 1000, cc=cc, sport=int(sport[0]) if sport else 0)
            print("done", flush=True)
        except (OSError, ValueError) as e:
            print(f"error: {e}", flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(prog="dctestbed.flowapp", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("--port", type=int, default=5001)
    s.add_argument("--cc", default="", help="comma-separated: listen on port + i with cc i")
    s.add_argument("--switched", action="store_true",
                   help="one listener; each stdin line names its congestion control")
    sub.add_parser("aggregator", help="incast runs requested on stdin")
    fl = sub.add_parser("flows")
    fl.add_argument("--server", required=True)
    fl.add_argument("--port", type=int, default=5001)
    fl.add_argument("--schedule", required=True, help="CSV lines start_s,size_bytes")
    fl.add_argument("--kind", default="flow")
    fl.add_argument("--out", required=True)
    fl.add_argument("--cc", help="congestion control (default: the namespace's)")
    fl.add_argument("--sport", type=int, default=0, help="flow i from source port SPORT + i")
    a = p.parse_args(argv)
    if a.mode == "server" and a.switched:
        serve_switched(a.port)
    elif a.mode == "server":
        serve(a.port, [c for c in a.cc.split(",") if c])
    elif a.mode == "aggregator":
        aggregator()
    else:
        return flows(a.server, a.port, a.schedule, a.kind, a.out, cc=a.cc, sport=a.sport)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
