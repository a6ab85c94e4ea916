#!/usr/bin/env bash
# What the BPF builds cost against the modules: CPU-bound transfers with
# each, alternating, on the wall-clock VM testbed (TESTBED=vm by default;
# native on a host that can load modules), and the BPF programs' own time
# per call.  Writes results/bpf-cost/cost.md with its raw data.
#
#   scripts/bpf-cost.sh [--reps N] [--seconds S]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
make -s modules bpf
TESTBED=${TESTBED:-vm} scripts/vm-run.sh --timeout 1200 --log-dir results/bpf-cost -- \
	env PYTHONPATH=mininet /usr/bin/python3 -m dctestbed.bpfcost results/bpf-cost "$@"
