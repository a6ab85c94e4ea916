"""make reproduce: the papers' headline claims next to this testbed's.

    python3 -m dctestbed.reproduce plan [--clock virtual|wall]
        one line per run: NAME EXPERIMENT OPTION...  (scripts/reproduce.sh runs them)
    python3 -m dctestbed.reproduce report [DIR] [--wall DIR] [--minutes M] [--out FILE]
        reads DIR/NAME/ for every run of the virtual-time plan (and the
        wall-clock VM's runs, in their own section) and writes REPRODUCTION.md

Every figure and verdict is computed from the raw CSV of the run
directories (claims.py: paired bootstrap intervals), so the report can be
regenerated from the committed data without running anything.
"""

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from dctestbed import claims, report

TOP = Path(__file__).resolve().parents[2]

# The papers' operating points, run in virtual time (User-Mode Linux)
# or on real hosts: DCTCP's 1 Gbit/s with K = 20, a 100-packet buffer and
# a 100 us base RTT (and its 10 Gbit/s point, K = 65); the T-DCTCP thesis'
# fat-tree at 100 Mbit/s.  Every repetition starts after a jitter drawn
# from the seed and the repetition, the same for every control, so the
# controls' repetitions pair up.
RATE_MBIT, K_PKTS, BUFFER_PKTS = 1000, 20, 100
DC = ["--rate", str(RATE_MBIT), "--k", str(K_PKTS), "--buffer", str(BUFFER_PKTS),
      "--rtt-us", "100", "--jitter-us", "10000"]
DC10G = ["--rate", "10000", "--k", "65", "--buffer", "325", "--rtt-us", "100", "--jitter-us", "10000"]
FAT = ["--rate", "100", "--k", str(K_PKTS), "--buffer", str(BUFFER_PKTS), "--rtt-us", "100",
       "--jitter-us", "10000"]
# the wall-clock VM's plan: 20 Mbit/s, the rate its capacity check allows
WALL_RATE_MBIT = 20
WALL = ["--rate", str(WALL_RATE_MBIT), "--k", str(K_PKTS), "--buffer", str(BUFFER_PKTS)]


def scaled_t_low_us(rate_mbit):
    """The thesis derives T_low as the time a 64 KB window takes at the
    link rate (5 ms at 100 Mbit/s) and T_high as ten times that."""
    return round(65536 * 8 / rate_mbit)


def scaled(rate_mbit):
    t = scaled_t_low_us(rate_mbit)
    return f"tdctcp:t_low_us={t}:t_high_us={10 * t}"


SCALED, WALL_SCALED = scaled(RATE_MBIT), scaled(WALL_RATE_MBIT)
AUTO = "tdctcp:auto_thresholds=1"
# the poster's ranges (g 0.05-0.11, ns 0.1-0.5, nl 0.5-1.0), thinned: ns
# and nl around the poster's optimum, then g at that point
POSTER = "xdctcp:g=92:ns=307:nl=1024"
XGRID = [*(f"xdctcp:g=92:ns={ns}:nl={nl}" for ns in (102, 307, 512) for nl in (512, 1024)),
         "xdctcp:g=51:ns=307:nl=1024", "xdctcp:g=113:ns=307:nl=1024"]
WALL_XGRID = [f"xdctcp:g={g}:ns={ns}:nl={nl}"
              for g in (51, 92, 113) for ns in (102, 307, 512) for nl in (512, 1024)]
TRENDS = {"alpha_factor": (32, 64, 128, 256),
          "t_low_us": (1250, 2500, 5000, 10000, 20000),
          "t_high_us": (12500, 25000, 50000, 100000, 200000)}
TREND_DEFAULT = {"alpha_factor": 128, "t_low_us": 5000, "t_high_us": 50000}
TREND_CCS = ",".join(f"tdctcp:{p}={v}" for p, vs in TRENDS.items() for v in vs)
# restart backoff (tcp_dctcp_base.h): off by default, the papers' behaviour
XR, TR, AR = ("xdctcp:restart_backoff=1", "tdctcp:restart_backoff=1",
              f"{AUTO}:restart_backoff=1")
# tdctcp holding its own queue below K: automatic thresholds at 1 and 4 of
# its own segments queued, the RTT cuts applied at once
TUNED = f"{AUTO}:auto_low_pkts=1:auto_high_pkts=4:direct_decrease=1"
# restart backoff by the last message's marked or retransmitted fraction (mode 2)
TUNED2, XR2 = f"{TUNED}:restart_backoff=2", "xdctcp:restart_backoff=2"
SEVEN = f"reno,cubic,dctcp,xdctcp,tdctcp,{SCALED},{AUTO}"
WALL_FIVE = f"reno,cubic,dctcp,xdctcp,tdctcp,{WALL_SCALED},{AUTO}"
INCAST_N = "16,32,48,64"
SWEEP_N = "4,16,32,48,64,96"

# name, experiment, options: the runs of each testbed's plan, in order
PLANS = {
    "virtual": [
        ("incast-rto10", "incast", ["--cc", f"{SEVEN},{XR},{TR},{AR}", "--n", INCAST_N, "--reps", "8",
                                    "--queries", "5", *DC]),
        ("incast-rto200", "incast", ["--cc", f"reno,cubic,dctcp,xdctcp,tdctcp,{XR},{AR},{TUNED2}",
                                     "--n", SWEEP_N,
                                     "--reps", "6", "--queries", "5", "--rto-min-ms", "0", *DC]),
        ("incast-background", "incast", ["--cc", "reno,dctcp", "--n", "16", "--reps", "8",
                                         "--queries", "5", "--background", "2", *DC]),
        ("incast-10g", "incast", ["--cc", "reno,dctcp", "--n", "16,32,48", "--reps", "5",
                                  "--queries", "5", *DC10G]),
        ("queue-buildup", "queue-buildup", ["--cc", f"reno,dctcp,xdctcp,tdctcp,{SCALED},{AUTO},{XR},{AR}",
                                            "--reps", "5", "--duration", "4", *DC]),
        ("basic", "k-sweep", ["--cc", "reno,cubic,dctcp", "--k-list", str(K_PKTS), "--reps", "5",
                              "--duration", "4", *DC]),
        ("fattree", "fattree", ["--cc", f"cubic,dctcp,tdctcp,{AUTO},xdctcp,{XR},{AR},{TUNED2}",
                                "--reps", "8", "--probe-reps", "8",
                                "--duration", "10", "--queries", "10", *FAT]),
        ("tdctcp-trends", "incast", ["--cc", TREND_CCS, "--n", "32", "--reps", "5",
                                     "--queries", "5", *DC]),
        ("xdctcp-grid", "queue-buildup", ["--cc", ",".join(["dctcp", *XGRID]), "--reps", "3",
                                          "--duration", "4", *DC]),
        # the tuned tdctcp and restart backoff after congested messages only (mode 2)
        ("aim-incast", "incast", ["--cc", f"dctcp,{TUNED},{TUNED2},{XR2}", "--n", INCAST_N,
                                  "--reps", "8", "--queries", "5", *DC]),
        ("aim-queue-buildup", "queue-buildup", ["--cc", f"dctcp,{TUNED},{TUNED2},{XR2}",
                                                "--reps", "5", "--duration", "4", *DC]),
    ],
    # the wall-clock VM (QEMU, software emulation): 20 Mbit/s, 2-3 repetitions
    "wall": [
        ("basic", "k-sweep", ["--cc", "reno,cubic,dctcp", "--k-list", str(K_PKTS), "--reps", "3",
                              "--duration", "10", *WALL]),
        ("incast-rto10", "incast", ["--cc", WALL_FIVE, "--n", "4,16,32", "--reps", "3",
                                    "--queries", "20", *WALL]),
        ("incast-rto200", "incast", ["--cc", "reno,dctcp", "--n", "4,16,32", "--reps", "3",
                                     "--queries", "20", "--rto-min-ms", "0", *WALL]),
        ("incast-background", "incast", ["--cc", "reno,dctcp", "--n", "16", "--reps", "3",
                                         "--queries", "20", "--background", "2", *WALL]),
        ("queue-buildup", "queue-buildup", ["--cc", WALL_FIVE, "--reps", "3", "--duration", "10",
                                            *WALL]),
        ("xdctcp-grid", "queue-buildup", ["--cc", ",".join(["dctcp", *WALL_XGRID]), "--reps", "2",
                                          "--duration", "8", *WALL]),
        ("fattree", "fattree", ["--cc", f"cubic,dctcp,tdctcp,{AUTO}", "--reps", "2",
                                "--duration", "20", "--queries", "10", "--probe-reps", "2", *WALL]),
        ("tdctcp-trends", "incast", ["--cc", TREND_CCS, "--n", "16", "--reps", "2",
                                     "--queries", "20", *WALL]),
    ],
}


def plan_lines(clock="virtual"):
    return [" ".join([name, exp, *args]) for name, exp, args in PLANS[clock]]


# ---------------------------------------------------------------- the report

CHALLENGERS = ("xdctcp", "tdctcp", SCALED, AUTO, XR, TR, AR, TUNED, TUNED2, XR2)
WALL_CHALLENGERS = ("xdctcp", "tdctcp", WALL_SCALED, AUTO)


def read_runs(root, clock):
    """({name: claims.Run} of the plan's valid runs under root, {name: why not})."""
    runs, missing = {}, {}
    for name, _, _ in PLANS[clock]:
        d = Path(root) / name
        if not (d / "params.json").exists():
            missing[name] = "not run"
            continue
        run = claims.Run(d)
        why = run.valid()
        if why:
            missing[name] = f"invalid: {why}"
        else:
            runs[name] = run
    return runs, missing


def claim_rows(runs, missing, clock):
    c = claims.Claims(runs, missing)
    c.basic()
    c.incast("incast-rto10", f"{RATE_MBIT / 1000:g} Gbit/s" if clock == "virtual"
             else f"{WALL_RATE_MBIT} Mbit/s")
    if clock == "virtual":
        c.incast("incast-10g", "10 Gbit/s, K = 65")
    c.rto()
    c.background()
    c.queue_buildup()
    c.xdctcp()
    c.grid(XGRID if clock == "virtual" else WALL_XGRID, POSTER)
    c.fattree()
    c.trends(TRENDS, TREND_DEFAULT)
    return c.rows


def claims_table(rows):
    lines = ["| claim | paper | ours (95 % CI) | ratio [95 % CI] | verdict | why |",
             "|---|---|---|---|---|---|"]
    return lines + ["| " + " | ".join(r.cells()) + " |" for r in rows]


def verdict_counts(rows):
    counts = defaultdict(int)
    for r in rows:
        counts[r.verdict] += 1
    return ", ".join(f"{counts[v]} {v}" for v in claims.VERDICTS if counts[v])


def testbed_table(runs, missing, clock):
    lines = ["| run | experiment | controls | reps | rate | K / buffer | base RTT | carried | "
             "kernel | HZ | clock |", "|" + "---|" * 11]
    for name, exp, _ in PLANS[clock]:
        if name not in runs:
            lines.append(f"| {name} | {exp} | {missing.get(name, 'not run')} |" + " |" * 8)
            continue
        p = runs[name].params
        hz = report.kernel_hz_of(p) or "?"
        carried = (f"{p['carried_mbit']:g} Mbit/s" if p.get("carried_mbit") is not None
                   else f"capacity {p.get('capacity_mbit', 0):g} Mbit/s")
        lines.append(f"| [{name}]({name}/report.md) | {exp} | {len(p['ccs'])} | {p['reps']} | "
                     f"{p['rate_mbit']:g} Mbit/s | {p['k_pkts']} / {p['buffer_pkts']} pkts | "
                     f"{(p.get('base_rtt_us') or 0):.0f} µs | {carried} | {p.get('kernel', '?')} "
                     f"({p.get('emulation', '?')}) | {hz} | {p.get('clock', 'wall')} |")
    return lines


def case_table(runs):
    lines = ["| run | variant | decisions | " + " | ".join(report.CASE_NAMES) + " |",
             "|" + "---|" * (3 + len(report.CASE_NAMES))]
    for name, run in runs.items():
        for cc in run.params["ccs"]:
            cases = run.cases(cc)
            total = sum(cases.values())
            if not total:
                continue
            shares = [f"{100 * cases[c] / total:.1f}" for c in range(1, 9)]
            lines.append(f"| {name} | `{cc}` | {total} | " + " | ".join(shares) + " |")
    return lines


def grid_table(runs, points):
    run = runs.get("xdctcp-grid")
    if not run:
        return ["(xdctcp-grid not run)"]
    m = claims.completions("short", None)
    base_f, base_t = run.arm("dctcp", "", m), run.arm("dctcp", "", claims.LONG_TPUT)
    lines = ["| g | ns | nl | mean 20 KB completion ms [95 % CI] | vs dctcp [95 % CI] | "
             "long-flow throughput vs dctcp [95 % CI] |", "|---|---|---|---|---|---|",
             f"| dctcp | | | {claims.fmt_ci(claims.estimate(base_f))} | 1 | 1 |"]
    for label in points:
        p = dict(item.split("=") for item in label.split(":")[1:])
        f = run.arm(label, "", m)
        lines.append(f"| {int(p['g']) / 1024:.3f} | {int(p['ns']) / 1024:.2f} | "
                     f"{int(p['nl']) / 1024:.2f} | {claims.fmt_ci(claims.estimate(f))} | "
                     f"{claims.fmt_ratio(claims.paired([f, base_f]))} | "
                     f"{claims.fmt_ratio(claims.paired([run.arm(label, '', claims.LONG_TPUT), base_t]))} |")
    return lines


def rel(path):
    path = Path(path).resolve()
    try:
        return path.relative_to(TOP)
    except ValueError:
        return path


def virtual_section(root):
    runs, missing = read_runs(root, "virtual")
    rows = claim_rows(runs, missing, "virtual")
    rates = sorted({report.kernel_hz_of(r.params) for r in runs.values()} - {None})
    ticks = " and ".join(f"HZ = {hz} ({1000 / hz:g} ms ticks)" for hz in rates) or "HZ not recorded"
    lines = ["## The papers' operating points, in virtual time", "",
             f"Runs in `{rel(root)}/`: User-Mode Linux with time travel (CPU work takes no virtual "
             f"time, so the host's load does not enter the figures; kernel timers at {ticks}, "
             "the table says which run had which; Debian's x86 kernel ticks at 250), 1 Gbit/s "
             "bottlenecks with K = 20 and 100-packet buffers (10 Gbit/s with K = 65 and 325 "
             "packets), a 100 µs base RTT added on the hosts' ports, the fat-tree at 100 Mbit/s "
             "on routers with equal-cost multipath. Every run's start is jittered by up to 10 ms, "
             "the same jitter for every "
             "control in one repetition.", "",
             "Verdicts: " + verdict_counts(rows) + ".", ""]
    lines += testbed_table(runs, missing, "virtual") + ["", "### Claims", ""] + claims_table(rows)
    if "incast-rto200" in runs:
        table, ideal, rto_ms = claims.sweep_table(runs["incast-rto200"])
        lines += ["", "### Incast at scale: where each control leaves the ideal", "",
                  f"`incast-rto200`: the kernel's default minimum RTO ({rto_ms} ms), 1 MB per "
                  f"query split over N senders, ideal completion {ideal:.2f} ms. The knee is the "
                  "first N whose p99 interval lies above twice the ideal; the collapse the first N "
                  "whose p99 interval lies at or above the minimum RTO (the tail waits for a "
                  "retransmission timeout); \"undecided\" where an interval reaches the bound "
                  "without lying beyond it.", ""] + table
    aim_rows = claims.aims(runs, CHALLENGERS)
    lines += ["", "### Do xdctcp and tdctcp beat dctcp?", "",
              f"Where dctcp is at the limit (its p99 within {claims.AT_LIMIT}× the ideal) the aim "
              "is never to be worse: met when the paired ratio's whole interval lies at or below "
              f"{1 + claims.MARGIN:g} (a difference under {claims.MARGIN:.0%} counts as none), not "
              "met when it lies above, inconclusive when it holds both; where dctcp is far from "
              f"ideal (p99 above {claims.FAR}× the ideal, and short flows queued behind long ones) "
              f"the aim is a p99 at most {claims.AIM_RATIO}× dctcp's: met when the whole interval "
              f"lies at or below {claims.AIM_RATIO + claims.MARGIN:g} with long-flow throughput "
              f"within {claims.AIM_TPUT:.0%} of dctcp's, not met when it lies above.", ""]
    lines += claims.aim_summary(aim_rows, CHALLENGERS) + [""] + claims.aim_table(aim_rows)
    lines += ["", "### Which T-DCTCP cases fire", "",
              "Share of each variant's decisions (%) per case of the thesis' Figure 3-2, from "
              "tdctcp's counters around every run, summed over repetitions and groups.", ""]
    lines += case_table(runs)
    lines += ["", "### The xDCTCP grid (queue buildup)", ""] + grid_table(runs, XGRID)
    return lines


def wall_section(root):
    runs, missing = read_runs(root, "wall")
    if not runs:
        return ["## The wall-clock testbed", "", f"(no runs in `{rel(root)}/`)"]
    rows = claim_rows(runs, missing, "wall")
    return ["## The wall-clock testbed (QEMU, 20 Mbit/s)", "",
            f"Runs in `{rel(root)}/` (`TESTBED=vm make reproduce`): Debian's stock kernel in QEMU "
            "under software emulation, 20 Mbit/s (the rate its capacity check allowed), K = 20, "
            "100-packet buffers, a 0.6 ms base RTT, 2-3 repetitions. A second testbed, kept for "
            "comparison: at 20 Mbit/s the bandwidth-delay product is below one packet, so the "
            "papers' regime is not reached, and two or three repetitions give wide intervals. The "
            "same verdict rules apply.", "",
            "Verdicts: " + verdict_counts(rows) + ".", ""] + testbed_table(runs, missing, "wall") + [
            "", "### Claims", ""] + claims_table(rows) + [
            "", "### Which T-DCTCP cases fire", ""] + case_table(runs)


def render(root, wall_root=None, minutes=None):
    lines = ["# Reproducing the papers' headline results", "",
             "Generated by `make reproduce` (`scripts/reproduce.sh`); regenerate from the committed "
             "runs alone with `PYTHONPATH=mininet python3 -m dctestbed.reproduce report`."
             + (f" The plan's runs took {minutes:.0f} minutes of wall time here." if minutes else ""), "",
             "Every figure is an estimate with its 95 % bootstrap interval over repetitions. Every "
             "comparison is a ratio (the first control over the second) whose interval resamples "
             "repetitions paired across controls (same seed, same start jitter). A difference "
             f"under {claims.MARGIN:.0%} counts as none, on either side of 1. **reproduced**: the "
             f"interval lies on the paper's side of 1 by more than {claims.MARGIN:.0%} and, where "
             "the paper gives a ratio, holds it (for a claim of equality: the interval lies inside "
             "the stated margin); **direction only**: on the paper's side, but the interval "
             "excludes the paper's ratio (a smaller or a larger effect); **not reproduced**: the "
             f"interval rules out an effect of more than {claims.MARGIN:.0%} in the paper's "
             "direction (no effect, or the opposite one; for equality: it lies outside the "
             "margin); **inconclusive**: it allows both; **invalid**: the path did not carry its "
             "shaped rate (not reported). Where the paper gives a ratio, the row says whether the "
             "interval is narrower than the paper's effect. DCTCP's claims compare with reno, as "
             "the slides do.", ""]
    lines += virtual_section(root)
    if wall_root:
        lines += [""] + wall_section(wall_root)
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m dctestbed.reproduce")
    sub = p.add_subparsers(dest="cmd", required=True)
    pl = sub.add_parser("plan")
    pl.add_argument("--clock", choices=sorted(PLANS), default="virtual",
                    help="virtual: User-Mode Linux or real hosts; wall: the wall-clock VM")
    r = sub.add_parser("report")
    r.add_argument("dir", nargs="?", default=str(TOP / "results" / "reproduce"),
                   help="the virtual-time (or real hosts') runs")
    r.add_argument("--wall", default=str(TOP / "results" / "reproduce-wallclock"),
                   help="the wall-clock VM's runs, reported in their own section")
    r.add_argument("--minutes", type=float)
    r.add_argument("--out", default=str(TOP / "results" / "REPRODUCTION.md"))
    a = p.parse_args(argv)
    if a.cmd == "plan":
        print("\n".join(plan_lines(a.clock)))
        return 0
    wall = a.wall if Path(a.wall).is_dir() else None
    Path(a.out).write_text(render(a.dir, wall, a.minutes))
    print(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
