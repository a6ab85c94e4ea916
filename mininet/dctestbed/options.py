"""Experiment options: defaults, parsing and the checks that run before
anything is created.  An impossible option raises OptionError naming it."""

import argparse
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from dctestbed import variants
from dctestbed.port import PortConfigError, RedPort

TOP = Path(__file__).resolve().parents[2]
DEFAULT_CCS = ("cubic", "reno", "dctcp", "xdctcp", "tdctcp")
RATE_LADDER = (1000, 500, 200, 100, 50, 20, 10, 5, 2, 1)   # Mbit/s, for --rate auto
MAX_RATE_MBIT = 100_000
STAR_MAX_WORKERS = 128
# In virtual time (the User-Mode Linux testbed) CPU work costs nothing, so
# an unshaped path has no capacity to measure: the rate is the datacenter
# operating point unless given, and the base RTT comes from a delay on
# every host's port.
VIRTUAL_RATE_MBIT = 1000
# ... but the T-DCTCP thesis ran its fat-tree at 100 Mbit/s
VIRTUAL_RATE_MBIT_BY_EXPERIMENT = {"fattree": 100}
VIRTUAL_RTT_US = 100
FATTREE_WORKERS = 15
MAX_BACKGROUND = 8
# --monitor-ab: the two arms' suffixes to a run's label
MONITOR_ARMS = (" [monitors]", " [no monitors]")

# per-experiment defaults that differ from the dataclass's
DEFAULTS = {
    "incast": {"reps": 3},
    "queue-buildup": {"reps": 3, "duration": 10.0},
    "k-sweep": {"reps": 2, "duration": 8.0},
    "convergence": {"reps": 2},
    "fattree": {"reps": 2, "duration": 30.0, "queries": 20},
}


class OptionError(ValueError):
    """An option that cannot work; the message starts with the option."""


@dataclass
class Options:
    experiment: str
    ccs: list = field(default_factory=lambda: list(DEFAULT_CCS))
    reps: int = 3
    rate: float | None = None           # Mbit/s; None: the highest that passes the capacity check
    k: int = 20
    buffer: int = 100
    n: list = field(default_factory=lambda: [4, 8, 16, 32])
    bytes: int = 1_000_000
    queries: int = 30
    rto_min_ms: int = 10
    duration: float = 10.0
    interval_ms: float = 100.0
    k_list: list = field(default_factory=lambda: [5, 10, 20, 40, 80])
    background: int = 0
    flows: int = 3
    step: float = 5.0
    load: float = 0.3
    seed: int = 1
    hz: float = 1000.0
    probe_reps: int = 1
    monitor: bool = True
    monitor_ab: bool = False
    report: bool = True
    out: str = ""
    force: bool = False
    safe_fraction: float = 0.15
    capacity_seconds: float = 3.0
    clock: str = "wall"                 # "virtual" on the User-Mode Linux testbed
    switch: str = ""                    # "ovs", "bridge" or "router"; "" = by clock and experiment
    rtt_us: float | None = None         # base RTT added by host delays; None = by the clock
    jitter_us: float = 0.0              # random start offset of each run, up to this
    carried_fraction: float = 0.9       # of the shaped rate a long flow must carry
    testbed: str = ""                   # an inventory of real hosts (dctestbed.inventory); "" = Mininet
    offloads: str = "off"               # --testbed: "off" (one packet per segment) or "on" (as found)

    def run_labels(self, label):
        """The labels of label's runs in one repetition: itself, or with
        --monitor-ab its monitored and unmonitored arm."""
        return [label + arm for arm in MONITOR_ARMS] if self.monitor_ab else [label]

    @property
    def labels(self):
        """Every run label, as results name them (params.json "ccs")."""
        return [r for label in self.ccs for r in self.run_labels(label)]

    @property
    def modules(self):
        """The congestion control modules the --cc variants select."""
        return variants.modules(self.ccs)

    def port(self, k=None):
        return RedPort(self.rate, k or self.k, self.buffer)

    def as_dict(self):
        return asdict(self)


def int_list(text):
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("empty list")
    return values


def name_list(text):
    return [v.strip() for v in text.split(",") if v.strip()]


def rate_arg(text):
    if text == "auto":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected Mbit/s or 'auto', got {text!r}") from None


def parser():
    p = argparse.ArgumentParser(prog="python3 -m dctestbed",
                                description="Run a testbed experiment and write its report.")
    p.add_argument("experiment", choices=sorted(DEFAULTS))
    a = p.add_argument
    a("--cc", dest="ccs", type=name_list, help="congestion controls, comma-separated "
      f"(default {','.join(DEFAULT_CCS)}); an entry may set module parameters for its runs, "
      "e.g. tdctcp:auto_thresholds=1:auto_high_pkts=20")
    a("--reps", type=int, help="repetitions of each congestion control and group")
    a("--rate", type=rate_arg, help="bottleneck rate in Mbit/s, or auto: the highest rate "
      "within --safe-fraction of the measured capacity (default on the wall-clock testbeds; "
      f"in virtual time {VIRTUAL_RATE_MBIT}, the fat-tree "
      f"{VIRTUAL_RATE_MBIT_BY_EXPERIMENT['fattree']})")
    a("--k", type=int, help="ECN marking threshold K, packets (default 20)")
    a("--buffer", type=int, help="switch port buffer, packets (default 100)")
    a("--n", type=int_list, help="incast: workers, comma-separated sweep (default 4,8,16,32)")
    a("--bytes", type=int, help="incast: total response size S in bytes (default 1000000)")
    a("--queries", type=int, help="incast: queries per run (default 30)")
    a("--background", type=int, help="incast: long iperf3 flows into the aggregator's port "
      "while the queries run (default 0)")
    a("--rto-min-ms", type=int, help="minimum RTO on every host route, ms; 0 = kernel default "
      "(200 ms) (default 10)")
    a("--duration", type=float, help="seconds of traffic per run (queue-buildup, k-sweep, fattree)")
    a("--interval-ms", type=float, help="queue-buildup: gap between 20 KB requests (default 100)")
    a("--k-list", type=int_list, help="k-sweep: values of K (default 5,10,20,40,80)")
    a("--flows", type=int, help="convergence: number of flows (default 3)")
    a("--step", type=float, help="convergence: seconds between joins (default 5)")
    a("--load", type=float, help="fattree: web-search background load, fraction of the rate (0.3)")
    a("--seed", type=int, help="workload random seed (default 1)")
    a("--hz", type=float, help="queue sampling rate (default 1000)")
    a("--probe-reps", type=int, help="record tcp_probe in the first N reps (default 1)")
    a("--no-monitor", dest="monitor", action="store_false", default=None,
      help="no queue sampling or tcp_probe (to measure the monitors' overhead)")
    a("--monitor-ab", action="store_true", default=None,
      help="run every control and repetition twice, with the monitors and without, in "
      "alternating order on the same network (what the monitors cost: make monitor-overhead)")
    a("--no-report", dest="report", action="store_false", default=None,
      help="leave the report to `python3 -m dctestbed report OUT` (scripts/experiment.sh "
      "writes it on the host, faster than in the emulated guest)")
    a("--out", help="run directory (default results/runs/<experiment>-<date>)")
    a("--force", action="store_true", default=None,
      help="run even when the rate exceeds the safe fraction of the capacity (warns)")
    a("--safe-fraction", type=float, help="largest rate / capacity accepted (default 0.15)")
    a("--switch", choices=("ovs", "bridge", "router"), help="Mininet switches: Open vSwitch "
      "(default on the wall-clock testbeds), Linux bridges (default in virtual time; no "
      "fat-tree) or routers with equal-cost multipath (the fat-tree only; its default in "
      "virtual time)")
    a("--rtt-us", type=float, help="base RTT to add with a delay on every host's port, us "
      f"(default {VIRTUAL_RTT_US} in virtual time, 0 on the wall-clock testbeds)")
    a("--jitter-us", type=float, help="each run starts after a random delay of up to this, "
      "drawn from --seed and the repetition, the same for every control (default 0; "
      "identical virtual-time runs repeat exactly)")
    a("--carried-fraction", type=float, help="a long flow over the shaped path must carry this "
      "fraction of the shaped rate, or the run is invalid (default 0.9)")
    a("--testbed", metavar="INVENTORY", help="run on the hosts of an Ansible-style YAML "
      "inventory, reached over SSH, instead of Mininet (README: On your own testbed)")
    a("--offloads", choices=("off", "on"), help="--testbed: segmentation offloads (TSO, GSO, "
      "GRO) off on every data NIC, as on the emulated testbeds (default), or left on as in "
      "production")
    return p


def clock():
    """The testbed's clock: "virtual" on the User-Mode Linux testbed (its
    init exports DCTESTBED_CLOCK), "wall" elsewhere."""
    return "virtual" if os.environ.get("DCTESTBED_CLOCK") == "virtual" else "wall"


def parse(argv, clock_name=None):
    args = vars(parser().parse_args(argv))
    exp = args.pop("experiment")
    values = dict(DEFAULTS[exp])
    values.update((k, v) for k, v in args.items() if v is not None)
    o = Options(experiment=exp, clock=clock_name or clock(), **values)
    if not o.switch:
        o.switch = "ovs" if o.clock != "virtual" else "router" if exp == "fattree" else "bridge"
    if o.rtt_us is None:
        o.rtt_us = float(VIRTUAL_RTT_US if o.clock == "virtual" else 0)
    if o.rate is None and o.clock == "virtual":
        o.rate = float(VIRTUAL_RATE_MBIT_BY_EXPERIMENT.get(exp, VIRTUAL_RATE_MBIT))
    if not o.out:
        o.out = str(TOP / "results" / "runs" / f"{exp}-{datetime.now():%Y%m%d-%H%M%S}")
    return o


def available_ccs():
    return set(Path("/proc/sys/net/ipv4/tcp_available_congestion_control").read_text().split())


def loadable(cc):
    if variants.is_bpf(cc):
        return cc in available_ccs() or variants.bpf_object(cc).exists()
    if cc in available_ccs() or variants.module_file(cc).exists():
        return True
    return subprocess.run(["modinfo", f"tcp_{cc}"], capture_output=True).returncode == 0


def check(o, environment=True):
    """Raise OptionError for an impossible option; environment=False checks
    only the options themselves (no kernel or root needed)."""
    def need(cond, msg):
        if not cond:
            raise OptionError(msg)

    need(o.ccs, "--cc: no congestion control given")
    need(len(set(o.ccs)) == len(o.ccs), f"--cc {','.join(o.ccs)}: listed twice")
    for cc in o.ccs:
        try:
            variants.params_of(cc)
        except variants.VariantError as e:
            raise OptionError(str(e)) from None
    need(o.reps >= 1, f"--reps {o.reps}: must be at least 1")
    if o.rate is not None:
        need(0 < o.rate <= MAX_RATE_MBIT,
             f"--rate {o.rate:g}: HTB here shapes between 0 and {MAX_RATE_MBIT} Mbit/s")
    need(o.k >= 1, f"--k {o.k}: K must be at least 1 packet")
    need(o.buffer > o.k, f"--k {o.k}: K must be smaller than --buffer ({o.buffer} packets)")
    for k in o.k_list if o.experiment == "k-sweep" else ():
        need(1 <= k < o.buffer, f"--k-list {k}: each K must be between 1 and --buffer - 1 ({o.buffer - 1})")
    try:
        RedPort(o.rate or 1.0, o.k, o.buffer)
    except PortConfigError as e:
        raise OptionError(f"--k/--buffer: {e}") from None
    if o.experiment == "incast":
        for n in o.n:
            need(1 <= n <= STAR_MAX_WORKERS,
                 f"--n {n}: the star topology has 1 to {STAR_MAX_WORKERS} workers")
        need(o.bytes >= max(o.n), f"--bytes {o.bytes}: fewer bytes than workers")
        need(0 <= o.background <= MAX_BACKGROUND,
             f"--background {o.background}: 0 to {MAX_BACKGROUND} long flows")
        need(max(o.n) + o.background <= STAR_MAX_WORKERS,
             f"--background {o.background}: with --n {max(o.n)} the star needs more than "
             f"{STAR_MAX_WORKERS + 1} hosts")
    if o.experiment in ("incast", "fattree"):
        need(o.queries >= 1, f"--queries {o.queries}: must be at least 1")
        need(o.bytes >= FATTREE_WORKERS or o.experiment == "incast",
             f"--bytes {o.bytes}: fewer bytes than the fat-tree's {FATTREE_WORKERS} workers")
    need(o.background == 0 or o.experiment == "incast",
         f"--background {o.background}: only the incast experiment has background flows")
    need(o.rto_min_ms >= 0, f"--rto-min-ms {o.rto_min_ms}: must be 0 (kernel default) or positive")
    if o.experiment in ("queue-buildup", "k-sweep", "fattree"):
        need(o.duration >= 4, f"--duration {o.duration:g}: at least 4 s")
    need(o.interval_ms > 0, f"--interval-ms {o.interval_ms:g}: must be positive")
    if o.experiment == "convergence":
        need(2 <= o.flows <= 16, f"--flows {o.flows}: 2 to 16 flows")
        need(o.step >= 1, f"--step {o.step:g}: at least 1 s")
    need(0 < o.load <= 1, f"--load {o.load:g}: a fraction in (0, 1]")
    need(10 <= o.hz <= 10_000, f"--hz {o.hz:g}: 10 to 10000 samples per second")
    need(o.probe_reps >= 0, f"--probe-reps {o.probe_reps}: must be 0 or more")
    need(o.monitor or not o.monitor_ab, "--monitor-ab: needs the monitors (drop --no-monitor)")
    need(0 < o.safe_fraction <= 1, f"--safe-fraction {o.safe_fraction:g}: a fraction in (0, 1]")
    need(0 < o.carried_fraction <= 1,
         f"--carried-fraction {o.carried_fraction:g}: a fraction in (0, 1]")
    need(0 <= o.rtt_us <= 1_000_000, f"--rtt-us {o.rtt_us:g}: 0 to 1000000 us")
    need(0 <= o.jitter_us <= 1_000_000, f"--jitter-us {o.jitter_us:g}: 0 to 1000000 us")
    need(o.switch != "bridge" or o.experiment != "fattree",
         "--switch bridge: the fat-tree's multipath needs Open vSwitch or routers "
         "(--switch ovs or router)")
    need(o.switch != "router" or o.experiment == "fattree",
         f"--switch router: only the fat-tree is routed ({o.experiment} is one bridged segment)")
    out = Path(o.out)
    need(not out.exists() or out.is_dir(), f"--out {o.out}: exists and is not a directory")
    need(not o.testbed or Path(o.testbed).is_file(), f"--testbed {o.testbed}: no such file")
    need(o.offloads == "off" or o.testbed, "--offloads on: only on a --testbed (the emulated "
         "testbeds always run without offloads)")
    if o.testbed:
        need(o.experiment != "fattree", "--testbed: the fattree experiment needs the emulated "
             "k = 4 fat-tree")
        for label in o.ccs:
            need(not variants.is_bpf(label), f"--cc {label}: the BPF builds run on the emulated "
                 "testbeds only, not on a --testbed")
            need(not variants.params_of(label), f"--cc {label}: module parameters per run are "
                 "set on the emulated testbeds only; on a --testbed set them on the hosts")
        return          # the hosts are checked over SSH before anything starts
    if not environment:
        return
    need(os.geteuid() == 0, "experiments need root (network namespaces, tc, modules)")
    for cc in o.modules:
        need(loadable(cc), f"--cc {cc}: not available in this kernel "
             f"(available: {' '.join(sorted(available_ccs()))}; "
             f"{'no BPF build: run make bpf' if variants.is_bpf(cc) else f'no module tcp_{cc}'})")
    for label in o.ccs:
        names = variants.params_of(label)
        if names:
            known = variants.known_params(variants.module_of(label))
            for name in names:
                need(name in known, f"--cc {label}: {variants.module_of(label)} has no parameter "
                     f"{name} (it has: {' '.join(sorted(known)) or 'none'})")


def main(argv):
    """Check options without running anything: exit 2 with the message."""
    try:
        check(parse(argv), environment=False)
    except OptionError as e:
        print(f"dctestbed: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
