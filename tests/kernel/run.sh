#!/usr/bin/env bash
# Guest side of the kernel tests: run them with the system interpreter
# (where Debian's pytest lives) and keep the log in results/kernel-tests/
# (KERNEL_TEST_LOG_DIR elsewhere).
#   tests/kernel/run.sh [PYTEST-ARGS...]
# KERNEL_TESTS selects: unset, the default set for a wall-clock testbed
# (neither the tests marked slow, the Mininet fat-tree, nor those marked
# virtual, whose result depends on throughput or timing); "virtual", all
# but the slow ones, the stress suite (make stress) and those that need
# Debian's own kernel (for the virtual-time testbed, User-Mode Linux);
# "debian", those (the DKMS-built
# modules, BPF struct_ops: for the QEMU VM); "slow", the slow ones; "all",
# everything.  Tests marked anywhere (the kernel log check) run in every
# selection.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${KERNEL_TEST_LOG_DIR:-$top/results/kernel-tests}
mkdir -p "$out"
cd "$top"
echo "kernel-tests: guest kernel $(uname -r), $(nproc) CPUs"
export KERNEL_TEST_LOG_DIR=$out
case "${KERNEL_TESTS:-}" in
"") select=(-m "anywhere or not (slow or virtual)") ;;
virtual) select=(-m "anywhere or not (slow or debian or stress)") ;;
debian) select=(-m "anywhere or debian") ;;
slow) select=(-m "anywhere or slow") ;;
all) select=() ;;
*) echo "run.sh: KERNEL_TESTS must be empty, virtual, debian, slow or all" >&2; exit 2 ;;
esac
set +e
/usr/bin/python3 -m pytest -v -rA -p no:cacheprovider --tb=short --durations=20 "${select[@]}" tests/kernel "$@" 2>&1 |
	tee "$out/pytest.log" | grep --line-buffered -E '^tests/kernel/|passed|failed|^E '
rc=${PIPESTATUS[0]}
exit "$rc"
