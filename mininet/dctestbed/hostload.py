"""Does the host's load move the results?  The same small incast point,
run once on an idle host and once with every host core kept busy, is
compared control by control: median warm query completion time and
median goodput.  On the virtual-time testbed they must agree within a
tolerance (--check); on the wall-clock VM the difference is reported.

    python3 -m dctestbed.hostload compare IDLE_RUN LOADED_RUN [--check] [--tolerance 0.02]
        prints a Markdown table; with --check exits 1 when a figure moved
        by more than the tolerance
"""

import argparse
import sys

from dctestbed import stats
from dctestbed.claims import Run, goodput, median_completion_ms


def figures(run_dir):
    """{cc: (median warm QCT ms, median goodput Mbit/s)} over repetitions."""
    run = Run(run_dir)
    out = {}
    for cc in run.params["ccs"]:
        for group in run.params["groups"]:
            qct = run.per_rep(cc, group, median_completion_ms("query"))
            good = run.per_rep(cc, group, goodput)
            if qct and good:
                out[f"{cc}{'' if len(run.params['groups']) == 1 else f' N={group}'}"] = (
                    stats.percentile(qct, 50), stats.percentile(good, 50))
    return run.params, out


def compare(idle_dir, loaded_dir, tolerance):
    """(markdown lines, worst relative change)."""
    p_idle, idle = figures(idle_dir)
    _, loaded = figures(loaded_dir)
    lines = ["| control | median QCT idle / loaded, ms | change | goodput idle / loaded, Mbit/s "
             "| change |", "|---|---|---|---|---|"]
    worst = 0.0
    for cc in idle:
        if cc not in loaded:
            lines.append(f"| {cc} | missing under load | | | |")
            worst = float("inf")
            continue
        (q0, g0), (q1, g1) = idle[cc], loaded[cc]
        dq, dg = q1 / q0 - 1, g1 / g0 - 1
        worst = max(worst, abs(dq), abs(dg))
        lines.append(f"| {cc} | {q0:.3f} / {q1:.3f} | {100 * dq:+.2f} % | {g0:.1f} / {g1:.1f} "
                     f"| {100 * dg:+.2f} % |")
    lines += ["", f"Testbed: {p_idle.get('emulation', '?')}, clock {p_idle.get('clock', 'wall')}, "
              f"kernel {p_idle.get('kernel', '?')}, HZ {p_idle.get('kernel_hz') or '?'}; "
              f"largest change {100 * worst:.2f} % "
              f"(tolerance {100 * tolerance:g} %)."]
    return lines, worst


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m dctestbed.hostload")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("idle")
    c.add_argument("loaded")
    c.add_argument("--check", action="store_true")
    c.add_argument("--tolerance", type=float, default=0.02)
    a = p.parse_args(argv)
    lines, worst = compare(a.idle, a.loaded, a.tolerance)
    print("\n".join(lines))
    if a.check and worst > a.tolerance:
        print(f"hostload: a figure moved by {100 * worst:.2f} % under load "
              f"(more than {100 * a.tolerance:g} %)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
