"""The windows each message of an incast starts with, from tcp_probe.

    python3 -m dctestbed.windows RUN_DIR

tcp_probe samples a connection as each segment arrives, before the
segment is processed.  At a worker, a request arrives when the previous
response has drained (nothing in flight): that sample holds the window
the previous message left (the initial window before the first).  The
next sample, the first ACK of the response, holds the window the
response was sent with, after any restart backoff.  This sums both over
the workers, per control, group, repetition and query: what lands on the
bottleneck in the first round of each query, before any mark can be
echoed, against the buffer plus the bandwidth-delay product.  The k-th
message of every worker is counted as query k.
"""

import sys
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

from dctestbed import analysis


def message_starts(rows):
    """{(cc, group, rep): {k: [(window left, window sent), ...]}} over
    every flow's k-th message (k = 1: its first)."""
    flows = defaultdict(list)
    for r in rows:
        flows[(r["cc"], r["group"], r["rep"], r["flow"])].append(
            (float(r["t_s"]), int(r["cwnd_pkts"]), int(r["inflight_bytes"])))
    out = defaultdict(lambda: defaultdict(list))
    for (cc, group, rep, _), samples in flows.items():
        samples.sort(key=lambda s: s[0])        # stable: samples of one instant keep their order
        k = 0
        for (_, left, idle), (_, sent, inflight) in pairwise(samples):
            if idle == 0 and inflight > 0:
                k += 1
                out[(cc, group, rep)][k].append((left, sent))
    return out


def table(starts):
    """Markdown: per control, group and repetition, each query's summed
    windows before and after the restart, and how many workers."""
    lines = ["| control | group | rep | query: left → sent (workers) |", "|---|---|---|---|"]
    for (cc, group, rep), by_k in sorted(starts.items()):
        cells = [f"{k}: {sum(a for a, _ in v)} → {sum(b for _, b in v)} ({len(v)})"
                 for k, v in sorted(by_k.items())]
        lines.append(f"| `{cc}` | {group} | {rep} | {'; '.join(cells)} |")
    return lines


def read_probe(run_dir):
    """The rows of run_dir's raw/probe.csv (or .csv.gz)."""
    rows = []
    if not analysis.scan(Path(run_dir) / "raw" / "probe.csv", rows.append, {}):
        raise FileNotFoundError(f"{run_dir}: no raw/probe.csv(.gz): run with --probe-reps")
    return rows


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        rows = read_probe(argv[0])
    except FileNotFoundError as e:
        print(f"windows: {e}", file=sys.stderr)
        return 1
    print("\n".join(table(message_starts(rows))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
