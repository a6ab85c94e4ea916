#!/usr/bin/env bash
# Does the host's load move the results?  The same small incast point
# (dctcp and cubic, N = 8, 1 Gbit/s in virtual time) runs three times on
# the testbed: on an idle host, again on an idle host (the guest's own
# run-to-run variation), then with every host core kept busy by a process
# of its own; dctestbed.hostload compares them, medians and query by query.
#
#   scripts/host-load.sh [--check] [--out DIR]
#
# TESTBED (default uml) picks the testbed, as for scripts/vm-run.sh.  Writes
# DIR/idle/, DIR/again/, DIR/loaded/ and DIR/host-load.md (default
# results/host-load/$TESTBED).
# --check fails when a median moved by more than 2 % (what virtual time
# promises; the wall-clock VM is expected to move, and is only reported).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
testbed=${TESTBED:-uml}
check=() out=
while [ $# -gt 0 ]; do
	case "$1" in
	--check) check=(--check); shift ;;
	--out) out=$2; shift 2 ;;
	*) echo "host-load: unknown option '$1' (expected --check, --out DIR)" >&2; exit 2 ;;
	esac
done
out=${out:-results/host-load/$testbed}
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ "$testbed" = uml ] || make -s modules
args=(incast --cc "dctcp,cubic" --n 8 --reps 3 --queries 5 --jitter-us 10000 --no-report)
[ "$testbed" = uml ] || args+=(--rate 20 --force)

failed=()
run() {       # run NAME: the experiment into $out/NAME, its wall time in $out/NAME.seconds
	local start=$SECONDS
	rm -rf "${out:?}/$1"
	if ! TESTBED=$testbed scripts/vm-run.sh --timeout 900 --memory 2G --log-dir "$out" -- \
		env PYTHONPATH=mininet /usr/bin/python3 -m dctestbed "${args[@]}" --out "$out/$1" \
		>"$out/$1.log" 2>&1; then
		tail -n 5 "$out/$1.log" >&2
		echo "host-load: the $1 run failed or did not finish in 900 s (log: $out/$1.log)" >&2
		failed+=("$1")
	fi
	echo $((SECONDS - start)) >"$out/$1.seconds"
	echo "host-load: $1 run on $testbed took $((SECONDS - start)) s of wall time"
}

hogs=()
stop_hogs() { [ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}" 2>/dev/null || true; }
trap stop_hogs EXIT

echo "host-load: idle host"
run idle
echo "host-load: idle host, again"
run again
echo "host-load: every one of $(nproc) host cores kept busy"
for _ in $(seq "$(nproc)"); do
	yes >/dev/null &
	hogs+=($!)
done
run loaded
stop_hogs
hogs=()
{
	echo "# The host's load against the results ($testbed)"
	echo
	echo "\`scripts/host-load.sh\` with TESTBED=$testbed: \`python3 -m dctestbed ${args[*]}\`, once on an"
	echo "idle host ($(cat "$out/idle.seconds") s of wall time; again: $(cat "$out/again.seconds") s) and once with $(nproc) busy processes, one per host core"
	echo "($(cat "$out/loaded.seconds") s). Medians over the repetitions of each run's median warm query and goodput,"
	echo "then each warm query against the same query of the other run."
	echo
	for name in idle again loaded; do
		if grep -q "marked invalid" "$out/$name.log"; then
			echo "**The $name run did not carry its shaped rate:** $(grep -o 'the shaped path carried [^:]*' "$out/$name.log" | head -n 1)."
			echo
		fi
	done
	if [ ${#failed[@]} -eq 0 ]; then
		PYTHONPATH=mininet /usr/bin/python3 -m dctestbed.hostload compare "$out/idle" "$out/loaded" \
			--again "$out/again"
	else
		echo "**No comparison: the ${failed[*]} run failed or did not finish** (its log: ${failed[*]/%/.log})."
	fi
} >"$out/host-load.md"
cat "$out/host-load.md"
[ ${#failed[@]} -eq 0 ] || exit 1
PYTHONPATH=mininet /usr/bin/python3 -m dctestbed.hostload compare "$out/idle" "$out/loaded" "${check[@]}" >/dev/null
