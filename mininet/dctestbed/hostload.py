"""Does the host's load move the results?  The same small incast point,
run once on an idle host and once with every host core kept busy, is
compared control by control: median warm query completion time and
median goodput.  On the virtual-time testbed they must agree within a
tolerance (--check); on the wall-clock VM the difference is reported.
Then query by query (the i-th warm query of repetition r of a control in
one run against the same query in the other): how many are the same and
how far the others moved, for the loaded run and, with --again, for a
second idle run, which tells the guest's own run-to-run variation from
what the host's load adds.

    python3 -m dctestbed.hostload compare IDLE_RUN LOADED_RUN [--again IDLE_RUN2]
                                          [--check] [--tolerance 0.02]
        prints Markdown tables; with --check exits 1 when a median moved
        by more than the tolerance
"""

import argparse
import sys

from dctestbed import analysis, report, stats
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


SAME_US = 1.0       # queries within a microsecond count as the same


def queries(run_dir):
    """{(control, repetition): [warm query completion us, in order]}."""
    run = Run(run_dir)
    groups = run.params["groups"]
    out = {}
    for cc in run.params["ccs"]:
        for group in groups:
            label = f"{cc}{'' if len(groups) == 1 else f' N={group}'}"
            for rep in analysis.repetitions(run.data, cc, str(group)):
                out[(label, rep.rep)] = rep.completions("query")
    return out


def query_changes(a_dir, b_dir):
    """{control: [relative change of each paired query, b over a minus 1]}."""
    a, b = queries(a_dir), queries(b_dir)
    out = {}
    for key in sorted(set(a) & set(b)):
        pairs = zip(a[key], b[key], strict=False)
        out.setdefault(key[0], []).extend(
            0.0 if abs(y - x) < SAME_US else y / x - 1 for x, y in pairs)
    return out


def per_query(a_dir, b_dir, what):
    """Markdown lines: per control, how many paired queries are the same,
    the median and the largest change of the others."""
    lines = [f"| control | queries paired | the same | median change of the others ({what}) | "
             "largest change |", "|---|---|---|---|---|"]
    for cc, changes in query_changes(a_dir, b_dir).items():
        moved = [abs(c) for c in changes if c != 0.0]
        worst = max(changes, key=abs) if moved else 0.0
        median = f"{100 * stats.percentile(moved, 50):.2f} %" if moved else "-"
        lines.append(f"| {cc} | {len(changes)} | {len(changes) - len(moved)} | {median} | "
                     f"{100 * worst:+.2f} % |")
    return lines


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
              f"kernel {p_idle.get('kernel', '?')}, HZ {report.kernel_hz_of(p_idle) or '?'}; "
              f"largest change {100 * worst:.2f} % "
              f"(tolerance {100 * tolerance:g} %)."]
    return lines, worst


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m dctestbed.hostload")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("idle")
    c.add_argument("loaded")
    c.add_argument("--again", metavar="IDLE_RUN2",
                   help="a second idle run: the guest's own variation, query by query")
    c.add_argument("--check", action="store_true")
    c.add_argument("--tolerance", type=float, default=0.02)
    a = p.parse_args(argv)
    lines, worst = compare(a.idle, a.loaded, a.tolerance)
    lines += ["", "Query by query, idle against loaded:", ""]
    lines += per_query(a.idle, a.loaded, "loaded over idle")
    if a.again:
        lines += ["", "Query by query, idle against a second idle run (the guest's own "
                  "variation):", ""]
        lines += per_query(a.idle, a.again, "second idle over first")
    print("\n".join(lines))
    if a.check and worst > a.tolerance:
        print(f"hostload: a figure moved by {100 * worst:.2f} % under load "
              f"(more than {100 * a.tolerance:g} %)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
