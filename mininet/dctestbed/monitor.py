"""Monitors: one long-lived process per experiment, no fork per sample.

    python3 -m dctestbed.monitor --dev s1-eth1 --hz 1000 [--probe-filter "sport == 5001"]

samples the bottleneck qdisc over netlink (pyroute2) at a fixed rate,
writing t_s,qlen_pkts,backlog_bytes, and copies the tcp:tcp_probe
tracepoint's lines (cwnd, srtt) from a private tracefs instance to a
file, parsed after the run (parse_probe).  The parent starts and stops
each run's sampling with `start QUEUE_OUT [PROBE_OUT]` / `stop` lines.

Per-host TCP counters are read from /proc/net/{netstat,snmp} before and
after a run (parse_counters, counter_deltas).
"""

import argparse
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
from pathlib import Path

TRACEFS = Path("/sys/kernel/tracing")
INSTANCE = "dctestbed"

# the counters a report needs: timeouts, retransmissions, CE seen, CE echoed
COUNTERS = ("TcpExtTCPTimeouts", "TcpRetransSegs", "IpExtInCEPkts", "IpExtInECT0Pkts",
            "IpExtInNoECTPkts", "TcpExtTCPDeliveredCE",
            "TcpExtTCPLossProbes", "TcpExtTCPSpuriousRTOs")


def parse_counters(text):
    """/proc/net/netstat and /proc/net/snmp text -> {PrefixName: value}
    (nstat's names: the section prefix without ':' joined to the field)."""
    out = {}
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    for head, vals in zip(lines[::2], lines[1::2], strict=False):
        if not head or head[0] != vals[0]:
            continue
        prefix = head[0].rstrip(":")
        for name, val in zip(head[1:], vals[1:], strict=False):
            try:
                out[prefix + name] = int(val)
            except ValueError:
                pass
    return out


def counter_deltas(before, after, names=COUNTERS):
    return {n: after.get(n, 0) - before.get(n, 0) for n in names}


PROBE = re.compile(r"\s(\d+\.\d+): tcp_probe: .*?src=(\S+) dest=(\S+) .*?snd_nxt=0x([0-9a-f]+) "
                   r"snd_una=0x([0-9a-f]+) snd_cwnd=(\d+) .*?snd_wnd=(\d+) srtt=(\d+)")


def parse_probe(lines):
    """tcp_probe trace lines -> (t_s, flow, cwnd_pkts, srtt_us, inflight_bytes,
    snd_wnd_bytes) tuples, t_s relative to the first line.  inflight_bytes
    (snd_nxt - snd_una, sequence space) against the peer's window snd_wnd
    and cwnd tells which of them limited the sender."""
    out, t0 = [], None
    for line in lines:
        m = PROBE.search(line)
        if not m:
            continue
        t = float(m.group(1))
        t0 = t if t0 is None else t0
        inflight = (int(m.group(4), 16) - int(m.group(5), 16)) % (1 << 32)
        out.append((round(t - t0, 6), f"{m.group(2)}>{m.group(3)}", int(m.group(6)),
                    int(m.group(8)), inflight, int(m.group(7))))
    return out


# rtnetlink constants (linux/rtnetlink.h, linux/netlink.h, linux/gen_stats.h)
RTM_NEWQDISC, RTM_GETQDISC = 36, 38
NLM_F_REQUEST, NLM_F_ECHO = 0x1, 0x8
NLMSG_ERROR = 2
TCA_STATS2, TCA_STATS_QUEUE = 7, 3
NLMSG = struct.Struct("=IHHII")        # len, type, flags, seq, pid
TCMSG = struct.Struct("=BxxxiIII")     # family, ifindex, handle, parent, info
RTA = struct.Struct("=HH")             # len, type
QUEUE = struct.Struct("=II")           # gnet_stats_queue: qlen, backlog (then drops, ...)


def _attrs(buf, off, end):
    """(type, start, end) of each netlink attribute in buf[off:end]."""
    while off + RTA.size <= end:
        length, kind = RTA.unpack_from(buf, off)
        if length < RTA.size:
            return
        yield kind & 0x3fff, off + RTA.size, off + length
        off += (length + 3) & ~3


def qdisc_queue(buf):
    """(qlen, backlog) from one RTM_NEWQDISC message, or None."""
    length, kind, _, _, _ = NLMSG.unpack_from(buf, 0)
    if kind != RTM_NEWQDISC:
        return None
    for t, a, b in _attrs(buf, NLMSG.size + TCMSG.size, min(length, len(buf))):
        if t == TCA_STATS2:
            for t2, c, _ in _attrs(buf, a, b):
                if t2 == TCA_STATS_QUEUE:
                    return QUEUE.unpack_from(buf, c)
    return None


class QueueReader:
    """qlen and backlog of one qdisc (by handle) of dev: one RTM_GETQDISC
    request per sample, answered to us alone (NLM_F_ECHO), parsed for the
    one attribute needed.  pyroute2's full decoding of a dump measured
    21 ms per sample in the emulated guest, too slow for 1 kHz."""

    def __init__(self, dev, handle=0x100000):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self.sock.bind((0, 0))
        try:
            index = socket.if_nametoindex(dev)
        except OSError:
            raise SystemExit(f"monitor: no device {dev}") from None
        self.request = bytearray(NLMSG.size + TCMSG.size)
        NLMSG.pack_into(self.request, 0, len(self.request), RTM_GETQDISC,
                        NLM_F_REQUEST | NLM_F_ECHO, 1, 0)
        TCMSG.pack_into(self.request, NLMSG.size, socket.AF_UNSPEC, index, handle, 0, 0)
        self.buf = bytearray(8192)

    def read(self):
        self.sock.send(self.request)
        n = self.sock.recv_into(self.buf)
        return qdisc_queue(memoryview(self.buf)[:n])

    def close(self):
        self.sock.close()


def sample_queue(reader, hz, out, stop):
    """Sample until stop, aiming at hz.  Runs at nice 19 (see main), so
    reading faster than the traffic can spare CPU only costs idle time."""
    period = 1.0 / hz
    t0 = time.monotonic()
    nxt = t0
    with open(out, "w", buffering=1 << 16) as f:
        while not stop.is_set():
            s = reader.read()
            now = time.monotonic()
            if s is not None:
                f.write(f"{now - t0:.6f},{s[0]},{s[1]}\n")
            nxt += period
            if nxt - now > 2e-4:
                time.sleep(nxt - now)
            elif nxt < now:
                nxt = now          # behind: do not try to catch up in a burst


class Probe:
    """tcp:tcp_probe in a tracefs instance of our own, copied to a file."""

    def __init__(self, out, flt):
        self.dir = TRACEFS / "instances" / INSTANCE
        if not TRACEFS.joinpath("events").is_dir():
            raise SystemExit("monitor: tracefs is not mounted at /sys/kernel/tracing")
        self.dir.mkdir(exist_ok=True)
        (self.dir / "buffer_size_kb").write_text("8192\n")
        ev = self.dir / "events" / "tcp" / "tcp_probe"
        (ev / "filter").write_text(f"{flt or 0}\n")       # "0" clears a filter
        (ev / "enable").write_text("1\n")
        (self.dir / "trace").write_text("")
        self.ev, self.out = ev, out

    def copy(self, stop):
        with open(self.dir / "trace_pipe", "rb", buffering=0) as pipe, open(self.out, "wb") as f:
            import select
            while True:
                r, _, _ = select.select([pipe], [], [], 0.1)
                if r:
                    f.write(pipe.read(1 << 16))
                elif stop.is_set():
                    return

    def close(self):
        (self.ev / "enable").write_text("0\n")


class Session:
    """The samplers of one run: started and stopped by the parent."""

    def __init__(self, dev, handle, hz, queue_out, probe_out=None, probe_filter=""):
        self.stop = threading.Event()
        self.reader = QueueReader(dev, handle)
        self.probe = Probe(probe_out, probe_filter) if probe_out else None
        self.threads = [threading.Thread(target=sample_queue,
                                         args=(self.reader, hz, queue_out, self.stop))]
        if self.probe:
            self.threads.append(threading.Thread(target=self.probe.copy, args=(self.stop,)))
        for t in self.threads:
            t.start()

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join()
        if self.probe:
            self.probe.close()
        self.reader.close()


def main(argv=None):
    """Serve `start QUEUE_OUT [PROBE_OUT]` and `stop` lines on stdin, one
    run at a time, answering `ok` on stdout; exit at end of input."""
    p = argparse.ArgumentParser(prog="dctestbed.monitor")
    p.add_argument("--dev", required=True)
    p.add_argument("--handle", default="10:", help="qdisc handle to sample (the RED child)")
    p.add_argument("--hz", type=float, default=1000.0)
    p.add_argument("--probe-filter", default="")
    a = p.parse_args(argv)
    handle = int(a.handle.split(":")[0], 16) << 16
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the parent decides when we stop
    os.nice(19)                                      # never take CPU from the traffic
    session = None
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            words = line.split()
            if words[:1] == ["start"] and session is None:
                session = Session(a.dev, handle, a.hz, words[1],
                                  words[2] if len(words) > 2 else None, a.probe_filter)
            elif words[:1] == ["stop"] and session is not None:
                session.close()
                session = None
            else:
                print(f"error: unexpected {line.strip()!r}", flush=True)
                continue
            print("ok", flush=True)
    finally:
        if session is not None:
            session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
