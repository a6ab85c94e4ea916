"""Namespaces, links, bottlenecks and traffic for the in-kernel tests.

Everything here drives the kernel through iproute2, sysctl, iperf3, ss and
tcpdump, the way a user on a testbed host would.
"""

import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "mininet"))

from dctestbed.port import RedPort, offloads_off  # noqa: E402
from dctestbed.variants import module_file, write_params  # noqa: E402
from pyroute2 import IPRoute  # noqa: E402
from pyroute2.netns import setns  # noqa: E402

CCS = ("xdctcp", "tdctcp")
KO = {cc: module_file(cc) for cc in CCS}
# where the tests keep what they write (run.sh: next to the pytest log)
LOG_DIR = Path(os.environ.get("KERNEL_TEST_LOG_DIR") or TOP / "results" / "kernel-tests")


def testbed_env():
    """The environment of a testbed program the tests start: the testbed
    package, and the clock and module directory of the kernel under test
    (the User-Mode Linux testbed's init exports them)."""
    env = {"PYTHONPATH": str(TOP / "mininet"), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    env.update((k, os.environ[k]) for k in ("DCTESTBED_CLOCK", "DCTESTBED_MODULE_DIR")
               if os.environ.get(k))
    return env
def assert_no_switch_left(switch):
    """Nothing of an experiment's network is left: no NODE-ethN link, no
    switch s1 (a Linux bridge), no Open vSwitch bridge where it was used."""
    links = sh("ip -o link show").stdout
    assert "s1-eth" not in links and "h1-eth" not in links, links
    assert not re.search(r"^\d+: s1[:@]", links, re.M), links
    if switch == "ovs":
        bridges = subprocess.run(["ovs-vsctl", "--timeout=5", "list-br"], capture_output=True,
                                 text=True, env={**testbed_env(), "OVS_RUNDIR": "/tmp/dctestbed-ovs"},
                                 timeout=30)
        assert bridges.returncode == 0 and bridges.stdout.strip() == "", bridges.stderr


# what non-initial namespaces may choose as their default (the kernel
# forgets a module's place in this list when the module is unloaded)
ALLOWED = "reno cubic dctcp xdctcp tdctcp bpf_xdctcp bpf_tdctcp"
CC_NAMES = {"cubic", "reno", "dctcp", "dctcp-reno", "xdctcp", "tdctcp", "xdctcp-reno", "tdctcp-reno",
            "bpf_xdctcp", "bpf_tdctcp"}


def sh(cmd, ns=None, check=True, timeout=120):
    """Run a command (in network namespace ns); return the CompletedProcess."""
    args = shlex.split(cmd) if isinstance(cmd, str) else [str(a) for a in cmd]
    if ns:
        args = ["ip", "netns", "exec", ns, *args]
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{shlex.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def sysctl(name, value=None, ns=None):
    if value is None:
        return sh(["sysctl", "-n", name], ns).stdout.strip()
    sh(["sysctl", "-qw", f"{name}={value}"], ns)
    return str(value)


def module_loaded(name):
    return Path(f"/sys/module/{name}").is_dir()


def unload(cc, wait_s=90):
    """rmmod the module for cc, waiting for sockets of deleted namespaces
    (torn down asynchronously by the kernel) and orphaned connections (in
    FIN_WAIT_2 for up to net.ipv4.tcp_fin_timeout, 60 s) to release it.
    In virtual time the wait costs no wall time."""
    deadline = time.monotonic() + wait_s
    while module_loaded(f"tcp_{cc}"):
        p = sh(["rmmod", f"tcp_{cc}"], check=False)
        if p.returncode == 0:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"rmmod tcp_{cc}: {p.stderr.strip()}")
        time.sleep(0.5)


def load(cc):
    """Make sure the module for cc is this tree's build: insmod it, or
    replace a loaded module built from other sources."""
    want = sh(["modinfo", "-F", "srcversion", KO[cc]]).stdout.strip()
    srcversion = Path(f"/sys/module/tcp_{cc}/srcversion")
    if module_loaded(f"tcp_{cc}"):
        if srcversion.exists() and srcversion.read_text().strip() == want:
            return
        unload(cc)
    sh(["insmod", KO[cc]])
    allow_in_namespaces()


def allow_in_namespaces():
    """Put the allowed list back (the names of ALLOWED that are registered):
    a namespace asking for a module missing from it is refused with EPERM, and on 6.1 the refusal also keeps a
    reference to the module for good (test_02_select.py)."""
    available = sysctl("net.ipv4.tcp_available_congestion_control").split()
    sysctl("net.ipv4.tcp_allowed_congestion_control",
           " ".join(n for n in ALLOWED.split() if n in available))


def param_path(cc, name):
    return Path(f"/sys/module/tcp_{cc}/parameters/{name}")


def param(cc, name, value=None):
    path = param_path(cc, name)
    if value is None:
        return int(path.read_text())
    path.write_text(f"{value}\n")
    return value


def restore_params(saved):
    """Write back {path: text} of parameter files (in an order tdctcp's
    threshold pairs accept)."""
    refused = write_params(saved)
    if refused:
        raise OSError(f"cannot restore {sorted(map(str, refused))}")


BPF_CCS = ("bpf_xdctcp", "bpf_tdctcp")


def bpf_cc(*args, check=True):
    """Run scripts/bpf-cc (the BPF builds' loader) with args."""
    return sh([TOP / "scripts" / "bpf-cc", *args], check=check)


def bpf_registered():
    """The BPF builds registered now."""
    return set(sysctl("net.ipv4.tcp_available_congestion_control").split()) & set(BPF_CCS)


def bpf_params(cc):
    """A BPF build's parameters, {name: value}."""
    return json.loads(bpf_cc("params", cc, "--json").stdout)


CASE_COUNT = Path("/sys/kernel/debug/tdctcp/case_count")


def case_counts():
    """tdctcp's per-case decision counters, as {case: count}."""
    out = {}
    for line in CASE_COUNT.read_text().split("\n"):
        if line.strip():
            case, count = line.split()
            out[int(case)] = int(count)
    return out


def reset_case_counts():
    CASE_COUNT.write_text("0\n")


class Lab:
    """Network namespaces joined by veth links; all removed by close()."""

    def __init__(self, prefix="kt"):
        self.prefix = prefix
        self.namespaces = []
        self.procs = []

    def host(self, name, cc="cubic", ecn=1):
        ns = f"{self.prefix}-{name}"
        sh(["ip", "netns", "add", ns])
        self.namespaces.append(ns)
        sh("ip link set lo up", ns)
        sysctl("net.ipv4.tcp_ecn", ecn, ns)
        sysctl("net.ipv4.tcp_congestion_control", cc, ns)
        return ns

    def link(self, a, a_addr, b, b_addr, prefix_len=24):
        """veth between namespaces a and b; returns the device names (a side, b side)."""
        da, db = f"{a[-1]}-{b[-1]}", f"{b[-1]}-{a[-1]}"
        sh(["ip", "link", "add", da, "netns", a, "type", "veth", "peer", "name", db, "netns", b])
        for ns, dev, addr in ((a, da, a_addr), (b, db, b_addr)):
            sh(["ip", "addr", "add", f"{addr}/{prefix_len}", "dev", dev], ns)
            sh(["ip", "link", "set", dev, "up"], ns)
            # one packet per segment, so marking and queues count real packets
            sh(offloads_off(dev), ns, check=False)
        return da, db

    def spawn(self, cmd, ns=None):
        args = shlex.split(cmd) if isinstance(cmd, str) else [str(a) for a in cmd]
        if ns:
            args = ["ip", "netns", "exec", ns, *args]
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        for ns in reversed(self.namespaces):
            sh(["ip", "netns", "del", ns], check=False)


def pair(lab, cc_a="cubic", cc_b="cubic", ecn_a=1, ecn_b=1):
    """Two hosts a (10.77.0.1) and b (10.77.0.2) on one veth."""
    a = lab.host("a", cc_a, ecn=ecn_a)
    b = lab.host("b", cc_b, ecn=ecn_b)
    da, db = lab.link(a, "10.77.0.1", b, "10.77.0.2")
    return a, b, da, db


def dumbbell(lab, cc="cubic"):
    """a (10.77.1.1) -- r -- b (10.77.2.2): r forwards, its r-b port is the bottleneck."""
    a = lab.host("a", cc)
    r = lab.host("r", "cubic")
    b = lab.host("b", cc)
    lab.link(a, "10.77.1.1", r, "10.77.1.254")
    rb, _ = lab.link(r, "10.77.2.254", b, "10.77.2.2")
    sysctl("net.ipv4.ip_forward", 1, r)
    sh("ip route add default via 10.77.1.254", a)
    sh("ip route add default via 10.77.2.254", b)
    return a, r, b, rb


def red_bottleneck(ns, dev, rate_mbit, k_pkts, limit_pkts):
    """HTB at rate_mbit with a RED child marking ECT packets above K packets."""
    for cmd in RedPort(rate_mbit, k_pkts, limit_pkts).tc_commands(dev):
        sh(cmd, ns)


def mark_ce(ns, dev, percent, rate_mbit=None):
    """Mark CE on percent % of the ECT(0) packets leaving dev; others pass.
    With rate_mbit, dev is also shaped to that rate (HTB): in virtual time
    a transfer that only a CPU limits never lets the clock advance.

    netem's ecn option drops the packets it cannot mark, so only ECT(0)
    packets are steered to it: a timewait ACK or RST is never lost.

    netem marks a whole skb, and TCP hands the sender's qdisc GSO skbs of
    several segments whatever ethtool says (segmentation happens after the
    qdisc): with gso_max_segs 1 every skb is one segment, so p is the
    fraction of packets marked, each independently."""
    sh(["ip", "link", "set", "dev", dev, "gso_max_segs", "1"], ns)
    parent = ["root"]
    if rate_mbit:
        sh(["tc", "qdisc", "add", "dev", dev, "root", "handle", "5:", "htb", "default", "1"], ns)
        sh(["tc", "class", "add", "dev", dev, "parent", "5:", "classid", "5:1", "htb",
            "rate", f"{rate_mbit}mbit"], ns)
        parent = ["parent", "5:1"]
    sh(["tc", "qdisc", "add", "dev", dev, *parent, "handle", "1:", "prio", "bands", "2",
        "priomap", *["1"] * 16], ns)
    sh(["tc", "qdisc", "add", "dev", dev, "parent", "1:1", "handle", "10:", "netem",
        "loss", f"{percent}%", "ecn"], ns)
    sh(["tc", "filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "u32",
        "match", "ip", "tos", "0x02", "0x03", "flowid", "1:1"], ns)


def iperf(lab, client_ns, server_ns, server_addr, seconds=3, cc=None, bitrate=None,
          streams=1, port=5201, during=None):
    """One iperf3 run; returns its JSON.  during(t0) runs while the client runs."""
    srv = lab.spawn(["iperf3", "-s", "-1", "-p", port], server_ns)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if f":{port} " in sh(["ss", "-ltnH"], server_ns).stdout:
            break
        time.sleep(0.05)
    args = ["iperf3", "-c", server_addr, "-p", port, "-t", seconds, "-J", "-P", streams]
    if cc:
        args += ["-C", cc]
    if bitrate:
        args += ["-b", bitrate]
    cli = lab.spawn(args, client_ns)
    if during:
        during(time.monotonic())
    out, err = cli.communicate(timeout=seconds + 30)
    try:
        srv.wait(timeout=10)
    except subprocess.TimeoutExpired:
        srv.kill()
    if cli.returncode != 0:
        raise RuntimeError(f"iperf3 failed: {err.strip() or out[-500:]}")
    return json.loads(out)


def goodput_mbit(result):
    return result["end"]["sum_received"]["bits_per_second"] / 1e6


SS_DCTCP = re.compile(r"dctcp:\(ce_state:(\d+),alpha:(\d+),ab_ecn:(\d+),ab_tot:(\d+)\)")


def parse_ss(text):
    """Sockets in the output of ss -tinH, as dicts."""
    socks = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        if not line[0].isspace():
            socks.append({"head": line, "info": ""})
        elif socks:
            socks[-1]["info"] += line
    for s in socks:
        info = s["info"]
        s["state"] = s["head"].split()[0]
        s["cc"] = next((t for t in info.split() if t in CC_NAMES), None)
        m = SS_DCTCP.search(info)
        fields = ("ce_state", "alpha", "ab_ecn", "ab_tot")
        s["dctcp"] = m and dict(zip(fields, map(int, m.groups()), strict=True))
        s["fallback"] = "dctcp:fallback_mode" in info
        for key in ("bytes_acked", "delivered", "delivered_ce"):
            m = re.search(rf"\b{key}:(\d+)", info)
            s[key] = int(m.group(1)) if m else 0
    return socks


def ss_sockets(ns, dst=None):
    """TCP sockets of ns (optionally to dst) from ss -tin."""
    return parse_ss(sh(["ss", "-tinH"] + (["dst", dst] if dst else []), ns).stdout)


def busiest(socks):
    """The established socket that has moved the most data (iperf3's data
    stream).  Closing sockets are left out: past ESTAB the kernel reports
    no congestion-control record for them."""
    socks = [s for s in socks if s["bytes_acked"] > 0 and s["state"] == "ESTAB"]
    return max(socks, key=lambda s: s["bytes_acked"]) if socks else None


def data_socket(ns, dst):
    return busiest(ss_sockets(ns, dst))


class SsSampler:
    """ss -tin to dst every period seconds, in one shell loop inside ns."""

    def __init__(self, lab, ns, dst, period=0.1):
        loop = f"while :; do ss -tinH dst {dst}; echo @@; sleep {period}; done"
        self.proc = lab.spawn(["sh", "-c", loop], ns)

    def samples(self):
        """Stop; return the parsed sockets of each sample, in order."""
        self.proc.kill()
        out, _ = self.proc.communicate(timeout=10)
        return [parse_ss(chunk) for chunk in out.split("@@")[:-1]]

    def stop(self):
        """Stop; return the busiest socket of each sample, in order."""
        return [busiest(socks) for socks in self.samples()]


def late_alphas(samples, skip=0.5):
    """alpha of the samples after the first fraction skip of the run."""
    late = samples[int(len(samples) * skip):]
    return [s["dctcp"]["alpha"] for s in late if s and s["dctcp"]]


class QueueSampler(threading.Thread):
    """Samples a qdisc's backlog (packets) at a fixed period until stopped,
    over rtnetlink with pyroute2 (no process per sample).  The thread moves
    itself into namespace ns (setns acts on the calling thread only) and
    opens its socket there: pyroute2's NetNS would fork a helper from a
    process whose other threads start programs, which hung here."""

    def __init__(self, ns, dev, handle="10:", period=0.05):
        super().__init__(daemon=True)
        self.ns, self.dev, self.period = ns, dev, period
        self.handle = int(handle.rstrip(":"), 16) << 16
        self.samples = []
        self.stopping = threading.Event()

    def run(self):
        setns(self.ns, flags=0)
        with IPRoute() as ipr:
            index = ipr.link_lookup(ifname=self.dev)[0]
            while not self.stopping.is_set():
                self.samples += [queue_stats(m)[0] for m in ipr.get_qdiscs(index=index)
                                 if m["handle"] == self.handle]
                self.stopping.wait(self.period)

    def stop(self):
        self.stopping.set()
        self.join()
        return self.samples


def queue_stats(msg):
    """(qlen, backlog bytes) of a qdisc message pyroute2 decoded."""
    q = msg.get_attr("TCA_STATS2").get_attr("TCA_STATS_QUEUE")
    return q["qlen"], q["backlog"]


def median(values):
    return statistics.median(values) if values else float("nan")


def tcpdump_count(pcap, bpf):
    """Packets in pcap matching the BPF filter."""
    out = sh(["tcpdump", "-nn", "-r", pcap, bpf], check=False).stdout
    return sum(1 for line in out.split("\n") if line.strip())
