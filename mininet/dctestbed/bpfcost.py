"""What the BPF build costs against the module: unshaped, CPU-bound
transfers between two testbed hosts on a bridge (offloads off, as in every
experiment: one ACK path per segment), module and BPF build alternating
(the order swapped every repetition), and the BPF programs' own time per
call from the kernel's BPF statistics.

    python3 -m dctestbed.bpfcost OUT [--reps N] [--seconds S] [--ccs tdctcp,xdctcp]

Writes OUT/raw.csv (every transfer), OUT/bpf_stats.json and OUT/cost.md:
per control, the paired ratio of BPF to module goodput with its 95 %
interval ("inconclusive" where it includes 1).  Needs root, the modules
(make) and the objects (make bpf); run in the testbed VM by
scripts/bpf-cost.sh.
"""

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

from dctestbed.runner import iperf_mbit, prepare_kernel
from dctestbed.stats import paired_ratio_ci
from dctestbed.testbed import Testbed, cleanup
from dctestbed.topo import StarTopo


def sh(cmd, check=True):
    return subprocess.run(cmd, capture_output=True, text=True, check=check)


def bpf_stats():
    """{program name: (calls, ns per call)} of the registered struct_ops programs."""
    out = {}
    for p in json.loads(sh(["bpftool", "-j", "prog", "show"]).stdout):
        if p.get("type") == "struct_ops" and p.get("run_cnt"):
            out[p["name"]] = (p["run_cnt"], p["run_time_ns"] / p["run_cnt"])
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--reps", type=int, default=6)
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--ccs", default="tdctcp,xdctcp")
    a = ap.parse_args(argv)
    ccs = a.ccs.split(",")
    if a.reps < 2 or a.seconds < 1 or not set(ccs) <= {"tdctcp", "xdctcp"}:
        ap.error("--reps >= 2, --seconds >= 1, --ccs from tdctcp,xdctcp")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    # the experiments' own set-up: modules and BPF builds, two hosts on a bridge
    prepare_kernel([*ccs, *(f"bpf_{cc}" for cc in ccs)])
    cleanup("bridge")
    tb = Testbed(StarTopo(n=2), "bridge").start()
    try:
        tb.init_hosts()
        src, dst = tb.host("h2"), tb.host("h1")
        sh(["sysctl", "-qw", "kernel.bpf_stats_enabled=1"])
        for rep in range(a.reps):
            for cc in ccs:
                for name in [cc, f"bpf_{cc}"][:: 1 if rep % 2 == 0 else -1]:
                    tb.set_default_cc([src, dst], name)
                    mbit = iperf_mbit(tb, src, dst, a.seconds)
                    rows.append((rep + 1, name, round(mbit, 1)))
                    print(f"rep {rep + 1}/{a.reps} {name}: {mbit:.1f} Mbit/s", flush=True)
        stats = bpf_stats()
    finally:
        sh(["sysctl", "-qw", "kernel.bpf_stats_enabled=0"], check=False)
        tb.stop()
    with open(out / "raw.csv", "w", newline="") as f:
        csv.writer(f).writerows([("rep", "cc", "goodput_mbit"), *rows])
    (out / "bpf_stats.json").write_text(json.dumps(stats, indent=1) + "\n")
    lines = [f"# What the BPF builds cost against the modules ({a.reps} paired repetitions, "
             f"{a.seconds} s unshaped iperf3 between two hosts on a bridge, offloads off, "
             "CPU-bound)", "",
             f"Kernel {sh(['uname', '-r']).stdout.strip()}.  Command: `make bpf-cost` "
             f"(`scripts/bpf-cost.sh`).  "
             "Raw data: raw.csv, bpf_stats.json.", "",
             "| control | module Mbit/s (median) | BPF Mbit/s (median) | BPF / module, 95 % CI | verdict |",
             "|---|---|---|---|---|"]
    for cc in ccs:
        mod = [m for _, n, m in rows if n == cc]
        bpf = [m for _, n, m in rows if n == f"bpf_{cc}"]
        r, lo, hi = paired_ratio_ci(bpf, mod)
        verdict = "inconclusive" if lo <= 1 <= hi else ("BPF slower" if hi < 1 else "BPF faster")
        lines.append(f"| {cc} | {sorted(mod)[len(mod) // 2]:.0f} | {sorted(bpf)[len(bpf) // 2]:.0f} "
                     f"| {r:.3f} [{lo:.3f}–{hi:.3f}] | {verdict} |")
    lines += ["", "Time inside the BPF programs (kernel.bpf_stats_enabled), per call:", "",
              "| program | calls | ns per call |", "|---|---|---|"]
    lines += [f"| {name} | {calls} | {ns:.0f} |" for name, (calls, ns) in sorted(stats.items())]
    lines += ["", "Under software emulation (QEMU TCG) every instruction costs far more than on "
              "hardware: the ratio is the comparison, the nanoseconds an upper bound."]
    (out / "cost.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
