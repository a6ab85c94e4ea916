#!/usr/bin/env bash
# Measure what the monitors cost: the same incast run with and without
# them (queue sampling at 1 kHz and tcp_probe in every repetition), then
# the median query completion time and goodput of each, side by side.
#
#   scripts/monitor-overhead.sh [EXTRA-OPTIONS...]
#
# Writes results/monitor-overhead/{with,without}/ and prints the table.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=results/monitor-overhead
args=(incast --cc "cubic,dctcp" --n 16 --reps 4 --queries 20 "$@")
scripts/experiment.sh "${args[@]}" --probe-reps 4 --out "$out/with"
scripts/experiment.sh "${args[@]}" --no-monitor --out "$out/without"
PYTHONPATH=mininet /usr/bin/python3 - "$out" <<'PY'
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
rows = ["| monitors | cc | queries | QCT p50 ms | QCT p99 ms | goodput Mbit/s | queue samples/s |",
        "|---|---|---|---|---|---|---|"]
for name in ("with", "without"):
    s = json.loads((out / name / "summary.json").read_text())
    runs = {}
    for line in (out / name / "raw" / "runs.csv").read_text().splitlines()[1:]:
        f = line.split(",")
        runs.setdefault(f[0], []).append(int(f[8]) / float(f[3]))
    for r in s["results"]:
        q = r["completions"]["query"]
        hz = sorted(runs[r["cc"]])[len(runs[r["cc"]]) // 2]
        rows.append(f"| {name} | {r['cc']} | {q['count']} | {q['p50'] / 1000:.0f} | "
                    f"{q['p99'] / 1000:.0f} | {r['goodput_mbit']:.1f} | {hz:.0f} |")
table = "\n".join(rows) + "\n"
(out / "overhead.md").write_text(table)
print(table)
PY
