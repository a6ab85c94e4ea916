"""Monitors: one long-lived process per experiment, no fork per sample.

    python3 -m dctestbed.monitor --dev s1-eth1 --hz 1000 [--probe-filter "sport == 5001"]

samples the bottleneck qdisc with one rtnetlink request per sample at a
fixed rate, writing t_s,qlen_pkts,backlog_bytes, and records the
tcp:tcp_probe tracepoint (cwnd, srtt, bytes in flight, the peer's window)
with trace-cmd into a trace instance of its own, filtered in the kernel,
turned into text when the run stops and parsed after it (parse_probe,
lost_events).  The parent starts and stops each run's sampling with
`start QUEUE_OUT [PROBE_OUT]` / `stop` lines.

Per-host TCP counters are read from /proc/PID/net/{netstat,snmp} before
and after a run (parse_counters, counter_deltas), under nstat's names.

Why not the usual tools, where this does without them:
- the queue: pyroute2 decodes every attribute of a dump; that measured
  21 ms per sample in the emulated guest (48 Hz), so the one attribute
  needed is read from a raw reply (QueueReader);
- the counters: `nstat -asz --json` is one process per host and snapshot
  (66 per run of a 32-to-1 incast); reading the files its kernel
  interface is costs none, and a test holds parse_counters to nstat.
"""

import argparse
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

TRACEFS = Path("/sys/kernel/tracing")
INSTANCE = "dctestbed"
BUFFER_KB = 8192            # per CPU: a run's events between two reads of trace-cmd

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


LOST = re.compile(r"^CPU:\d+ \[(?:(\d+) )?EVENTS DROPPED\]")


def lost_events(lines):
    """Events the ring buffer dropped, as trace-cmd report marks them:
    "CPU:1 [123 EVENTS DROPPED]", or "CPU:1 [EVENTS DROPPED]" where the
    kernel could not count them (counted as one)."""
    lost = 0
    for line in lines:
        m = LOST.match(line.strip())
        if m:
            lost += int(m.group(1) or 1)
    return lost


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
    nxt, last = t0, None
    with open(out, "w", buffering=1 << 16) as f:
        while not stop.is_set():
            s = reader.read()
            now = time.monotonic()
            # one sample per instant: in virtual time the clock stands
            # still until something sleeps, so a read without a sleep
            # between would repeat the last instant
            if s is not None and now != last:
                f.write(f"{now - t0:.6f},{s[0]},{s[1]}\n")
                last = now
            nxt += period
            if nxt <= now:
                nxt = now + period     # behind: do not try to catch up in a burst
            time.sleep(nxt - now)


def catches_sigint(pid, proc=Path("/proc")):
    """Whether process pid has a handler of its own for SIGINT (SigCgt)."""
    try:
        status = (proc / str(pid) / "status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGINT - 1) & 1)
    return False


class Probe:
    """tcp:tcp_probe recorded by `trace-cmd record` into a trace instance
    of its own (so nothing else that traces is disturbed), filtered in the
    kernel; `close()` stops it and writes the events as text to out.

    trace-cmd enables the event, sizes the ring buffer and only then
    installs its SIGINT handler and forks one recorder per CPU; until then
    it ignores SIGINT (SIG_IGN, inherited from main() here), so a stop in
    that window would be lost, and a run would wait on it for ever: ready
    means the handler is in place.  The recorders stop only when the
    trace-cmd that forked them tells them to, so a kill takes its whole
    process group (its own session)."""

    def __init__(self, out, flt):
        if not TRACEFS.joinpath("events").is_dir():
            raise SystemExit("monitor: tracefs is not mounted at /sys/kernel/tracing")
        self.out, self.dat = Path(out), Path(f"{out}.dat")
        self.proc = subprocess.Popen(
            ["trace-cmd", "record", "-q", "-B", INSTANCE, "-b", str(BUFFER_KB), "-e", "tcp:tcp_probe",
             *(["-f", flt] if flt else []), "-o", str(self.dat)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        # recording has begun once the instance's event is enabled: what
        # fires from then on is in its ring buffer; it can be stopped once
        # trace-cmd handles SIGINT
        enable = TRACEFS / "instances" / INSTANCE / "events" / "tcp" / "tcp_probe" / "enable"
        deadline = time.monotonic() + 60
        while not (enable.is_file() and enable.read_text().strip() == "1"
                   and catches_sigint(self.proc.pid)):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self._kill()
                err = self.proc.communicate()[1].decode(errors="replace").strip()
                raise SystemExit(f"monitor: trace-cmd record did not start: {err[-300:]}")
            time.sleep(0.01)

    def _kill(self):
        """trace-cmd and its recorders."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass

    def close(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self._kill()        # not just trace-cmd: its recorders hold stderr open
            _, err = self.proc.communicate(timeout=60)
        with open(self.out, "wb") as f:
            p = subprocess.run(["trace-cmd", "report", "-i", str(self.dat)], stdout=f,
                               stderr=subprocess.PIPE)
        if p.returncode != 0:
            print(f"monitor: trace-cmd report: {p.stderr.decode(errors='replace').strip()[-300:]} "
                  f"(record said: {err.decode(errors='replace').strip()[-300:]})",
                  file=sys.stderr, flush=True)
        self.dat.unlink(missing_ok=True)


class Session:
    """The samplers of one run: started and stopped by the parent."""

    def __init__(self, dev, handle, hz, queue_out, probe_out=None, probe_filter=""):
        self.stop = threading.Event()
        self.reader = QueueReader(dev, handle)
        self.probe = Probe(probe_out, probe_filter) if probe_out else None
        self.threads = [threading.Thread(target=sample_queue,
                                         args=(self.reader, hz, queue_out, self.stop))]
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
