"""The monitors' parsers: nstat counters, tcp_probe lines and the
netlink qdisc reply the queue sampler reads."""

import os
import signal
import struct

from dctestbed import monitor

NETSTAT = """TcpExt: SyncookiesSent TCPTimeouts TCPDeliveredCE
TcpExt: 0 7 12
IpExt: InNoRoutes InCEPkts InECT0Pkts
IpExt: 0 345 1000
"""
SNMP = """Tcp: RtoAlgorithm RetransSegs
Tcp: 1 42
"""


def test_counters_use_nstat_names():
    c = monitor.parse_counters(NETSTAT + SNMP)
    assert c["TcpExtTCPTimeouts"] == 7
    assert c["IpExtInCEPkts"] == 345
    assert c["TcpRetransSegs"] == 42
    assert c["TcpExtTCPDeliveredCE"] == 12


def test_counter_deltas_cover_every_counter():
    before = monitor.parse_counters(NETSTAT + SNMP)
    after = dict(before, TcpExtTCPTimeouts=10, IpExtInCEPkts=400)
    d = monitor.counter_deltas(before, after)
    assert set(d) == set(monitor.COUNTERS)
    assert d["TcpExtTCPTimeouts"] == 3 and d["IpExtInCEPkts"] == 55 and d["TcpRetransSegs"] == 0


PROBE = ("          <idle>-0       [001] ..s1.  {t}: tcp_probe: family=AF_INET "
         "src=10.0.0.2:5001 dest=10.0.0.1:40000 mark=0x0 data_len=0 snd_nxt={nxt} snd_una={una} "
         "snd_cwnd={cwnd} ssthresh=7 snd_wnd=64000 srtt={srtt} rcv_wnd=65000 sock_cookie=2a")


def test_probe_lines_parsed_relative_to_the_first():
    lines = [PROBE.format(t="100.500000", cwnd=10, srtt=850, nxt="0x5a8", una="0x1"), "garbage line",
             # snd_nxt has wrapped past 2^32, snd_una not yet
             PROBE.format(t="100.750250", cwnd=14, srtt=1200, nxt="0x3e7", una="0xfffffc17")]
    out = monitor.parse_probe(lines)
    assert out == [(0.0, "10.0.0.2:5001>10.0.0.1:40000", 10, 850, 1447, 64000),
                   (0.25025, "10.0.0.2:5001>10.0.0.1:40000", 14, 1200, 2000, 64000)]


def test_lost_events_counted_from_trace_cmd_markers():
    lines = [PROBE.format(t="1.0", cwnd=10, srtt=850, nxt="0x5a8", una="0x1"),
             "CPU:1 [123 EVENTS DROPPED]", "CPU:0 [EVENTS DROPPED]",
             "  comm-1 [000] 2.0: tcp_probe: ... the words EVENTS DROPPED in an event"]
    assert monitor.lost_events(lines) == 124
    assert monitor.lost_events(lines[:1]) == 0


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def newqdisc(qlen, backlog, with_queue=True):
    basic = attr(1, struct.pack("=QI", 123456, 99))
    queue = attr(monitor.TCA_STATS_QUEUE, struct.pack("=IIIII", qlen, backlog, 3, 0, 5))
    stats2 = attr(monitor.TCA_STATS2 | 0x8000, basic + (queue if with_queue else b""))
    body = monitor.TCMSG.pack(0, 7, 0x100000, 0x10010, 1) + attr(1, b"red\0") + stats2
    return monitor.NLMSG.pack(16 + len(body), monitor.RTM_NEWQDISC, 0, 1, 0) + body


def test_qdisc_reply_gives_qlen_and_backlog():
    assert monitor.qdisc_queue(newqdisc(17, 25500)) == (17, 25500)


def test_qdisc_reply_without_queue_stats_or_an_error_gives_none():
    assert monitor.qdisc_queue(newqdisc(1, 1, with_queue=False)) is None
    err = monitor.NLMSG.pack(36, monitor.NLMSG_ERROR, 0, 1, 0) + bytes(20)
    assert monitor.qdisc_queue(err) is None


def test_request_asks_for_one_qdisc_echoed_to_us(monkeypatch):
    monkeypatch.setattr(monitor.socket, "if_nametoindex", lambda dev: 7)
    r = monitor.QueueReader("s1-eth1", 0x100000)
    try:
        length, kind, flags, _, _ = monitor.NLMSG.unpack_from(r.request, 0)
        _, index, handle, parent, _ = monitor.TCMSG.unpack_from(r.request, 16)
        assert (length, kind) == (len(r.request), monitor.RTM_GETQDISC)
        assert flags & monitor.NLM_F_ECHO and flags & monitor.NLM_F_REQUEST
        assert (index, handle, parent) == (7, 0x100000, 0)
    finally:
        r.close()


def test_counters_agree_with_nstat():
    """parse_counters reads what nstat reads: in a network namespace of
    its own, after some traffic there, both give the same names and values."""
    import json
    import shutil
    import subprocess

    import pytest
    if not (shutil.which("nstat") and shutil.which("unshare")):
        pytest.fail("nstat (iproute2) and unshare (util-linux) are needed")
    script = ("ip link set lo up && ping -q -c 3 -i 0.2 127.0.0.1 >/dev/null && "
              "nstat -asz --json && echo @@ && cat /proc/net/netstat /proc/net/snmp")
    p = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    tool, files = p.stdout.split("@@\n")
    want = json.loads(tool)["kernel"]
    got = monitor.parse_counters(files)
    assert set(monitor.COUNTERS) <= set(got)
    common = set(got) & set(want)
    assert len(common) > 100 and {k: got[k] for k in common} == {k: want[k] for k in common}
    # nstat leaves out the settings among the counters; we keep them
    settings = {"IpForwarding", "IpDefaultTTL", "TcpRtoAlgorithm", "TcpRtoMin", "TcpRtoMax",
                "TcpMaxConn", "TcpCurrEstab"}
    assert set(got) - set(want) <= settings
    prefixes = {n.split(":")[0] for n in files.split() if n.endswith(":")}
    assert {k for k in want if any(k.startswith(p) for p in prefixes)
            and not k.startswith(("Ip6", "Icmp6", "Udp6", "UdpLite6"))} <= set(got)
    assert got["IpInReceives"] > 0 and got["IcmpInEchos"] == 3


class VirtualClock:
    """Time as User-Mode Linux's time travel keeps it: it moves only when
    the program sleeps, or by what a read costs (the reader's delays)."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, s):
        assert s > 0, s
        self.sleeps.append(s)
        self.now += s


class SlowReader:
    """A queue reader whose reads cost the given delays in turn (then 0),
    stopping the sampler after n reads."""

    def __init__(self, clock, delays, n, stop):
        self.clock, self.delays, self.n, self.stop, self.reads = clock, list(delays), n, stop, 0

    def read(self):
        self.clock.now += self.delays.pop(0) if self.delays else 0.0
        self.reads += 1
        if self.reads == self.n:
            self.stop.set()
        return (self.reads, 1500 * self.reads)


def sample(monkeypatch, tmp_path, delays, n=50, hz=1000):
    import threading
    clock = VirtualClock()
    monkeypatch.setattr(monitor.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(monitor.time, "sleep", clock.sleep)
    stop = threading.Event()
    out = tmp_path / "queue.csv"
    monitor.sample_queue(SlowReader(clock, delays, n, stop), hz, out, stop)
    return [float(line.split(",")[0]) for line in out.read_text().splitlines()], clock


def test_queue_sampler_never_repeats_an_instant_in_virtual_time(monkeypatch, tmp_path):
    """Reads that take no time (virtual time) still give one sample per
    period, each at a later instant than the last."""
    t, clock = sample(monkeypatch, tmp_path, delays=[])
    assert len(t) == 50
    assert all(b > a for a, b in zip(t, t[1:], strict=False))
    assert all(abs((b - a) - 0.001) < 1e-9 for a, b in zip(t, t[1:], strict=False))


def test_queue_sampler_does_not_burst_after_falling_behind(monkeypatch, tmp_path):
    """A read that takes 5 periods is followed by one period's wait, not
    by a burst of catch-up reads at the same instant."""
    t, clock = sample(monkeypatch, tmp_path, delays=[0.0, 0.0, 0.005, 0.0, 0.0], n=6)
    gaps = [round(b - a, 6) for a, b in zip(t, t[1:], strict=False)]
    assert len(t) == 6 and gaps == [0.001, 0.006, 0.001, 0.001, 0.001]


def test_probe_is_ready_only_once_trace_cmd_handles_sigint(tmp_path):
    """Before trace-cmd installs its SIGINT handler it ignores SIGINT (the
    monitor's SIG_IGN is inherited across exec): a stop then is lost."""
    def status(pid, cgt):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "status").write_text(
            f"Name:\ttrace-cmd\nSigIgn:\t0000000000000002\nSigCgt:\t{cgt}\n")
    status(1, "0000000000000000")           # still setting up: SIGINT ignored
    status(2, "0000000000004a02")           # handler in place (SIGINT, SIGUSR1, ...)
    status(3, "0000000000004a00")
    assert not monitor.catches_sigint(1, tmp_path)
    assert monitor.catches_sigint(2, tmp_path)
    assert not monitor.catches_sigint(3, tmp_path)
    assert not monitor.catches_sigint(4, tmp_path)          # gone
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert not monitor.catches_sigint(os.getpid())
        signal.signal(signal.SIGINT, lambda *_: None)
        assert monitor.catches_sigint(os.getpid())
    finally:
        signal.signal(signal.SIGINT, old)
