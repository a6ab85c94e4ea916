"""What the monitors cost, from one `incast --monitor-ab` run: every
control and repetition ran twice on the same network, with the monitors
(queue sampling, tcp_probe) and without, in alternating order.  Each
repetition gives one pair (its median warm query and its goodput, with
and without); the cost is the geometric mean of the pairs' ratios with a
bootstrap confidence interval over the pairs.

    python3 -m dctestbed.overhead RUN_DIR     writes RUN_DIR/overhead.md
"""

import argparse
import sys
from pathlib import Path

from dctestbed import analysis, options, stats
from dctestbed.claims import Run, goodput, median_completion_ms

WITH, WITHOUT = options.MONITOR_ARMS


def pairs(run, label, group, metric):
    """[(with, without)] of metric per repetition where both arms have it."""
    without = {r.rep: r for r in analysis.repetitions(run.data, label + WITHOUT, group)}
    out = []
    for rep in analysis.repetitions(run.data, label + WITH, group):
        if rep.rep in without:
            a, b = metric(rep), metric(without[rep.rep])
            if a is not None and b is not None:
                out.append((a, b))
    return out


def cost(ps):
    """"ratio [low–high]" and the verdict the interval allows."""
    if len(ps) < 2:
        return "-", "inconclusive (fewer than two pairs)"
    r, lo, hi = stats.paired_ratio_ci([a for a, _ in ps], [b for _, b in ps])
    if lo > 1:
        verdict = f"higher with monitors, by {100 * (lo - 1):.0f}–{100 * (hi - 1):.0f} %"
    elif hi < 1:
        verdict = f"lower with monitors, by {100 * (1 - hi):.0f}–{100 * (1 - lo):.0f} %"
    else:
        verdict = "inconclusive (the interval holds 1)"
    return f"{r:.3f} [{lo:.3f}–{hi:.3f}]", verdict


def render(run_dir):
    run = Run(run_dir)
    params = run.params
    labels = [c[:-len(WITH)] for c in params["ccs"] if c.endswith(WITH)]
    if not labels:
        raise ValueError(f"{run_dir}: not a --monitor-ab run (no '{WITH}' labels)")
    group = str(params["groups"][0])
    median_qct = median_completion_ms("query")
    rows = ["| cc | pairs | median QCT with / without, ms | ratio [95 % CI] | | "
            "goodput with / without, Mbit/s | ratio [95 % CI] | | queue samples/s |",
            "|---|---|---|---|---|---|---|---|---|"]
    pooled = {"qct": [], "goodput": []}
    for label in labels:
        q, g = pairs(run, label, group, median_qct), pairs(run, label, group, goodput)
        pooled["qct"] += q
        pooled["goodput"] += g
        hz = [r.queue_samples_per_s() for r in analysis.repetitions(run.data, label + WITH, group)
              if r.queue_samples_per_s() is not None]
        cells = [label, str(len(q)),
                 f"{stats.percentile([a for a, _ in q], 50):.0f} / "
                 f"{stats.percentile([b for _, b in q], 50):.0f}" if q else "-", *cost(q),
                 f"{stats.percentile([a for a, _ in g], 50):.1f} / "
                 f"{stats.percentile([b for _, b in g], 50):.1f}" if g else "-", *cost(g),
                 f"{stats.percentile(hz, 50):.0f}" if hz else "-"]
        rows.append("| " + " | ".join(cells) + " |")
    rows.append("| all | " + str(len(pooled["qct"])) + " | | " + " | ".join(cost(pooled["qct"]))
                + " | | " + " | ".join(cost(pooled["goodput"])) + " | |")
    lines = [
        "# What the monitors cost", "",
        f"From `{params.get('command', '?')}` ({params.get('started', '?')}; kernel "
        f"{params.get('kernel', '?')}, emulation {params.get('emulation', '?')}; "
        f"{params.get('rate_mbit', '?')} Mbit/s, N = {group}, {params.get('reps')} repetitions). "
        "Every control and repetition ran twice on the same network, with the monitors (queue "
        "sampling and tcp_probe) and without, the order of the two swapped every repetition. "
        "Each repetition is one pair: its median warm query completion time and its goodput in "
        "each arm. The ratio is with / without, the geometric mean over the pairs, with a 95 % "
        "percentile-bootstrap interval over the pairs; an interval that holds 1 is inconclusive.",
        "", *rows, "",
        "Per-run figures: `report.md` beside this file.", ""]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m dctestbed.overhead")
    p.add_argument("run_dir", type=Path)
    a = p.parse_args(argv)
    out = a.run_dir / "overhead.md"
    out.write_text(render(a.run_dir))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

