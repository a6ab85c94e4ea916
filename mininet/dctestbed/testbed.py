"""A running Mininet network with the testbed's port and host settings.

Testbed(topo) builds the network with Open vSwitch (no controller) or
Linux bridges, turns segmentation offloads off on every interface and
gives access to what experiments change between runs: the switch ports'
RED configuration, each host's congestion control, ECN and minimum RTO,
and a delay on every host's port for the base RTT.  stop() tears
everything down; cleanup() removes what a killed run left.
"""

import gzip
import json
import os
import platform
import re
import signal
import subprocess
import time
from pathlib import Path

from mininet.link import Link
from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.node import OVSBridge, OVSSwitch
from mininet.nodelib import LinuxBridge

from dctestbed import ovs, router
from dctestbed.monitor import INSTANCE, TRACEFS
from dctestbed.port import offloads_off

# No connection starts from another's cached metrics (RTT, reordering, ssthresh):
# each repetition and each control meets the path as a new host would
ISOLATION = "net.ipv4.tcp_no_metrics_save=1"

ECN_CCS = {"dctcp", "xdctcp", "tdctcp", "bpf_xdctcp", "bpf_tdctcp"}


def ecn_for(cc):
    """tcp_ecn for a congestion control: the DCTCP family needs ECN; the
    TCP baselines run without it, as in the DCTCP paper."""
    return 1 if cc in ECN_CCS else 0


def run(args, check=True):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))}: {p.stderr.strip()}")
    return p


LEFTOVER_PROGRAMS = ("dctestbed", "iperf3")
# the helpers a run starts in our own namespace, which live only during a run
# (trace-cmd: the monitor's tcp_probe recording, whose per-CPU recorders
# outlive a killed monitor)
RUN_HELPERS = ("dctestbed.monitor", "dctestbed.flowapp", f"trace-cmd record -q -B {INSTANCE} ")


def leftover_pids(proc=Path("/proc")):
    """Programs of a killed run: dctestbed's and iperf3 processes still
    running in a network namespace other than ours (a run's hosts are
    namespaces; nothing of ours runs in one before the network exists),
    and its monitor or traffic programs anywhere."""
    try:
        own = os.readlink(proc / "self" / "ns" / "net")
    except OSError:
        return []
    pids = []
    for d in proc.iterdir():
        if not d.name.isdigit():
            continue
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
            net = os.readlink(d / "ns" / "net")
        except OSError:
            continue            # gone, or a kernel thread
        words = b" ".join(argv).decode(errors="replace")
        if (net != own and any(p in words for p in LEFTOVER_PROGRAMS)) or \
                any(h in words for h in RUN_HELPERS):
            pids.append(int(d.name))
    return pids


def node_shell_pids(proc=Path("/proc")):
    """Mininet's node shells (bash ... mininet:NAME: a host's namespace,
    a switch's commands) still running after a killed run."""
    pids = []
    for d in proc.iterdir():
        if not d.name.isdigit():
            continue
        try:
            argv = (d / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"bash") and argv[-1].startswith(b"mininet:"):
            pids.append(int(d.name))
    return pids


# what a run of ours creates: Mininet names link ends NODE-ethN, and the
# topologies' switches s1, s2 (star, dumbbell) and c/a/eN (fat-tree)
LINK_END = re.compile(r"[-_.\w]+-eth\d+")
SWITCH_NAME = re.compile(r"[scae]\d+")


def leftover_links(ip_link_text):
    """The NODE-ethN devices in `ip -o link show` output."""
    names = []
    for line in ip_link_text.splitlines():
        fields = line.split(":", 2)
        if len(fields) == 3:
            name = fields[1].strip().split("@")[0]
            if LINK_END.fullmatch(name):
                names.append(name)
    return names


def _kill(pids, wait_s=10.0):
    """SIGKILL pids and wait (bounded) until they are gone; the ones left."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + wait_s
    left = list(pids)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [pid for pid in left if Path(f"/proc/{pid}").exists()]
    return left


def cleanup(switch="ovs"):
    """Remove what an earlier run left, and only that: its traffic
    programs, monitor recorders and Mininet's node shells, its Open vSwitch
    bridges (switch "ovs" only: nothing asks Open vSwitch anything where it
    is not used), its NODE-ethN links, routers' VRF devices and trace
    instance.  Not Mininet's own clean-up
    (mn -c), which also kills every ping on the host, deletes /tmp/*.log
    and every Open vSwitch bridge, and waits without bound for processes it
    cannot kill."""
    left = _kill(leftover_pids() + node_shell_pids())
    if left:
        print(f"testbed: processes of an earlier run would not die: {left}", flush=True)
    setLogLevel("error")
    if switch == "ovs":
        try:
            ovs.start()
            bridges = run(["ovs-vsctl", "--timeout=10", "list-br"], check=False).stdout.split()
            for br in bridges:
                if SWITCH_NAME.fullmatch(br):
                    run(["ovs-vsctl", "--timeout=10", "--if-exists", "del-br", br], check=False)
        except ovs.OvsError:
            pass
    links = leftover_links(run(["ip", "-o", "link", "show"]).stdout)
    if links:
        # deleting one end of a veth deletes its peer: -force goes on past those
        subprocess.run(["ip", "-force", "-batch", "-"], capture_output=True, text=True,
                       input="".join(f"link del {name}\n" for name in links))
    router.cleanup()
    try:
        (TRACEFS / "instances" / INSTANCE).rmdir()     # a killed monitor's trace instance
    except OSError:
        pass


SWITCHES = ("ovs", "bridge", "router")


class Testbed:
    def __init__(self, topo, switch="ovs"):
        """switch: "ovs" (Open vSwitch, kernel datapath), "bridge" (Linux
        bridges: the virtual-time testbed's, where Open vSwitch forwards
        nothing) or "router" (router.VrfRouter: the fat-tree's multipath
        without Open vSwitch)."""
        if switch not in SWITCHES:
            raise ValueError(f"switch must be one of {', '.join(SWITCHES)} (got {switch!r})")
        self.topo = topo
        self.switch = switch
        self.net = None
        self._sysctls = None

    def start(self):
        setLogLevel("error")
        multipath = hasattr(self.topo, "install_routes")
        if self.switch == "ovs":
            ovs.start()
            kind = OVSSwitch if multipath else OVSBridge
        elif self.switch == "router":
            if not multipath:
                raise ValueError("routers need a topology with routes (the fat-tree)")
            kind = router.VrfRouter
        else:
            if multipath:
                raise ValueError("the fat-tree's multipath needs Open vSwitch or routers")
            kind = LinuxBridge
        self.net = Mininet(topo=self.topo, switch=kind,
                           controller=None, link=Link, autoSetMacs=True, waitConnected=False)
        self.net.start()
        if self.switch == "router":
            self._sysctls = router.enable()
        if multipath:
            self.topo.install_routes(self.net)
        for h in self.net.hosts:
            for intf in h.intfList():
                if intf.name != "lo":
                    h.cmd(" ".join(offloads_off(intf.name)))
        for dev in self.switch_ports():
            run(offloads_off(dev), check=False)
        return self

    def stop(self):
        if self.net is not None:
            self.net.stop()
            self.net = None
        if self._sysctls is not None:
            router.restore(self._sysctls)
            self._sysctls = None

    def host(self, name):
        return self.net.get(name)

    def switch_ports(self):
        return [i.name for s in self.net.switches for i in s.intfList() if i.name != "lo"]

    def _tc_batch(self, lines, force=False):
        """tc commands in one process (-force: go on past errors)."""
        p = subprocess.run(["tc", *(["-force"] if force else []), "-batch", "-"],
                           input="\n".join(lines) + "\n", capture_output=True, text=True)
        if p.returncode != 0 and not force:
            raise RuntimeError(f"tc -batch: {p.stderr.strip()}")

    def shape(self, port, ecn=True):
        """HTB + RED (port) on every switch egress, replacing what was there."""
        self.unshape()
        self._tc_batch([" ".join(cmd[1:]) for dev in self.switch_ports()
                        for cmd in port.tc_commands(dev, ecn=ecn)])

    def unshape(self):
        self._tc_batch([f"qdisc del dev {dev} root" for dev in self.switch_ports()], force=True)

    def delay_hosts(self, rtt_us):
        """A base RTT of rtt_us between any two hosts: netem holds each
        packet rtt_us / 2 on its sender's port (data one way, ACKs the
        other), off the switch ports whose queues are measured."""
        if not rtt_us:
            return
        for h in self.net.hosts:
            for intf in h.intfList():
                if intf.name == "lo":
                    continue
                out = h.cmd(f"tc qdisc replace dev {intf.name} root netem delay {rtt_us / 2:g}us "
                            "limit 100000 && echo ok")
                if not out.strip().endswith("ok"):
                    raise RuntimeError(f"{h.name}: netem delay on {intf.name}: {out.strip()[-300:]}")

    def init_hosts(self, rto_min_ms=None):
        """Every host: ECN off by default (the DCTCP family negotiates it
        per socket, as its congestion control needs ECN), no TCP metrics
        kept between connections (ISOLATION) and what the checks before
        left flushed, and, optionally, a minimum RTO on its routes (6.1 has
        no sysctl for it)."""
        for h in self.net.hosts:
            cmd = ("sysctl -qw net.ipv4.tcp_congestion_control=cubic net.ipv4.tcp_ecn=0 "
                   f"{ISOLATION} && {{ ip tcp_metrics flush all >/dev/null 2>&1 || true; }}")
            if rto_min_ms:
                # every link route of the host, again with the minimum RTO
                cmd += (" && ip -o route show scope link | sed 's/ rto_min[ a-z]* [0-9a-z]*//' | "
                        f"while read -r r; do ip route replace $r rto_min {rto_min_ms}ms; done")
            out = h.cmd(cmd + " && echo ok")
            if not out.strip().endswith("ok"):
                raise RuntimeError(f"{h.name}: host set-up failed: {out.strip()}")

    def cached_metrics(self):
        """How many destinations' TCP metrics the hosts hold (none, when
        every run is isolated)."""
        return sum(count_lines(h.cmd("ip tcp_metrics show 2>/dev/null")) for h in self.net.hosts)

    def set_default_cc(self, hosts, cc):
        """The namespace default congestion control and tcp_ecn of each
        host, for programs that do not choose one per socket (iperf3)."""
        for h in hosts:
            out = h.cmd(f"sysctl -qw net.ipv4.tcp_congestion_control={cc} "
                        f"net.ipv4.tcp_ecn={ecn_for(cc)} && echo ok")
            if "ok" not in out:
                raise RuntimeError(f"{h.name}: cannot select {cc}: {out.strip()}")

    def qdisc_stats(self, dev, handle="10:"):
        """bytes, packets, drops and RED marks of dev's qdisc handle."""
        return parse_qdisc_stats(run(["tc", "-s", "-j", "qdisc", "show", "dev", dev]).stdout, dev, handle)

    def bottleneck_of(self, exp):
        """The switch port whose queue the experiment measures."""
        return exp.bottleneck(self)

    def path_on(self, host, local):
        """Where host's programs find a run file: here, one filesystem."""
        return local

    def fetch(self, host, local):
        """Nothing to copy back: the hosts write here."""

    def cpu_busy(self):
        """{"testbed": (busy, total) jiffies}: the one kernel every host shares."""
        return {"testbed": proc_stat_busy(Path("/proc/stat").read_text())}


def kernel_hz(release=None, proc=Path("/proc/config.gz"), boot=Path("/boot")):
    """The running kernel's timer rate (CONFIG_HZ), from /proc/config.gz
    or /boot/config-RELEASE; None when neither says."""
    release = release or platform.release()
    for path, opener in ((proc, gzip.open), (boot / f"config-{release}", open)):
        try:
            with opener(path, "rt") as f:
                text = f.read()
        except OSError:
            continue
        return config_hz(text)
    return None


def config_hz(text):
    """CONFIG_HZ of a kernel configuration's text, or None."""
    m = re.search(r"^CONFIG_HZ=(\d+)$", text, re.M)
    return int(m.group(1)) if m else None


def count_lines(text):
    """The non-empty lines of a command's output."""
    return sum(1 for line in text.splitlines() if line.strip())


def proc_stat_busy(text):
    """(busy, total) jiffies from /proc/stat's first line (idle and iowait idle)."""
    fields = [int(v) for v in text.splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def parse_qdisc_stats(text, dev, handle):
    """bytes, packets, drops and RED marks of handle in `tc -s -j qdisc show` output."""
    for q in json.loads(text):
        if q.get("handle") == handle:
            return {"bytes": q.get("bytes", 0), "packets": q.get("packets", 0),
                    "drops": q.get("drops", 0) + q.get("pdrop", 0),
                    "marks": q.get("marked", 0)}
    raise RuntimeError(f"no qdisc {handle} on {dev}")
