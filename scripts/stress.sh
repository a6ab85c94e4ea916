#!/usr/bin/env bash
# make stress: the long version of the stress suite.
#
#   scripts/stress.sh
#
# 1. libFuzzer over each module's own source for FUZZ_SECONDS (default
#    300) with ASan and UBSan (tests/fuzz/);
# 2. in the VM (or natively, see scripts/vm-run.sh), tests/kernel/
#    test_11_stress.py with STRESS=full: 100 load/traffic/unload cycles per
#    module, 1000 connections per module through one RED bottleneck, every
#    fault with both modules, parameter fuzzing during traffic, SIGKILL
#    clean-up; every transfer's data checked by SHA-256 and the kernel log
#    after every stage.
# Prints the table of what was tried and what held and "N passed, N failed";
# keeps the table, the pytest log and the guest's kernel log in
# results/stress/ (committed: the README's table comes from there).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/setup.sh
make -s modules
out=$top/results/stress
mkdir -p "$out"
passed=0 failed=0
echo "== fuzz: ${FUZZ_SECONDS:=300} s per module"
if make -s -C tests/fuzz fuzz FUZZ_SECONDS="$FUZZ_SECONDS" 2>&1 | tee "$out/fuzz.log"; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	echo "FAIL fuzz: the crashing input is in tests/fuzz/build/crash-*"
fi
echo "== stress tests (STRESS=full) on the testbed"
rm -f "$out/pytest.log" "$out/stress.md" "$out/dmesg.log"
scripts/vm-run.sh --timeout 5400 --memory 4G --log-dir "$out" -- \
	env STRESS=full KERNEL_TEST_LOG_DIR="$out" tests/kernel/run.sh -k "stress or dmesg" || true
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out/pytest.log" 2>/dev/null | tail -n 1) ||
	line="0 passed, 1 failed"
passed=$((passed + ${line%% passed*}))
f=${line#*, }
failed=$((failed + ${f%% failed*}))
echo
cat "$out/stress.md" 2>/dev/null || echo "(no stress table: see $out/pytest.log)"
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
