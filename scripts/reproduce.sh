#!/usr/bin/env bash
# Reproduce the papers' headline results: run every experiment of the plan
# (PYTHONPATH=mininet python3 -m dctestbed.reproduce plan) on the kernel
# testbed, one run directory each under OUT, then write
# results/REPRODUCTION.md from them.  In virtual time (TESTBED=uml, the
# default) and on real hosts (TESTBED=native) the plan runs at the seeds'
# operating points (1 and 10 Gbit/s, 100 us); on the wall-clock VM
# (TESTBED=vm) it is that testbed's own plan at 20 Mbit/s
# (reproduce plan --clock wall), written to results/reproduce-wallclock.
#
#   scripts/reproduce.sh [--resume] [--only NAME[,NAME...]] [--out DIR]
#
#   --resume  keep the runs that already finished (their summary.json exists)
#   --only    run only the named runs of the plan (the report reads them all)
#   --out     where the run directories go (default results/reproduce, or
#             results/reproduce-wallclock with TESTBED=vm)
#
# Takes about an hour in virtual time here (an hour and a half in the
# wall-clock VM); each run prints its progress.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
py() { PYTHONPATH=mininet /usr/bin/python3 "$@"; }
export TESTBED=${TESTBED:-uml}
clock=virtual out=results/reproduce
if [ "$TESTBED" = vm ]; then
	clock=wall out=results/reproduce-wallclock
fi

resume=0 only=""
while [ $# -gt 0 ]; do
	case "$1" in
	--resume) resume=1; shift ;;
	--only) only=${2:?--only needs run names}; shift 2 ;;
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	-h | --help) sed -n '2,/^set/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "reproduce: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done

mapfile -t plan < <(py -m dctestbed.reproduce plan --clock "$clock")
if [ -n "$only" ]; then
	for name in ${only//,/ }; do
		printf '%s\n' "${plan[@]}" | grep -q "^$name " ||
			{ echo "reproduce: --only $name: no such run in the plan" >&2; exit 2; }
	done
fi
# every run's options are checked before the first one starts
for line in "${plan[@]}"; do
	read -r -a words <<<"$line"
	DCTESTBED_CLOCK=$clock py -m dctestbed.options "${words[@]:1}" --out "$out/${words[0]}"
done

mkdir -p "$out"
start=$(date +%s)
failed=()
i=0
for line in "${plan[@]}"; do
	i=$((i + 1))
	read -r -a words <<<"$line"
	name=${words[0]}
	if [ -n "$only" ] && ! [[ ",$only," == *",$name,"* ]]; then
		continue
	fi
	if [ "$resume" -eq 1 ] && [ -f "$out/$name/summary.json" ] &&
		! grep -q '"interrupted"' "$out/$name/params.json"; then
		echo "== [$i/${#plan[@]}] $name: kept (--resume)"
		continue
	fi
	echo "== [$i/${#plan[@]}] $name: ${words[*]:1}  ($(( ($(date +%s) - start) / 60 )) min so far)"
	if ! EXPERIMENT_TIMEOUT=3600 scripts/experiment.sh "${words[@]:1}" --out "$out/$name"; then
		failed+=("$name")
		echo "== $name FAILED; going on with the next run" >&2
	fi
done
minutes=$(( ($(date +%s) - start + 30) / 60 ))
# the report states the plan's wall time only when this invocation ran all of it
timing=(--minutes "$minutes")
[ -z "$only" ] || timing=()
if [ "$clock" = wall ]; then
	py -m dctestbed.reproduce report --wall "$out"
else
	py -m dctestbed.reproduce report "$out" "${timing[@]}"
fi
echo "reproduce: ${only:-all ${#plan[@]}} runs, $minutes min; report: results/REPRODUCTION.md"
if [ "${#failed[@]}" -gt 0 ]; then
	echo "reproduce: failed runs: ${failed[*]}" >&2
	exit 1
fi
