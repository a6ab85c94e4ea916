#!/usr/bin/env bash
# Measure what the monitors cost: one incast run in which every control and
# repetition runs twice on the same network, with the monitors (queue
# sampling at 1 kHz, tcp_probe in every repetition) and without, the order
# of the two swapped each repetition; then the paired ratios with their
# confidence intervals.
#
#   scripts/monitor-overhead.sh [EXTRA-OPTIONS...]
#
# Writes results/monitor-overhead/ (the run, report.md, overhead.md) and
# prints overhead.md.  On the wall-clock VM by default (TESTBED=vm): in
# virtual time the monitors' CPU work takes no time, so there is nothing
# to measure there.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=results/monitor-overhead
export TESTBED=${TESTBED:-vm}
reps=6
scripts/experiment.sh incast --cc "cubic,dctcp" --n 16 --reps "$reps" --queries 20 \
	--monitor-ab --probe-reps "$reps" "$@" --out "$out"
PYTHONPATH=mininet /usr/bin/python3 -m dctestbed.overhead "$out"
cat "$out/overhead.md"
