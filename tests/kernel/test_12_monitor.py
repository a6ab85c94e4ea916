"""The testbed's monitors against the kernel: the queue sampler's raw
rtnetlink reply says what pyroute2 and tc decode from the same qdisc, and
the monitor process, driven as the runner drives it, writes a queue
series and a tcp_probe record that describe the traffic that ran."""

import json
import subprocess
import sys
import time

import netlab
import pytest
from dctestbed import monitor

# sampling rates and series against time: in virtual time, where load cannot move them
pytestmark = pytest.mark.virtual

RATE_MBIT, K, LIMIT = 10, 20, 100
MONITOR_ENV = {"PYTHONPATH": str(netlab.TOP / "mininet"), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}


def in_ns(ns, code):
    """Run python code in namespace ns; its stdout as JSON."""
    p = netlab.sh(["env", f"PYTHONPATH={netlab.TOP / 'mininet'}", sys.executable, "-c", code], ns)
    return json.loads(p.stdout)


def test_queue_reader_reads_what_pyroute2_and_tc_decode(lab):
    """A RED port shaped to 8 kbit/s holds a burst for seconds: its queue
    stands still long enough to be read three ways."""
    a, b, da, db = netlab.pair(lab)
    # nothing but the burst in the queue: no IPv6 neighbour discovery, and
    # the peer's address resolved already (no ARP request, nothing held back)
    netlab.sysctl(f"net.ipv6.conf.{da}.disable_ipv6", 1, a)
    mac = json.loads(netlab.sh(["ip", "-j", "link", "show", db], b).stdout)[0]["address"]
    netlab.sh(["ip", "neigh", "replace", "10.77.0.2", "lladdr", mac, "dev", da, "nud", "permanent"], a)
    netlab.red_bottleneck(a, da, 0.008, 20, 100)
    sender = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
              "for _ in range(30): s.sendto(bytes(1000), ('10.77.0.2', 9))")
    netlab.sh([sys.executable, "-c", sender], a)
    code = (
        "import json, socket, subprocess\n"
        "from dctestbed.monitor import QueueReader\n"
        "from pyroute2 import IPRoute\n"
        f"dev = {da!r}\n"
        "reader, ipr = QueueReader(dev), IPRoute()\n"
        "index = socket.if_nametoindex(dev)\n"
        "def decoded():\n"
        "    m = next(m for m in ipr.get_qdiscs(index=index) if m['handle'] == 0x100000)\n"
        "    q = m.get_attr('TCA_STATS2').get_attr('TCA_STATS_QUEUE')\n"
        "    return [q['qlen'], q['backlog']]\n"
        "def tc():\n"
        "    out = subprocess.run(['tc', '-s', '-j', 'qdisc', 'show', 'dev', dev],\n"
        "                         capture_output=True, text=True, check=True).stdout\n"
        "    q = next(q for q in json.loads(out) if q['handle'] == '10:')\n"
        "    return [q['qlen'], q['backlog']]\n"
        "print(json.dumps([[list(reader.read()), decoded(), tc()] for _ in range(3)]))\n")
    reads = in_ns(a, code)
    # a dequeue may fall between two reads: one of three rounds agrees throughout
    agreeing = [r for r in reads if r[0] == r[1] == r[2]]
    assert agreeing, reads
    qlen, backlog = agreeing[0][0]
    assert 15 <= qlen <= 30, reads          # the burst, less the ~1 packet/s 8 kbit/s sends
    assert backlog == qlen * (1000 + 8 + 20 + 14), reads   # UDP, IPv4 and Ethernet headers


def test_monitor_process_records_queue_and_tcp_probe(lab, tmp_path):
    a, r, b, rb = netlab.dumbbell(lab, "dctcp")
    netlab.red_bottleneck(r, rb, RATE_MBIT, K, LIMIT)
    # as the runner drives it: start and stop lines on stdin, "ok" for each;
    # tcp_probe filtered to the iperf3 clients, the data senders
    # nsenter, not ip netns exec: the latter mounts a /sys of its own, without tracefs
    env = [f"{k}={v}" for k, v in MONITOR_ENV.items()]
    proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{r}", "env", *env, sys.executable, "-m",
                             "dctestbed.monitor", "--dev", rb, "--hz", "1000",
                             "--probe-filter", "dport == 5201"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)

    def said(expected):
        line = proc.stdout.readline().strip()
        if line != expected and proc.poll() is not None:
            line += " / " + proc.stderr.read()[-500:]
        return line
    try:
        assert said("ready") == "ready"
        queue_out, probe_out = tmp_path / "queue.csv", tmp_path / "probe.txt"
        proc.stdin.write(f"start {queue_out} {probe_out}\n")
        proc.stdin.flush()
        assert said("ok") == "ok"
        t0 = time.monotonic()
        result = netlab.iperf(lab, a, b, "10.77.2.2", seconds=3, streams=2)
        elapsed = time.monotonic() - t0
        proc.stdin.write("stop\n")
        proc.stdin.flush()
        assert said("ok") == "ok"
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0

    # the queue: one row per sample, in time order, at a rate near what was asked
    rows = [line.split(",") for line in queue_out.read_text().splitlines()]
    t = [float(x[0]) for x in rows]
    q = [int(x[1]) for x in rows]
    backlog = [int(x[2]) for x in rows]
    assert all(t1 > t0 for t0, t1 in zip(t, t[1:], strict=False))
    assert t[-1] - t[0] >= 0.8 * 3 and t[-1] <= elapsed + 1
    assert len(rows) / (t[-1] - t[0]) >= 100, len(rows)      # asked for 1000 Hz at nice 19
    assert all(0 <= x <= LIMIT for x in q)
    # two dctcp flows at 10 Mbit/s hold the queue around K
    busy = sorted(q[len(q) // 3:])
    assert 0.3 * K <= busy[len(busy) // 2] <= 3 * K, busy[len(busy) // 2]
    # bytes per queued packet: full-sized data frames
    assert 1300 <= sum(backlog) / max(1, sum(q)) <= 1600

    # tcp_probe: the two data flows, their windows and RTTs
    lines = probe_out.read_text().splitlines()
    assert monitor.lost_events(lines) == 0
    samples = monitor.parse_probe(lines)
    per_flow = {}
    for _, flow, *_ in samples:
        per_flow[flow] = per_flow.get(flow, 0) + 1
    assert all(f.endswith(":5201") for f in per_flow), per_flow     # the filter held
    # the two data streams (iperf3's control connection sends next to nothing)
    senders = sorted(per_flow, key=per_flow.get)[-2:]
    data = [s for s in samples if s[1] in senders]
    assert len(senders) == 2 and len(data) >= 0.9 * len(samples) and len(data) >= 100, per_flow
    assert all(s[0] >= 0 for s in data) and [s[0] for s in data] == sorted(s[0] for s in data)
    assert all(1 <= s[2] <= 1000 for s in data)              # cwnd, packets
    srtt_ms = sorted(s[3] / 1000 for s in data)
    # srtt: above the idle path's sub-ms RTT, below a full 100-packet queue (120 ms) + slack
    assert 0.1 <= srtt_ms[len(srtt_ms) // 2] <= 150, srtt_ms[len(srtt_ms) // 2]
    goodput = netlab.goodput_mbit(result)
    assert goodput > 0.5 * RATE_MBIT, goodput
    left = netlab.sh(["ls", "/sys/kernel/tracing/instances"]).stdout.split()
    assert monitor.INSTANCE not in left, "the monitor left its trace instance behind"
