"""The experiments on real machines: an inventory (dctestbed.inventory)
of hosts reached over SSH (dctestbed.ssh) instead of Mininet namespaces.

Rig checks the testbed before anything starts (every host answers, has
the tools, a synchronised clock and its data address; the aggregator
reaches every other host on the data network; the marking point
forwards), deploys what the runs need (the testbed's Python package,
the congestion control modules: this tree's .ko files, DKMS, or those
installed) and names the host whenever something is missing.
RemoteTestbed then offers the runner what dctestbed.testbed.Testbed
offers for Mininet, and puts every host back as it found it in stop():
root qdiscs it replaced, sysctls, routes, offloads; it kills whatever
the run started.
"""

import json
import os
import re
import shlex
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

from dctestbed import inventory
from dctestbed.options import OptionError
from dctestbed.port import OFFLOADS
from dctestbed.ssh import HostError, SshHost
from dctestbed.testbed import (
    ISOLATION,
    config_hz,
    count_lines,
    ecn_for,
    parse_qdisc_stats,
    proc_stat_busy,
)

TOP = Path(__file__).resolve().parents[2]
PKG = Path(__file__).resolve().parent
# one line: "hz:" and the host kernel's CONFIG_HZ line (testbed.config_hz
# reads it), empty when its configuration is not readable
HZ_SCRIPT = ('echo "hz:$({ zcat /proc/config.gz || cat /boot/config-$(uname -r); } 2>/dev/null '
             '| grep -m 1 \'^CONFIG_HZ=\')"')

TOOLS = ("python3", "iperf3", "tc", "ip", "ethtool", "ping", "ss")
MAX_CLOCK_OFFSET_S = 0.1
OUR_MODULES = ("xdctcp", "tdctcp")
ETHTOOL_NAMES = {"tso": "tcp-segmentation-offload", "gso": "generic-segmentation-offload",
                 "gro": "generic-receive-offload"}
CASE_COUNT = "/sys/kernel/debug/tdctcp/case_count"


def dkms_package(top=TOP):
    """(name, version, source files) of the DKMS package, from dkms.conf
    and the Makefile's DKMS_SOURCES."""
    conf = (top / "dkms.conf").read_text()
    name = re.search(r'^PACKAGE_NAME="(.*)"', conf, re.M).group(1)
    version = re.search(r'^PACKAGE_VERSION="(.*)"', conf, re.M).group(1)
    sources = re.search(r"^DKMS_SOURCES := (.*)$", (top / "Makefile").read_text(), re.M).group(1)
    return name, version, sources.split()


def refuse(problems):
    raise OptionError("the testbed cannot run this experiment:\n  " + "\n  ".join(problems))


def external_options(o, m):
    """An external switch marks as the user configured it: the rate is
    its (unless given) and --rate, --k and --buffer must match it, or
    every figure would describe another port.  K cannot be swept."""
    if o.rate is None:
        o.rate = m.rate_mbit
    asked = (o.rate, o.k, o.buffer)
    if asked != (m.rate_mbit, m.k_pkts, m.buffer_pkts):
        raise OptionError(f"--testbed: the external switch {m.name} marks at K = {m.k_pkts} of "
                          f"{m.buffer_pkts} packets at {m.rate_mbit:g} Mbit/s (as the inventory "
                          f"states); the options ask K = {o.k} of {o.buffer} at {o.rate:g} "
                          f"(give --rate {m.rate_mbit:g} --k {m.k_pkts} --buffer {m.buffer_pkts})")
    if o.experiment == "k-sweep":
        raise OptionError(f"--testbed: k-sweep changes K, which the external switch {m.name} "
                          "keeps as configured (a linux marking point can)")


class Rig:
    """The inventory's hosts for one experiment, and their set-up."""

    def __init__(self, o):
        try:
            self.inv = inventory.load(o.testbed)
            assigned = inventory.assign(self.inv, o)
        except inventory.InventoryError as e:
            raise OptionError(str(e)) from None
        self.o = o
        m = self.inv.marking
        if m.marking == "external":
            external_options(o, m)
        self.run_id = f"{os.getpid()}.{int(time.time())}"
        self.hosts = [SshHost(h, name, self.run_id) for name, h in assigned.items()]
        self.marking = SshHost(m, "marking", self.run_id) if m.ssh_reachable else None
        self.facts = {}             # inventory name -> what preflight learnt

    def machines(self):
        """Every host logged in to, once each (experiment hosts, then the
        marking point)."""
        return [*self.hosts, *([self.marking] if self.marking else [])]

    def _each(self, fn):
        """fn(host) on every machine: machines with kernels of their own at
        once (a DKMS build takes minutes), those sharing one (containers,
        namespaces: the same boot id) one after the other in inventory
        order, so two never race to load a module; the problems, each
        naming its host, in inventory order."""
        groups = {}
        for h in self.machines():
            groups.setdefault(self.facts.get(h.inv.name, {}).get("boot_id") or h.inv.name, []).append(h)

        def run_group(hosts):
            problems = {}
            for h in hosts:
                try:
                    fn(h)
                except HostError as e:
                    problems[h.inv.name] = str(e)
            return problems

        with ThreadPoolExecutor(max_workers=16) as pool:
            found = {k: v for g in pool.map(run_group, groups.values()) for k, v in g.items()}
        return [found[h.inv.name] for h in self.machines() if h.inv.name in found]

    def preflight(self):
        """Refuse (OptionError) a testbed that cannot run: a host that
        does not answer, lacks a tool, has no data address, whose clock is
        off; a marking point that does not forward; a host the aggregator
        cannot reach on the data network."""
        problems = self._each(lambda h: h.run("true", timeout=60))
        if problems:
            refuse(problems)
        problems = self._each(self._facts)
        if not problems:
            problems = self._data_reachability()
        if problems:
            refuse(problems)

    def _facts(self, h):
        inv = h.inv
        script = (f"uname -r; cat /proc/sys/kernel/random/boot_id; {HZ_SCRIPT}; "
                  f"for t in {' '.join(TOOLS)}; do command -v $t >/dev/null || echo missing $t; done; ")
        if inv.role == "marking":
            script += (f"cat /proc/sys/net/ipv4/ip_forward; "
                       f"test -d /sys/class/net/{inv.egress_dev} || echo missing-dev")
        else:
            script += f"ip -o -4 addr show dev {shlex.quote(inv.data_dev)} 2>&1"
        out = h.run(script, check=False).stdout.splitlines()
        if len(out) < 2:
            raise HostError(f"host {h.label}: no answer to the set-up checks")
        hz = config_hz(out[2].removeprefix("hz:")) if len(out) > 2 else None
        out = out[:2] + out[3:]
        missing = [w.split()[1] for w in out[2:] if w.startswith("missing ")]
        if missing:
            raise HostError(f"host {h.label}: missing {', '.join(missing)} (install: "
                            "python3 iperf3 iproute2 ethtool iputils-ping)")
        offset, err = h.clock_offset_s()
        if abs(offset) - err > MAX_CLOCK_OFFSET_S:
            raise HostError(f"host {h.label}: its clock is {offset:+.3f} s off this machine's "
                            f"(more than {MAX_CLOCK_OFFSET_S} s): synchronise it (chrony, NTP)")
        rest = "\n".join(out[2:])
        if inv.role == "marking":
            if "missing-dev" in rest:
                raise HostError(f"host {h.label}: no NIC {inv.egress_dev} (egress_dev)")
            if out[2:3] != ["1"]:
                raise HostError(f"host {h.label}: net.ipv4.ip_forward is not 1: the marking point "
                                "does not forward between its NICs")
        elif f" {inv.data_ip}/" not in rest:
            raise HostError(f"host {h.label}: data_ip {inv.data_ip} is not on {inv.data_dev} "
                            f"({rest.strip()[-200:] or 'no IPv4 address'})")
        self.facts[inv.name] = {"kernel": out[0].strip(), "boot_id": out[1].strip(),
                                "hz": hz,
                                "clock_offset_ms": round(offset * 1000, 3)}

    def _data_reachability(self):
        agg = self.hosts_by_name()["h1" if self.o.experiment == "incast" else "r"]
        others = [h for h in self.hosts if h is not agg]
        script = "; ".join(f"ping -n -q -c 1 -W 2 {h.IP()} >/dev/null 2>&1 || echo no {h.IP()}"
                           for h in others)
        out = agg.run(script or "true", check=False).stdout
        return [f"host {h.label}: the aggregator {agg.inv.name} gets no ping reply from its "
                f"data_ip {h.IP()}" for h in others if f"no {h.IP()}\n" in out + "\n"]

    def hosts_by_name(self):
        return {h.name: h for h in self.hosts}

    def kernels(self, hosts=None):
        """One host per distinct kernel (boot id) of hosts (the experiment's):
        hosts that share a kernel (containers, namespaces) are read once for
        kernel-wide counters."""
        seen, out = set(), []
        for h in self.hosts if hosts is None else hosts:
            boot = self.facts.get(h.inv.name, {}).get("boot_id", h.inv.name)
            if boot not in seen:
                seen.add(boot)
                out.append(h)
        return out

    def deploy(self, modules):
        """The package, the modules, then the allowed list on every
        experiment host; a host that refuses is named.  The allowed list
        of a host that cannot write it (a network namespace: the list is
        the kernel's) is checked again after the others wrote theirs."""
        problems = self._each(lambda h: self._deploy_host(h, modules))
        if problems:
            refuse(problems)
        late = [h for h in self.hosts if not self._allow(h, modules, final=False)]
        problems = []
        for h in late:
            try:
                self._allow(h, modules, final=True)
            except HostError as e:
                problems.append(str(e))
        if problems:
            refuse(problems)

    def _deploy_host(self, h, modules):
        files = sorted(str(p.relative_to(PKG.parent)) for p in PKG.glob("*.py"))
        h.put_tree(PKG.parent, f"{h.inv.workdir}/py", files)
        if h.inv.role == "marking":
            return
        for cc in modules:
            self._load_module(h, cc)
        h.run("mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug", check=False)

    @staticmethod
    def _allow(h, modules, final):
        """Put modules on h's net.ipv4.tcp_allowed_congestion_control (what
        a namespace's default and unprivileged sockets may select); False
        when h cannot write it, HostError when final."""
        allowed = "/proc/sys/net/ipv4/tcp_allowed_congestion_control"
        have = set(h.run(f"cat {allowed}").stdout.split())
        if set(modules) <= have:
            return True
        p = h.run(f"echo {' '.join(sorted(have | set(modules)))} > {allowed}", check=False)
        if p.returncode == 0:
            return True
        if final:
            raise HostError(f"host {h.label}: cannot allow {' '.join(sorted(set(modules) - have))} "
                            f"(net.ipv4.tcp_allowed_congestion_control: {p.stderr.strip()[-200:]})")
        return False

    def _load_module(self, h, cc):
        inv, mod = h.inv, f"tcp_{cc}"
        available = h.run("cat /proc/sys/net/ipv4/tcp_available_congestion_control").stdout.split()
        ours = cc in OUR_MODULES
        if ours and inv.deploy == "modules":
            ko = Path(inv.modules_dir) / f"{mod}.ko"
            if not ko.is_file():
                raise HostError(f"host {h.label}: no {ko} (dctcp_modules) to load")
            want = subprocess.run(["modinfo", "-F", "srcversion", str(ko)], capture_output=True,
                                  text=True).stdout.strip()
            if cc in available:
                have = (h.get_text(f"/sys/module/{mod}/srcversion") or "").strip()
                if have != want:
                    raise HostError(f"host {h.label}: another build of {mod} is loaded (srcversion "
                                    f"{have or 'none'}, this tree's {want}): rmmod {mod} there first")
                return
            dest = f"{inv.workdir}/{mod}.ko"
            h.put_bytes(ko.read_bytes(), dest)
            p = h.run(f"insmod {dest}", check=False)
            # "File exists": another host on the same kernel (a container, a namespace)
            # loaded it first; only this tree's build is accepted then
            raced = p.returncode != 0 and "File exists" in p.stderr and \
                (h.get_text(f"/sys/module/{mod}/srcversion") or "").strip() == want
            if p.returncode != 0 and not raced:
                raise HostError(f"host {h.label}: its kernel ({self.facts[inv.name]['kernel']}) "
                                f"refuses {mod}.ko: {p.stderr.strip()[-300:]}")
            return
        if cc in available:
            return
        if ours and inv.deploy == "dkms":
            self._dkms(h)
        p = h.run(f"modprobe {mod}", check=False)
        if p.returncode != 0:
            raise HostError(f"host {h.label}: cannot load {mod}: {p.stderr.strip()[-300:]}")

    def _dkms(self, h):
        name, version, sources = dkms_package()
        src = f"/usr/src/{name}-{version}"
        h.put_tree(TOP, src, sources)
        p = h.run(f"command -v dkms >/dev/null || {{ echo 'dkms is not installed' >&2; exit 1; }}; "
                  f"dkms status -m {name} -v {version} -k $(uname -r) | grep -q installed || "
                  f"{{ dkms add -m {name} -v {version} 2>/dev/null; "
                  f"dkms install -m {name} -v {version} -k $(uname -r); }}",
                  check=False, timeout=900)
        if p.returncode != 0:
            raise HostError(f"host {h.label}: DKMS could not build {name} {version} for its kernel: "
                            f"{(p.stderr or p.stdout).strip()[-400:]}")

    def module_info(self, modules):
        """{module: {"srcversion", "params"}} as loaded on the first host."""
        h, out = self.hosts[0], {}
        for cc in modules:
            text = h.run(f"cat /sys/module/tcp_{cc}/srcversion 2>/dev/null; "
                         f"grep -H . /sys/module/tcp_{cc}/parameters/* 2>/dev/null", check=False).stdout
            lines = text.splitlines()
            version = lines[0] if lines and "/" not in lines[0] else None
            params = {ln.split(":", 1)[0].rsplit("/", 1)[1]: ln.split(":", 1)[1]
                      for ln in lines if ln.startswith("/sys/")}
            out[cc] = {"srcversion": version, "params": params}
        return out

    def cleanup(self):
        """Kill what an earlier run left on any host."""
        for h in self.machines():
            h.kill_run()

    def hz(self):
        """The hosts' timer rate when they share one, else None."""
        rates = {f.get("hz") for f in self.facts.values()}
        return rates.pop() if len(rates) == 1 else None

    def describe(self):
        """What params.json records of the testbed."""
        m = self.inv.marking
        marking = {"host": m.name, "kind": m.marking}
        if m.marking == "linux":
            marking["egress_dev"] = m.egress_dev
        else:
            marking.update(rate_mbit=m.rate_mbit, k_pkts=m.k_pkts, buffer_pkts=m.buffer_pkts,
                           counters=bool(m.counters_cmd))
        return {"inventory": str(Path(self.inv.path).resolve()), "run_id": self.run_id,
                "offloads": self.o.offloads, "marking": marking,
                "hosts": {h.name: {"inventory_host": h.inv.name, "address": h.inv.address,
                                   "data_ip": h.IP(), "data_dev": h.inv.data_dev,
                                   "deploy": h.inv.deploy, **self.facts.get(h.inv.name, {})}
                          for h in self.hosts}}

    def close(self):
        """End every host's shell session."""
        for h in self.machines():
            h.close()


class RemoteTestbed:
    """What dctestbed.testbed.Testbed offers the runner, on a Rig."""

    remote = True

    def __init__(self, rig):
        self.rig = rig
        self.net = SimpleNamespace(hosts=list(rig.hosts), switches=[])
        self._restore = []          # (host, shell command), run in reverse order by stop()

    def host(self, name):
        return self.rig.hosts_by_name()[name]

    def _undo(self, host, command):
        self._restore.append((host, command))

    def start(self):
        """Record what the runs will change; set the offloads."""
        names = ("net.ipv4.tcp_congestion_control", "net.ipv4.tcp_ecn", "net.ipv4.tcp_no_metrics_save")
        for h in self.net.hosts:
            values = h.run(f"sysctl -n {' '.join(names)}").stdout.split()
            saved = zip(names, values, strict=True)
            self._undo(h, "sysctl -qw " + " ".join(f"{n}={v}" for n, v in saved))
        devs = [(h, h.inv.data_dev) for h in self.net.hosts]
        if self.rig.marking:
            devs.append((self.rig.marking, self.rig.inv.marking.egress_dev))
        if self.rig.o.offloads == "off":
            for h, dev in devs:
                self._offloads_off(h, dev)
        return self

    def _offloads_off(self, h, dev):
        text = h.run(f"ethtool -k {dev}").stdout
        was = []
        for short in OFFLOADS:
            m = re.search(rf"^{ETHTOOL_NAMES[short]}: (on|off)", text, re.M)
            if m:
                was += [short, m.group(1)]
        if was:
            self._undo(h, f"ethtool -K {dev} {' '.join(was)}")
        h.run(f"ethtool -K {dev} {' '.join(f'{s} off' for s in OFFLOADS)} 2>/dev/null; true")

    def stop(self):
        """Kill the run's programs and put every host back, last change first."""
        for h in self.rig.machines():
            h.kill_run(self.rig.run_id)
        errors = []
        for h, command in reversed(self._restore):
            try:
                h.run(command)
            except HostError as e:
                errors.append(str(e))
        self._restore = []
        if errors:
            raise RuntimeError("; ".join(errors))

    def bottleneck_of(self, exp):
        m = self.rig.inv.marking
        return m.egress_dev if m.marking == "linux" else f"{m.name} (external)"

    def shape(self, port, ecn=True):
        """HTB + RED on the linux marking point's egress; an external
        switch's marking is the user's and must match the options."""
        m = self.rig.inv.marking
        if m.marking == "external":
            if (port.rate_mbit, port.k_pkts, port.buffer_pkts) != (m.rate_mbit, m.k_pkts, m.buffer_pkts):
                raise OptionError(f"--testbed: the external switch {m.name} marks at K = {m.k_pkts} "
                                  f"of {m.buffer_pkts} packets at {m.rate_mbit:g} Mbit/s; the "
                                  f"options ask K = {port.k_pkts} of {port.buffer_pkts} at "
                                  f"{port.rate_mbit:g}")
            return
        first = not any(cmd.endswith(f"dev {m.egress_dev} root") for _, cmd in self._restore)
        batch = "\n".join(" ".join(c[1:]) for c in port.tc_commands(m.egress_dev, ecn=ecn))
        self.rig.marking.run(f"tc -batch - <<'EOF'\n{batch}\nEOF")
        if first:
            self._undo(self.rig.marking, f"tc qdisc del dev {m.egress_dev} root 2>/dev/null; true")

    def unshape(self):
        m = self.rig.inv.marking
        if m.marking == "linux":
            self.rig.marking.run(f"tc qdisc del dev {m.egress_dev} root 2>/dev/null; true")

    def delay_hosts(self, rtt_us):
        """netem on every host's data NIC: rtt_us / 2 each way."""
        if not rtt_us:
            return
        for h in self.net.hosts:
            dev = h.inv.data_dev
            h.run(f"tc qdisc replace dev {dev} root netem delay {rtt_us / 2:g}us limit 100000")
            self._undo(h, f"tc qdisc del dev {dev} root 2>/dev/null; true")

    def init_hosts(self, rto_min_ms=None):
        """The default control cubic without ECN, no TCP metrics kept
        between connections and the cached ones flushed (start() recorded
        the old settings), and the minimum RTO on the routes of the data
        NIC."""
        for h in self.net.hosts:
            h.run(f"sysctl -qw net.ipv4.tcp_congestion_control=cubic net.ipv4.tcp_ecn=0 {ISOLATION}")
            h.run("ip tcp_metrics flush all 2>/dev/null; true")
            if not rto_min_ms:
                continue
            dev = h.inv.data_dev
            routes = h.run(f"ip -o route show dev {dev}").stdout.splitlines()
            for r in routes:
                plain = re.sub(r" rto_min \S+", "", r.strip())
                h.run(f"ip route replace {plain} dev {dev} rto_min {rto_min_ms}ms")
                self._undo(h, f"ip route replace {r.strip()} dev {dev}")

    def cached_metrics(self):
        """How many destinations' TCP metrics the hosts hold (each network
        namespace has its own)."""
        return sum(count_lines(h.run("ip tcp_metrics show 2>/dev/null; true").stdout)
                   for h in self.net.hosts)

    def set_default_cc(self, hosts, cc):
        for h in hosts:
            h.run(f"sysctl -qw net.ipv4.tcp_congestion_control={cc} net.ipv4.tcp_ecn={ecn_for(cc)}")

    def qdisc_stats(self, dev, handle="10:"):
        m = self.rig.inv.marking
        if m.marking == "linux":
            return parse_qdisc_stats(self.rig.marking.run(f"tc -s -j qdisc show dev {dev}").stdout,
                                     dev, handle)
        if m.counters_cmd:
            p = subprocess.run(m.counters_cmd, shell=True, capture_output=True, text=True, timeout=60)
            try:
                c = json.loads(p.stdout)
                return {k: int(c[k]) for k in ("bytes", "packets", "drops", "marks")}
            except (ValueError, KeyError, TypeError):
                raise RuntimeError(f"{m.name}: counters_cmd printed no JSON with bytes, packets, "
                                   f"drops and marks: {(p.stdout or p.stderr).strip()[-200:]}") from None
        # without the switch's counters: what the aggregator's NIC received
        agg = self.net.hosts[0] if self.rig.o.experiment == "incast" else self.host("r")
        stats = f"/sys/class/net/{agg.inv.data_dev}/statistics"
        b, n = agg.run(f"cat {stats}/rx_bytes {stats}/rx_packets").stdout.split()
        return {"bytes": int(b), "packets": int(n), "drops": None, "marks": None}

    def path_on(self, host, local):
        """The path of a run file on host: sent there when it exists
        here, else a stale copy there removed."""
        remote = f"{host.inv.workdir}/run/{Path(local).name}"
        if Path(local).exists():
            host.put_bytes(Path(local).read_bytes(), remote)
        else:
            host.run(f"mkdir -p {host.inv.workdir}/run && rm -f {remote}")
        return remote

    def fetch(self, host, local):
        """Copy back what host wrote for path_on(host, local)."""
        text = host.get_text(f"{host.inv.workdir}/run/{Path(local).name}")
        if text is not None:
            Path(local).write_text(text)

    def cpu_busy(self):
        """{host: (busy, total) jiffies} of every distinct kernel."""
        out = {}
        for h in self.rig.kernels(self.rig.machines()):
            out[h.name] = proc_stat_busy(h.run("head -n 1 /proc/stat").stdout)
        return out

    def read_cases(self):
        """tdctcp's decisions per case, summed over the distinct kernels."""
        total = {}
        for h in self.rig.kernels():
            for line in (h.get_text(CASE_COUNT) or "").splitlines():
                c, n = line.split()
                total[int(c)] = total.get(int(c), 0) + int(n)
        return total
