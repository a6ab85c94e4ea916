#!/usr/bin/env bash
# Run a testbed experiment on a kernel testbed (scripts/vm-run.sh): in
# virtual time on User-Mode Linux by default (TESTBED=uml), or in wall-clock
# time in the QEMU VM (TESTBED=vm) or on a host that can load modules
# (TESTBED=native):
#
#   scripts/experiment.sh EXPERIMENT [OPTIONS...]
#   scripts/experiment.sh --testbed INVENTORY EXPERIMENT [OPTIONS...]
#
# EXPERIMENT is incast, queue-buildup, k-sweep, convergence or fattree;
# OPTIONS are those of `scripts/experiment.sh EXPERIMENT --help`.  The
# options are checked before anything is set up; then what is missing is
# installed, the modules are built, the experiment runs on the testbed
# and its report is written here on the host (RUN_DIR/report.md); the
# large raw files (queue, probe, counters) are kept gzip-compressed.
# EXPERIMENT_TIMEOUT (seconds, default 3600) bounds the testbed part.
# EXPERIMENT_DRY_RUN=1 sets up and builds, prints the testbed command and
# stops there; DCTCP_SETUP replaces scripts/setup.sh (the first-run test
# uses both).
#
# With --testbed INVENTORY the experiment runs from here on the machines
# an Ansible-style inventory lists, reached over SSH (README, "On your
# own testbed"): no VM, no root here; the runner checks and sets up the
# hosts itself.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ $# -gt 0 ] || { sed -n '2,/^set/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2; }
py() { PYTHONPATH=mininet /usr/bin/python3 "$@"; }

if [ "$1" = --testbed ]; then
	[ $# -ge 3 ] || { echo "usage: scripts/experiment.sh --testbed INVENTORY EXPERIMENT [OPTIONS...]" >&2; exit 2; }
	inventory=$2
	shift 2
	exp=$1
	shift
	command -v ssh >/dev/null || { echo "experiment: ssh not found (apt-get install openssh-client)" >&2; exit 2; }
	py -c 'import yaml' 2>/dev/null || { echo "experiment: python3-yaml not found (apt-get install python3-yaml)" >&2; exit 2; }
	exec env PYTHONPATH=mininet /usr/bin/python3 -m dctestbed "$exp" --testbed "$inventory" "$@"
fi
export TESTBED=${TESTBED:-uml}
# the options' defaults (rate, RTT, switches) follow the testbed's clock
clock=wall
[ "$TESTBED" = uml ] && clock=virtual

for arg in "$@"; do
	case "$arg" in -h | --help) DCTESTBED_CLOCK=$clock py -m dctestbed.options "$@"; exit 0 ;; esac
done
# refuse impossible options before setting anything up (no root or kernel needed)
DCTESTBED_CLOCK=$clock py -m dctestbed.options "$@"

out=
prev=
for arg in "$@"; do
	[ "$prev" = --out ] && out=$arg
	case "$arg" in --out=*) out=${arg#--out=} ;; esac
	prev=$arg
done
if [ -z "$out" ]; then
	out=results/runs/$1-$(date +%Y%m%d-%H%M%S)
	set -- "$@" --out "$out"
fi

${DCTCP_SETUP:-scripts/setup.sh}
make -s modules
if [ "${EXPERIMENT_DRY_RUN:-0}" = 1 ]; then
	echo "experiment: built against $(scripts/kdir.sh); would run on the testbed: dctestbed $*"
	exit 0
fi
started=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)
set +e
scripts/vm-run.sh --timeout "${EXPERIMENT_TIMEOUT:-3600}" --memory 4G --log-dir results/vm -- \
	env PYTHONPATH=mininet /usr/bin/python3 -m dctestbed "$@" --no-report
rc=$?
set -e
finished=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)
if [ -f "$out/params.json" ]; then
	# the wall clock: in virtual time the guest knows only its own
	wall=()
	[ "$clock" = virtual ] && wall=(--started "$started" --finished "$finished")
	py -m dctestbed report "$out" "${wall[@]}"
	# the large raw files, compressed (the report reads them either way)
	for f in "$out/raw/queue.csv" "$out/raw/probe.csv" "$out/raw/counters.csv"; do
		if [ -f "$f" ]; then gzip -f "$f"; fi
	done
fi
exit "$rc"
